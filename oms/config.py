"""Settings (environment, prefix ``OMS_``) and the accounts file.

Backends are chosen by URL: ``OMS_BUS`` (``memory://`` or ``kafka://host:port``), ``OMS_STORE``
(``sqlite:///path`` or ``mongodb://…``) and ``OMS_IDEMPOTENCY`` (``memory://`` or
``redis://…``). Accounts, their API keys, deposits, limits and leverage come from a TOML file
(``OMS_ACCOUNTS_FILE``); when it does not exist, ``oms up`` writes one with a demo trader and
an admin key, each with a fresh random secret.
"""

from __future__ import annotations

import secrets
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an OMS process reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="OMS_", extra="ignore")

    host: str = Field("127.0.0.1", description="Address the API listens on.")
    port: int = Field(8000, ge=0, le=65535, description="Port the API listens on (0: any free).")
    data_dir: Path = Field(Path("var/oms"), description="Where the embedded files live.")
    bus: str = Field("memory://", description="Bus URL: memory:// or kafka://host:port.")
    store: str = Field(
        "", description="Store URL: sqlite:///path or mongodb://… (default: DATA_DIR/oms.db)."
    )
    idempotency: str = Field(
        "memory://",
        description="memory:// (claims kept ?ttl_s=60 s) or redis://host:port/db (?ttl_s=86400).",
    )
    accounts_file: Path | None = Field(
        None, description="TOML file of accounts and keys (default: DATA_DIR/accounts.toml)."
    )
    instruments_file: Path | None = Field(
        None, description="JSON instrument registry (default: the built-in markets)."
    )
    marketdata: str = Field(
        "sim", description="Market data source: 'sim' or 'replay:PATH' (a recorded L2 file)."
    )
    sim_seed: int = Field(7, description="Seed of the simulated markets (reproducible runs).")
    sim_venues: int = Field(3, ge=1, le=8, description="Simulated venues per instrument.")
    sim_interval_ms: float = Field(
        50.0, gt=0, description="Mean time between simulated market updates per venue."
    )
    venue_latency_ms: float = Field(
        1.0, ge=0, description="Simulated venue round trip for acks and fills."
    )
    signature_window_s: float = Field(
        5.0, gt=0, description="Accepted distance between a request's timestamp and now."
    )
    result_timeout_s: float = Field(
        2.0, gt=0, le=30, description="How long respType=RESULT waits for the decision."
    )
    max_body_bytes: int = Field(16_384, ge=256, description="Largest accepted request body.")
    ws_heartbeat_s: float = Field(
        10.0, gt=0, le=300, description="Seconds between WebSocket heartbeats."
    )
    ws_queue_limit: int = Field(
        1000, ge=10, description="Messages buffered per WebSocket before a slow client is cut."
    )
    dashboard_dir: Path | None = Field(
        None, description="Built dashboard to serve at / (default: frontend/dist if present)."
    )
    demo_login: bool = Field(
        False,
        description="Hand the demo trader's key to browsers on this machine (GET /v1/demo/login"
        "); `oms up` turns it on when the accounts file is the demo one it wrote.",
    )
    log_format: Literal["auto", "json", "text"] = Field(
        "auto", description="json in containers, readable lines on a terminal ('auto')."
    )
    log_level: str = Field("INFO", description="Python logging level.")
    node_id: int = Field(
        0, ge=0, le=1023, description="Distinguishes API replicas in generated order ids."
    )
    # --- abuse limits (docs/SECURITY.md). Kept where the idempotency claims are: in this
    # process with OMS_IDEMPOTENCY=memory://, shared by every API replica with redis://.
    replay_cache: bool = Field(
        True,
        description="Refuse a signed request or stream login whose signature was already used "
        "within the signature window (401 REPLAYED_SIGNATURE).",
    )
    rate_limit_key_per_s: float = Field(
        5000.0,
        ge=0,
        description="Signed requests per second per API key (token bucket refill; 0: off). "
        "Orders are also limited per account by risk (maxOrdersPerSecond).",
    )
    rate_limit_key_burst: int = Field(
        10_000, ge=1, description="Signed requests an idle API key may send at once."
    )
    rate_limit_ip_per_s: float = Field(
        200.0,
        ge=0,
        description="Unauthenticated requests per second per client address: public "
        "endpoints and failed logins (0: off). Probes (/healthz, /readyz, /metrics) are exempt.",
    )
    rate_limit_ip_burst: int = Field(
        400, ge=1, description="Unauthenticated requests a quiet client address may send at once."
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses or CIDRs of load balancers whose "
        "X-Forwarded-For names the client (default: none; the peer address is the client).",
    )
    cors_origins: str = Field(
        "",
        description="Comma-separated origins allowed to call the API from a browser "
        "(default: none, same-origin only; the dashboard served at / needs none).",
    )
    ws_max_message_bytes: int = Field(
        4096, ge=256, description="Largest accepted WebSocket message from a client."
    )
    ws_max_subscriptions: int = Field(
        64, ge=1, description="Channels one WebSocket connection may subscribe to."
    )
    ws_max_connections_per_key: int = Field(
        16, ge=1, description="Open WebSocket connections per API key."
    )

    @property
    def store_url(self) -> str:
        return self.store or f"sqlite:///{self.data_dir / 'oms.db'}"

    @property
    def accounts_path(self) -> Path:
        return self.accounts_file or self.data_dir / "accounts.toml"


