"""Account views (before and after risk's first snapshot), fills, admin, and public market data."""

from __future__ import annotations

from decimal import Decimal

import httpx

from oms.bus.memory import MemoryBus
from oms.client import Account, Book, ExecutionPage, Limits, Markets, Positions, Ticker, Trades
from oms.events import (
    COMMANDS,
    GLOBAL_KEY,
    AccountSnapshot,
    BalanceView,
    Execution,
    PositionView,
    SetLimits,
    SetTradingState,
    Trade,
    command_decoder,
)
from oms.runtime import Runtime
from tests.unit.api.conftest import Caller
from tests.unit.api.contract import conforms
from tests.unit.api.fakes import FakeMarkets, published

SNAPSHOT = AccountSnapshot(
    account="alice",
    seq=3,
    trading_state="REDUCING",
    balances=[BalanceView("USDT", "100000", "250.5", "99749.5")],
    positions=[
        PositionView(
            "BTC-USDT-PERP", "0.5", "60000", "61000", "30500", "500", "0", "244", "122", 125,
            "1200.5",
        )
    ],
    equity="100500",
    initial_margin="244",
    maintenance_margin="122",
    available_margin="100256",
    margin_ratio="0.0012",
    unrealized_pnl="500",
    limits={"max_open_orders": "10", "price_band": "0.1"},
    ts_ns=1_700_000_000_123_000_000,
)  # fmt: skip


async def test_account_before_the_first_snapshot_shows_deposits(
    alice: Caller, markets: FakeMarkets
) -> None:
    markets.marks["BTC-USDT"] = 6_000_000  # 60000.00
    account = conforms((await alice.send("GET", "/v1/account")).content, Account)
    assert [(b.asset, str(b.total), str(b.reserved)) for b in account.balances] == [
        ("USDT", "100000", "0"),
        ("BTC", "2", "0"),
    ]
    assert str(account.equity) == "220000"
    assert (account.trading_state, account.margin_ratio, account.updated_at) == (
        "ACTIVE", None, None,
    )  # fmt: skip


async def test_account_and_positions_come_from_the_snapshot(
    alice: Caller, runtime: Runtime
) -> None:
    await runtime.store.write(snapshots=[SNAPSHOT])
    account = conforms((await alice.send("GET", "/v1/account")).content, Account)
    assert (account.trading_state, str(account.margin_ratio)) == ("REDUCING", "0.0012")
    assert str(account.positions[0].liquidation_price) == "1200.5"
    assert account.updated_at == 1_700_000_000_123
    positions = conforms((await alice.send("GET", "/v1/positions")).content, Positions)
    assert [p.symbol for p in positions.positions] == ["BTC-USDT-PERP"]


async def test_positions_are_empty_before_the_first_snapshot(bob: Caller) -> None:
    assert (await bob.send("GET", "/v1/positions")).json() == {"positions": []}


async def test_executions_page_and_filter(alice: Caller, bob: Caller, runtime: Runtime) -> None:
    fills = [
        Execution(f"e{i}", 100 + i % 2, "alice", "BTC-USDT", "BUY", 1000, 6_000_000, 30, "TAKER",
                  "SIM", 1_700_000_000_000_000_000 + i)
        for i in range(5)
    ]  # fmt: skip
    await runtime.store.write(executions=fills)
    first = conforms((await alice.send("GET", "/v1/executions?limit=3")).content, ExecutionPage)
    assert [e.exec_id for e in first.executions] == ["e4", "e3", "e2"]
    assert (first.executions[0].price, first.executions[0].fee) == (60000, Decimal("0.0000003"))
    rest = await alice.send("GET", f"/v1/executions?limit=3&cursor={first.next_cursor}")
    assert [e["execId"] for e in rest.json()["executions"]] == ["e1", "e0"]
    of_order = (await alice.send("GET", "/v1/executions?orderId=101")).json()["executions"]
    assert {e["orderId"] for e in of_order} == {"101"}
    assert (await bob.send("GET", "/v1/executions")).json()["executions"] == []


