"""What the generator sends: traders, markets, the order mix, and the accounts file it needs."""

from __future__ import annotations

import math
import random
import secrets
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import httpx

from oms.config import load_accounts

OP_KINDS = ("limit", "market", "cancel", "amend")


@dataclass(frozen=True)
class Mix:
    """Shares of each operation; they need not sum to one."""

    limit: float = 0.70
    market: float = 0.20
    cancel: float = 0.05
    amend: float = 0.05

    @classmethod
    def parse(cls, text: str) -> Mix:
        """``"70/20/5/5"`` (limit/market/cancel/amend)."""
        parts = [float(p) for p in text.split("/")]
        if len(parts) != 4 or any(p < 0 for p in parts) or sum(parts) <= 0:
            raise ValueError(f"mix must be four non-negative shares a/b/c/d, not {text!r}")
        return cls(*parts)

    def weights(self) -> list[float]:
        return [self.limit, self.market, self.cancel, self.amend]

    def __str__(self) -> str:
        return "/".join(f"{w:g}" for w in self.weights())


@dataclass(slots=True)
class Trader:
    """One account the generator trades for, with its resting orders (id, symbol, side)."""

    name: str
    key: str
    secret: bytes
    resting: list[tuple[str, str, str]] = field(default_factory=list)
    market_side: int = 0


@dataclass(frozen=True, slots=True)
class MarketPlan:
    """Pre-rendered prices and size of one market, so a request costs no Decimal arithmetic.

    Resting prices lie 2–6% away from the mid (never at the touch, inside the default 10%
    price band); the size is about twice the market's minimum notional.
    """

    symbol: str
    quantity: str
    buy_prices: tuple[str, ...]
    sell_prices: tuple[str, ...]


def _on_grid(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value() * step


def plan_market(market: dict[str, str], mid: Decimal, rng: random.Random) -> MarketPlan:
    tick = Decimal(market["tickSize"])
    lot = Decimal(market["lotSize"])
    min_qty = Decimal(market["minQty"])
    min_notional = Decimal(market["minNotional"])
    lots = math.ceil(min_notional * 2 / mid / lot)
    quantity = max(min_qty, lot * lots)

    def prices(sign: int) -> tuple[str, ...]:
        out = []
        for _ in range(64):
            away = Decimal(str(round(rng.uniform(0.02, 0.06), 4)))
            out.append(format(_on_grid(mid * (1 + sign * away), tick).normalize(), "f"))
        return tuple(out)

    return MarketPlan(market["symbol"], format(quantity.normalize(), "f"), prices(-1), prices(+1))


def load_markets(url: str, symbols: list[str] | None, rng: random.Random) -> list[MarketPlan]:
    """Ask the OMS for its markets and their mids (waiting for two-sided books)."""
    with httpx.Client(base_url=url, timeout=5) as http:
        markets = http.get("/v1/markets").json()["markets"]
        plans = []
        for market in markets:
            if symbols and market["symbol"] not in symbols:
                continue
            for _ in range(100):
                ticker = http.get(f"/v1/markets/{market['symbol']}/ticker").json()
                if ticker["bid"] is not None and ticker["ask"] is not None:
                    break
                time.sleep(0.1)
            else:
                raise RuntimeError(f"no two-sided market in {market['symbol']}")
            mid = (Decimal(ticker["bid"]) + Decimal(ticker["ask"])) / 2
            plans.append(plan_market(market, mid, rng))
    if not plans:
        raise RuntimeError(f"none of the markets {symbols} exist")
    return plans


def load_traders(path: Path) -> list[Trader]:
    """The trader accounts of an accounts file (admin keys are left out)."""
    return [
        Trader(a.name, a.api_key, a.api_secret.encode())
        for a in load_accounts(path)
        if a.role == "trader"
    ]


BENCH_DEPOSITS = {
    "USDT": "1000000000",
    "BTC": "100000",
    "ETH": "1000000",
    "SOL": "10000000",
}
BENCH_LIMITS = {
    "max_open_orders": "10000000",
    "max_orders_per_second": "1000000",
    "max_order_notional": "100000000",
    "max_position_notional": "1000000000",
}


def write_accounts(path: Path, traders: int) -> None:
    """An accounts file of ``traders`` funded accounts whose limits never bind (and an admin)."""
    lines = ["# Load generator accounts: generous deposits, limits that never bind."]
    for n in range(traders):
        lines += [
            "",
            "[[accounts]]",
            f'name = "lg{n:03d}"',
            f'api_key = "lg{n:03d}-{secrets.token_hex(10)}"',
            f'api_secret = "{secrets.token_hex(24)}"',
            "[accounts.deposits]",
            *(f'{k} = "{v}"' for k, v in BENCH_DEPOSITS.items()),
            "[accounts.limits]",
            *(f'{k} = "{v}"' for k, v in BENCH_LIMITS.items()),
        ]
    lines += [
        "",
        "[[accounts]]",
        'name = "admin"',
        f'api_key = "admin-{secrets.token_hex(10)}"',
        f'api_secret = "{secrets.token_hex(24)}"',
        'role = "admin"',
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
