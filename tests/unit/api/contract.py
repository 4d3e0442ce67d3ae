"""Checks that an answer has exactly the shape of its ``oms.client`` model."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
import orjson

M = TypeVar("M")


def _keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _keys(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_keys(v) for v in value]
    return None


def conforms(content: bytes, model: type[M]) -> M:
    """Decode ``content`` as ``model``, failing on any field the model does not declare."""
    decoded = msgspec.json.decode(content, type=model)
    assert _keys(orjson.loads(content)) == _keys(msgspec.to_builtins(decoded)), content
    return decoded
