"""The route table: every HTTP endpoint of the API, in the order the router tries them."""

from __future__ import annotations

from typing import Final

from api.routes import account, admin, demo, markets, orders, system
from api.routing import Endpoint

ENDPOINTS: Final[tuple[Endpoint, ...]] = (
    *orders.ENDPOINTS,
    *account.ENDPOINTS,
    *markets.ENDPOINTS,
    *admin.ENDPOINTS,
    *demo.ENDPOINTS,
    *system.ENDPOINTS,
)

__all__ = ["ENDPOINTS"]
