"""``oms.marketdata.replay``: the recording format, its checks, and replay at recorded pace."""

from __future__ import annotations

from pathlib import Path

import pytest

import oms_core
from oms.marketdata.record import START_NS, record_sim
from oms.marketdata.replay import LOOP_PAUSE_NS, ReplayFormatError, ReplaySource, read_recording
from oms.marketdata.service import MarketDataService
from oms.marketdata.sim import SimulatedMarkets
from oms.marketdata.source import VenueUpdate

REGISTRY = oms_core.InstrumentRegistry.builtin()
SAMPLE = Path(__file__).parents[3] / "oms/marketdata/samples/sample_l2.jsonl"
S = 1_000_000_000


def venue_books(updates: list[VenueUpdate]) -> dict[str, list[list[list[int]]]]:
    """Every venue's own levels per symbol after ``updates``."""
    service = MarketDataService(REGISTRY, SimulatedMarkets(REGISTRY))
    service.apply(updates)
    return {
        s: [service.book(s).depth_by_venue(side, 1000).tolist() for side in (0, 1)]
        for s in REGISTRY.symbols()
    }


def test_the_sample_is_small_and_replays_a_minute_of_two_symbols():
    assert SAMPLE.stat().st_size < 200_000
    records, stamps = read_recording(SAMPLE, REGISTRY)
    assert {r.symbol for r in records} == {"BTC-USDT", "ETH-USDT-PERP"}
    assert 55 * S < stamps[-1] - stamps[0] <= 60 * S
    service = MarketDataService(REGISTRY, ReplaySource(SAMPLE, REGISTRY))
    span = stamps[-1] - stamps[0]
    events = [e for t in [*range(0, span, S // 10), span] for e in service.step(t)]
    for symbol in ("BTC-USDT", "ETH-USDT-PERP"):
        recorded = [p for r in records if r.symbol == symbol for p in r.prints]
        assert len(service.recent_trades(symbol, limit=1000)) == len(recorded) > 10
    assert service.book_seq("BTC-USDT") > 100
    for symbol in ("BTC-USDT", "ETH-USDT-PERP"):
        assert service.book(symbol).venues() == ["SIM-A", "SIM-B"]
        assert service.mark(symbol) is not None
    assert {type(e).__name__ for e in events} == {"BookUpdate", "Trade", "MarkPrice", "Ticker"}


def test_a_recording_replays_to_the_books_the_simulator_built(tmp_path):
    path = tmp_path / "rec.jsonl"
    symbols = ["SOL-USDT", "BTC-USDT-PERP"]
    record_sim(path, REGISTRY, symbols=symbols, seconds=3, seed=9, venues=3, interval_ms=20)
    sim = SimulatedMarkets(REGISTRY, seed=9, venues=3, interval_ms=20, symbols=symbols)
    direct = [u for t in range(START_NS, START_NS + 3 * S + 1, 25_000_000) for u in sim.poll(t)]
    source = ReplaySource(path, REGISTRY)
    replayed = source.poll(0) + source.poll(3 * S)  # one pass: the next starts after 3.1 s
    assert sum(len(u.prints) for u in replayed) == sum(len(u.prints) for u in direct) > 10
    assert venue_books(replayed) == venue_books(direct)


def test_the_same_simulation_records_the_same_bytes(tmp_path):
    for name in ("a", "b"):
        record_sim(tmp_path / name, REGISTRY, symbols=["ETH-USDT"], seconds=1)
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "rec.jsonl"
    path.write_text("".join(line + "\n" for line in lines))
    return path


HEAD = '"venue": "X", "symbol": "BTC-USDT"'


def test_replay_keeps_the_recorded_pace_times_the_speed_and_loops(tmp_path):
    path = write(
        tmp_path,
        f'{{"ts_ns": 1000, {HEAD}, "type": "snapshot", "bids": [["100", "1"]]}}',
        "",
        f'{{"ts_ns": {1000 + 2 * S}, {HEAD}, "type": "update", "asks": [["101", "0.5"]]}}',
        f'{{"ts_ns": {1000 + 4 * S}, {HEAD}, "type": "trade", "price": "101", "qty": "0.1", '
        '"side": "BUY"}',
    )
    source = ReplaySource(path, REGISTRY, speed=2)
    assert source.lines == 3
    t0 = 7 * S
    [snapshot] = source.poll(t0)
    assert (snapshot.snapshot, snapshot.prices, snapshot.sizes, snapshot.ts_ns) == (
        True,
        [10_000],
        [100_000],
        t0,
    )
    assert source.poll(t0 + S - 1) == []
    [update] = source.poll(t0 + S)
    assert (update.snapshot, update.sides, update.prices, update.sizes) == (
        False,
        [1],
        [10_100],
        [50_000],
    )
    [trade] = source.poll(t0 + 2 * S)
    assert trade.prices == []
    assert trade.prints[0].ts_ns == t0 + 2 * S
    assert (trade.prints[0].price, trade.prints[0].qty, trade.prints[0].aggressor) == (
        10_100,
        10_000,
        "BUY",
    )
    second_pass = t0 + 2 * S + LOOP_PAUSE_NS
    assert source.poll(second_pass - 1) == []
    clear, again = source.poll(second_pass)
    assert (clear.venue, clear.symbol, clear.snapshot, clear.prices) == ("X", "BTC-USDT", True, [])
    assert (again.snapshot, again.ts_ns) == (True, second_pass)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (f'{{{HEAD}, "type": "update"}}', "ts_ns must be a int"),
        (f'{{"ts_ns": -1, {HEAD}, "type": "update"}}', "non-negative"),
        ('{"ts_ns": 1, "venue": "", "symbol": "BTC-USDT", "type": "update"}', "venue is empty"),
        ('{"ts_ns": 1, "venue": "X", "symbol": "DOGE", "type": "update"}', "unknown symbol"),
        (f'{{"ts_ns": 1, {HEAD}, "type": "quote"}}', "type must be"),
        (f'{{"ts_ns": 1, {HEAD}, "type": "update", "bids": {{}}}}', "bids must be a list"),
        (f'{{"ts_ns": 1, {HEAD}, "type": "update", "bids": [["1"]]}}', "pair of strings"),
        (f'{{"ts_ns": 1, {HEAD}, "type": "update", "bids": [[1, 2]]}}', "pair of strings"),
        (f'{{"ts_ns": 1, {HEAD}, "type": "update", "asks": [["1.001", "1"]]}}', "tick size"),
        (f'{{"ts_ns": 1, {HEAD}, "type": "update", "asks": [["1", "x"]]}}', "not a decimal"),
        (f'{{"ts_ns": 1, {HEAD}, "type": "update", "asks": [["1", "-1"]]}}', "lot size"),
        (f'{{"ts_ns": 1, {HEAD}, "type": "snapshot", "asks": [["1", "0"]]}}', "size 0"),
        (f'{{"ts_ns": 1, {HEAD}, "type": "trade", "price": "1", "qty": "1"}}', "side must be"),
        (
            f'{{"ts_ns": 1, {HEAD}, "type": "trade", "price": "1", "qty": "0", "side": "BUY"}}',
            "lot size",
        ),
        (f'{{"ts_ns": 0, {HEAD}, "type": "update"}}', "back in time"),
    ],
)
def test_a_bad_line_is_reported_with_its_file_and_line_number(tmp_path, line, message):
    path = write(tmp_path, f'{{"ts_ns": 1, {HEAD}, "type": "update"}}', "", line)
    with pytest.raises(ReplayFormatError, match=message) as error:
        ReplaySource(path, REGISTRY)
    assert str(error.value).startswith(f"{path}:3: ")


def test_an_empty_recording_is_refused(tmp_path):
    with pytest.raises(ReplayFormatError, match="no records"):
        ReplaySource(write(tmp_path, ""), REGISTRY)
