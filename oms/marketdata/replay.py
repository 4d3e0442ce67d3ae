"""Recorded venue feeds: the JSON-lines format and the source that replays it.

One JSON object per line, in time order (``ts_ns`` never decreases), prices and quantities as
decimal strings on the instrument's grid::

    {"ts_ns": 1700000000000000000, "venue": "SIM-A", "symbol": "BTC-USDT", "type": "snapshot",
     "bids": [["59999.99", "0.5"]], "asks": [["60000.01", "0.25"]]}
    {"ts_ns": 1700000000050000000, "venue": "SIM-A", "symbol": "BTC-USDT", "type": "update",
     "bids": [["59999.99", "0"]], "asks": []}
    {"ts_ns": 1700000000050000000, "venue": "SIM-A", "symbol": "BTC-USDT", "type": "trade",
     "price": "60000.01", "qty": "0.01", "side": "BUY"}

- ``snapshot`` replaces the venue's book of the symbol; ``update`` sets levels (size ``0``
  deletes one); either may omit ``bids`` or ``asks``. Bids apply before asks, so a line must
  describe a book that is uncrossed once the whole line is applied.
- ``trade`` is a print; ``side`` is the aggressor's (``BUY`` lifts the offer).

The file is read and checked once, when the source is created: a bad line stops start-up with
its line number. The replay keeps the recorded gaps between lines divided by ``speed``, and
starts over after the last line (and ``LOOP_PAUSE_NS``), first clearing every book it wrote to.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import orjson

from oms.marketdata.source import VenuePrint, VenueUpdate
from oms_core import ASK, BID, Instrument, InstrumentRegistry, OmsError

LOOP_PAUSE_NS = 100_000_000
"""Replay time between the last line and the start of the next pass."""

_BOOK_TYPES = {"snapshot": True, "update": False}
_SIDES = ("BUY", "SELL")


class ReplayFormatError(ValueError):
    """A line of a recording is not in the format described in ``oms.marketdata.replay``."""


class ReplaySource:
    """The ``MarketSource`` of a recording, replayed in a loop.

    Args:
        path: the JSON-lines file.
        registry: the instruments the recording's symbols must belong to.
        speed: replay speed; 2 replays a minute of recording in 30 seconds.
    """

    def __init__(self, path: Path, registry: InstrumentRegistry, *, speed: float = 1.0) -> None:
        if not speed > 0:
            raise ValueError(f"replay speed must be positive, not {speed}")
        records, stamps = read_recording(path, registry)
        t0 = stamps[0]
        self._records = records
        self._offsets = [int((ts - t0) / speed) for ts in stamps]
        self._cycle_ns = self._offsets[-1] + LOOP_PAUSE_NS
        self._feeds = sorted({(r.venue, r.symbol) for r in records if r.prices or r.snapshot})
        self._index = 0
        self._passes = 0
        self._pass_start_ns: int | None = None

    @property
    def lines(self) -> int:
        """Records in the recording (one per line)."""
        return len(self._records)

    def poll(self, now_ns: int) -> list[VenueUpdate]:
        if self._pass_start_ns is None:
            self._pass_start_ns = now_ns
        out: list[VenueUpdate] = []
        while True:
            due = self._pass_start_ns + self._offsets[self._index]
            if due > now_ns:
                return out
            if self._index == 0 and self._passes:
                out += [VenueUpdate(v, s, due, snapshot=True) for v, s in self._feeds]
            out.append(_retimed(self._records[self._index], due))
            self._index += 1
            if self._index == len(self._records):
                self._index = 0
                self._passes += 1
                self._pass_start_ns += self._cycle_ns


def _retimed(record: VenueUpdate, ts_ns: int) -> VenueUpdate:
    prints = [dataclasses.replace(p, ts_ns=ts_ns) for p in record.prints]
    return dataclasses.replace(record, ts_ns=ts_ns, prints=prints)


def read_recording(path: Path, registry: InstrumentRegistry) -> tuple[list[VenueUpdate], list[int]]:
    """Every line of a recording as an update, and the lines' ``ts_ns``.

    Raises:
        ReplayFormatError: naming the file and line of the first bad line.
    """
    records: list[VenueUpdate] = []
    stamps: list[int] = []
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = _parse(line, registry)
            except (ValueError, OmsError) as exc:
                raise ReplayFormatError(f"{path}:{number}: {exc}") from None
            if stamps and record.ts_ns < stamps[-1]:
                raise ReplayFormatError(f"{path}:{number}: ts_ns goes back in time")
            records.append(record)
            stamps.append(record.ts_ns)
    if not records:
        raise ReplayFormatError(f"{path}: no records")
    return records, stamps


def _parse(line: bytes, registry: InstrumentRegistry) -> VenueUpdate:
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    ts_ns = _field(obj, "ts_ns", int)
    venue = _field(obj, "venue", str)
    symbol = _field(obj, "symbol", str)
    kind = _field(obj, "type", str)
    if isinstance(ts_ns, bool) or ts_ns < 0:
        raise ValueError("ts_ns must be a non-negative integer")
    if not venue:
        raise ValueError("venue is empty")
    if symbol not in registry:
        raise ValueError(f"unknown symbol {symbol!r}")
    inst = registry.get(symbol)
    if kind == "trade":
        side = _field(obj, "side", str)
        if side not in _SIDES:
            raise ValueError(f"side must be BUY or SELL, not {side!r}")
        price = inst.price_to_ticks(_field(obj, "price", str))
        qty = inst.qty_to_lots(_field(obj, "qty", str))
        return VenueUpdate(venue, symbol, ts_ns, prints=[VenuePrint(price, qty, side, ts_ns)])
    if kind not in _BOOK_TYPES:
        raise ValueError(f"type must be snapshot, update or trade, not {kind!r}")
    snapshot = _BOOK_TYPES[kind]
    update = VenueUpdate(venue, symbol, ts_ns, snapshot=snapshot)
    for side, name in ((BID, "bids"), (ASK, "asks")):
        levels = obj.get(name, [])
        if not isinstance(levels, list):
            raise ValueError(f"{name} must be a list of [price, size] pairs")
        for level in levels:
            price, size = _level(inst, level, name)
            if snapshot and size == 0:
                raise ValueError(f"a snapshot level has size 0 in {name}")
            update.sides.append(side)
            update.prices.append(price)
            update.sizes.append(size)
    return update


def _field(obj: dict[str, Any], name: str, kind: type[Any]) -> Any:
    value = obj.get(name)
    if not isinstance(value, kind):
        raise ValueError(f"{name} must be a {kind.__name__}, not {value!r}")
    return value


def _level(inst: Instrument, level: object, name: str) -> tuple[int, int]:
    if not (isinstance(level, list) and len(level) == 2 and all(isinstance(x, str) for x in level)):
        raise ValueError(f"{name} entry {level!r} is not a [price, size] pair of strings")
    price, size = level
    try:
        zero = Decimal(size) == 0
    except InvalidOperation:
        raise ValueError(f"size {size!r} in {name} is not a decimal number") from None
    return inst.price_to_ticks(price), 0 if zero else inst.qty_to_lots(size)


def encode_update(update: VenueUpdate, instrument: Instrument) -> list[bytes]:
    """The lines recording ``update``: its levels (if any, or a snapshot), then its prints."""
    price, qty = instrument.ticks_to_price, instrument.lots_to_qty
    head = {"ts_ns": update.ts_ns, "venue": update.venue, "symbol": update.symbol}
    lines = []
    if update.prices or update.snapshot:
        book: dict[int, list[list[str]]] = {BID: [], ASK: []}
        for side, ticks, lots in zip(update.sides, update.prices, update.sizes, strict=True):
            book[side].append([str(price(ticks)), str(qty(lots)) if lots else "0"])
        kind = "snapshot" if update.snapshot else "update"
        lines.append({**head, "type": kind, "bids": book[BID], "asks": book[ASK]})
    for p in update.prints:
        trade = {"price": str(price(p.price)), "qty": str(qty(p.qty)), "side": p.aggressor}
        lines.append({**head, "ts_ns": p.ts_ns, "type": "trade", **trade})
    return [orjson.dumps(line) + b"\n" for line in lines]


__all__ = ["LOOP_PAUSE_NS", "ReplayFormatError", "ReplaySource", "encode_update", "read_recording"]
