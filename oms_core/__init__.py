"""The OMS trading core, implemented in Rust (``core_rs/``).

Everything lives in the native module ``oms_core._native``; this package re-exports it so
users write ``import oms_core``. Type information ships as ``_native.pyi``, checked against the
compiled module by stubtest in ``make test``.
"""

from oms_core._native import *  # noqa: F403
