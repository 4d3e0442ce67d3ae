"""docs/API.md lists every error code and every risk reject reason the API can answer."""

from __future__ import annotations

from pathlib import Path

from api.errors import ERRORS
from oms_core import REJECT_REASONS

API_MD = (Path(__file__).parents[3] / "docs" / "API.md").read_text()


def test_every_error_code_is_in_the_table() -> None:
    for code, spec in ERRORS.items():
        assert f"| `{code}` | {spec.status} |" in API_MD, code


def test_every_reject_reason_is_listed() -> None:
    for reason in REJECT_REASONS[1:]:
        assert f"`{reason}`" in API_MD, reason
