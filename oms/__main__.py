"""``python -m oms`` is the ``oms`` command."""

import sys

from oms.cli import main

sys.exit(main())