async def test_kill_switch_publishes_on_the_account_or_global_key(
    root: Caller, runtime: Runtime
) -> None:
    one = await root.send("POST", "/v1/admin/trading-state", {"account": "bob", "state": "HALTED"})
    every = await root.send("POST", "/v1/admin/trading-state", {"state": "REDUCING"})
    assert (one.status_code, every.status_code) == (202, 202)
    assert every.json() == {"account": None, "state": "REDUCING"}
    assert isinstance(runtime.bus, MemoryBus)
    sent = [(r.key, command_decoder.decode(r.value)) for r in runtime.bus.topic(COMMANDS).records]
    assert [(key, type(c), c.account, c.state) for key, c in sent] == [  # type: ignore[union-attr]
        ("bob", SetTradingState, "bob", "HALTED"),
        (GLOBAL_KEY, SetTradingState, None, "REDUCING"),
    ]


async def test_limits_are_read_from_the_snapshot_and_changed_by_command(
    root: Caller, runtime: Runtime
) -> None:
    before = conforms((await root.send("GET", "/v1/admin/accounts/alice/limits")).content, Limits)
    assert before.limits == {"maxOpenOrders": "10"}
    await runtime.store.write(snapshots=[SNAPSHOT])
    after = (await root.send("GET", "/v1/admin/accounts/alice/limits")).json()
    assert after["limits"] == {"maxOpenOrders": "10", "priceBand": "0.1"}
    changed = await root.send(
        "PATCH", "/v1/admin/accounts/alice/limits", {"maxOpenOrders": 50, "priceBand": 0.05}
    )
    assert changed.status_code == 202
    assert isinstance(runtime.bus, MemoryBus)
    [command] = [command_decoder.decode(v) for v in published(runtime.bus)]
    assert isinstance(command, SetLimits)
    assert command.limits == {"max_open_orders": "50", "price_band": "0.05"}


async def test_markets_list_filters(http: httpx.AsyncClient) -> None:
    listing = conforms((await http.get("/v1/markets")).content, Markets)
    perp = next(m for m in listing.markets if m.symbol == "BTC-USDT-PERP")
    assert (str(perp.tick_size), str(perp.lot_size), perp.max_leverage) == ("0.1", "0.001", 125)
    assert str(perp.brackets[1].notional_floor) == "50000"


async def test_book_answers_levels_as_decimal_text(
    http: httpx.AsyncClient, markets: FakeMarkets
) -> None:
    markets.quote("BTC-USDT", 42, [(6_000_000, 150_000), (5_999_900, 1)], [(6_000_100, 2)])
    response = await http.get("/v1/markets/BTC-USDT/book?depth=1")
    book = conforms(response.content, Book)
    assert response.json()["bids"] == [["60000", "1.5"]]
    assert (book.seq, len(book.asks)) == (42, 1)


async def test_book_with_venues_splits_each_level_by_venue(
    http: httpx.AsyncClient, markets: FakeMarkets
) -> None:
    book = markets.books["BTC-USDT"]
    book.update("BINANCE", 0, 6_000_000, 100_000)
    book.update("OKX", 0, 6_000_000, 50_000)
    book.update("OKX", 0, 5_999_900, 20_000)
    book.update("BINANCE", 1, 6_000_100, 1_000)
    plain = (await http.get("/v1/markets/BTC-USDT/book?depth=2")).json()
    assert {"venues", "bidsByVenue", "asksByVenue"}.isdisjoint(plain)
    response = await http.get("/v1/markets/BTC-USDT/book?depth=2&venues=true")
    split = conforms(response.content, Book)
    assert response.json()["bids"] == [["60000", "1.5"], ["59999", "0.2"]]
    assert split.venues == ["BINANCE", "OKX"]
    assert response.json()["bidsByVenue"] == [["1", "0.5"], ["0", "0.2"]]
    assert response.json()["asksByVenue"] == [["0.01", "0"]]


async def test_ticker_before_quotes_is_empty_but_valid(http: httpx.AsyncClient) -> None:
    ticker = conforms((await http.get("/v1/markets/ETH-USDT/ticker")).content, Ticker)
    assert (ticker.bid, ticker.time) == (None, None)


async def test_trades_newest_first(http: httpx.AsyncClient, markets: FakeMarkets) -> None:
    markets.trades["SOL-USDT"] = [
        Trade("SOL-USDT", "V1", 15_000, 2_500, "SELL", 2_000_000_000),
        Trade("SOL-USDT", "V2", 14_999, 1_000, "BUY", 1_000_000_000),
    ]
    trades = conforms((await http.get("/v1/markets/SOL-USDT/trades?limit=1")).content, Trades)
    assert [(str(t.price), str(t.quantity), t.time) for t in trades.trades] == [
        ("150", "2.5", 2000)
    ]