Role = Literal["trader", "admin"]


class AccountConfig(BaseModel):
    """One account (or admin key) from the accounts file."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    api_key: str = Field(min_length=16, max_length=128)
    api_secret: str = Field(min_length=32, max_length=256)
    role: Role = "trader"
    deposits: dict[str, str] = Field(default_factory=dict)
    limits: dict[str, str] = Field(default_factory=dict)
    leverage: dict[str, int] = Field(default_factory=dict)

    @field_validator("deposits", "limits", mode="before")
    @classmethod
    def _numbers_as_text(cls, value: object) -> object:
        """TOML numbers become exact strings (floats would lose digits later)."""
        if isinstance(value, Mapping):
            return {str(k): str(v) for k, v in value.items()}
        return value


class AccountsFile(BaseModel):
    accounts: list[AccountConfig]

    @field_validator("accounts")
    @classmethod
    def _unique(cls, accounts: list[AccountConfig]) -> list[AccountConfig]:
        for attr in ("name", "api_key"):
            values = [getattr(a, attr) for a in accounts]
            if len(values) != len(set(values)):
                raise ValueError(f"duplicate account {attr}")
        return accounts


def load_accounts(path: Path) -> list[AccountConfig]:
    """Read and validate an accounts file."""
    with path.open("rb") as f:
        return AccountsFile.model_validate(tomllib.load(f)).accounts


DEMO_ACCOUNTS_MARK = "# Written by `oms up`: a demo trader and an admin key (demo sign-in on)."
"""First line of the accounts file ``write_demo_accounts`` writes; ``oms up`` offers the
dashboard's one-click demo sign-in only while the file starts with it."""

DEMO_DEPOSITS: Mapping[str, str] = {"USDT": "1000000", "BTC": "10", "ETH": "100", "SOL": "1000"}


def write_demo_accounts(path: Path) -> list[AccountConfig]:
    """Create an accounts file with a funded demo trader and an admin key (secrets random)."""
    demo = AccountConfig(
        name="demo",
        api_key="demo-" + secrets.token_hex(12),
        api_secret=secrets.token_hex(32),
        deposits=dict(DEMO_DEPOSITS),
    )
    admin = AccountConfig(
        name="admin",
        api_key="admin-" + secrets.token_hex(12),
        api_secret=secrets.token_hex(32),
        role="admin",
    )
    lines = [
        DEMO_ACCOUNTS_MARK,
        "# OMS accounts: API keys, secrets, deposits, limits, leverage. Keep this file private.",
    ]
    for a in (demo, admin):
        lines += [
            "",
            "[[accounts]]",
            f'name = "{a.name}"',
            f'api_key = "{a.api_key}"',
            f'api_secret = "{a.api_secret}"',
            f'role = "{a.role}"',
        ]
        if a.deposits:
            lines += ["[accounts.deposits]", *(f'{k} = "{v}"' for k, v in a.deposits.items())]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return [demo, admin]


__all__ = [
    "DEMO_ACCOUNTS_MARK",
    "DEMO_DEPOSITS",
    "AccountConfig",
    "Role",
    "Settings",
    "load_accounts",
    "write_demo_accounts",
]
