"""What every handler needs, built once when the runtime is up: ``request.app.state.api``."""

from __future__ import annotations

from dataclasses import dataclass, field

from api.admission import Admission
from api.auth import Authenticator
from api.gateway import Gateway
from api.instruments import Catalog
from api.metrics import ApiMetrics
from oms.config import AccountConfig, Settings
from oms.ids import OrderIdGenerator
from oms.runtime import Runtime


@dataclass(slots=True)
class ApiContext:
    runtime: Runtime
    settings: Settings
    catalog: Catalog
    auth: Authenticator
    ids: OrderIdGenerator
    gateway: Gateway
    metrics: ApiMetrics
    accounts: dict[str, AccountConfig]
    admission: Admission
    unpublished: set[int] = field(default_factory=set)
    """Order ids whose claim or publish failed (a claim may still land late): a retry that
    finds their claim publishes them."""


__all__ = ["ApiContext"]
