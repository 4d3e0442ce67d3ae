"""A fuzz target for ``oms_core``'s decoding and its order state machine, and for the bus's
event decoding: any input may be refused, but only with the documented errors, and what is
accepted keeps the invariants.

``one_input(data)`` is the target. ``python -m tests.adversarial.fuzz_core [libFuzzer
flags] CORPUS_DIR`` runs it under atheris (coverage-guided on the Python side; the Rust code
is exercised but not instrumented); ``tests/adversarial/test_fuzz_core.py`` replays the
committed corpus and runs the fuzzer for a bounded time.

Properties:
- ``InstrumentRegistry.from_json`` refuses bad files with ``InvalidConfig`` (an ``OmsError``);
- price and quantity text either parses exactly (and prints back to the same atoms) or is
  refused with an ``OmsError``, never rounded, never a panic;
- the ``OrderTable``, driven by any sequence of events, refuses a disallowed one with an
  ``OmsError`` and changes nothing; an applied one bumps ``seq`` by exactly one; terminal
  states never change; ``cum_qty`` never exceeds ``qty`` and ``leaves_qty`` is what is left;
- ``oms.events`` decoders refuse junk with ``msgspec`` errors only.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable

import msgspec

import oms_core as core
from oms.events import command_decoder, event_decoder

REGISTRY = core.InstrumentRegistry.builtin()
SYMBOLS = REGISTRY.symbols()
TERMINAL = {"FILLED", "CANCELED", "REJECTED", "EXPIRED"}
SIDES = (core.Side.BUY, core.Side.SELL)
TYPES = (core.OrderType.LIMIT, core.OrderType.MARKET, core.OrderType.STOP_MARKET,
         core.OrderType.STOP_LIMIT)  # fmt: skip
TIFS = (core.TimeInForce.GTC, core.TimeInForce.IOC, core.TimeInForce.FOK, core.TimeInForce.GTX)


class Bytes:
    """Reads small numbers off the fuzzer's input; zeros once it runs out."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def byte(self) -> int:
        if self.at >= len(self.data):
            return 0
        self.at += 1
        return self.data[self.at - 1]

    def int(self, size: int = 2) -> int:
        return int.from_bytes(bytes(self.byte() for _ in range(size)), "little")

    def rest(self) -> bytes:
        return self.data[self.at :]

    @property
    def done(self) -> bool:
        return self.at >= len(self.data)


def registry_json(data: Bytes) -> None:
    text = data.rest().decode("utf-8", "replace")
    try:
        registry = core.InstrumentRegistry.from_json(text)
    except core.InvalidConfig:
        return
    for symbol in registry.symbols():
        assert registry.get(symbol).symbol == symbol


def numbers(data: Bytes) -> None:
    instrument = REGISTRY.get(SYMBOLS[data.byte() % len(SYMBOLS)])
    text = data.rest().decode("utf-8", "replace")
    for parse, show in (
        (instrument.price_to_ticks, instrument.ticks_to_price),
        (instrument.qty_to_lots, instrument.lots_to_qty),
    ):
        try:
            atoms = parse(text)
        except core.OmsError:
            continue
        assert atoms > 0, (text, atoms)
        assert parse(str(show(atoms))) == atoms, text


def state_machine(data: Bytes) -> None:
    table = core.OrderTable()
    qty = 1 + data.int() % 1000
    order_type = TYPES[data.byte() % 4]
    price = 0 if order_type in (core.OrderType.MARKET, core.OrderType.STOP_MARKET) else 100
    stop = 100 if order_type in (core.OrderType.STOP_MARKET, core.OrderType.STOP_LIMIT) else 0
    try:
        table.add(1, "c", 0, 0, SIDES[data.byte() % 2], order_type, TIFS[data.byte() % 4], qty,
                  price, stop)  # fmt: skip
    except core.OmsError:  # e.g. a post-only market order
        return
    steps: list[Callable[[], object]] = [
        lambda: table.risk_accept(1),
        lambda: table.risk_reject(1, 1 + data.byte() % 20),
        lambda: table.venue_ack(1),
        lambda: table.venue_reject(1, 1),
        lambda: table.cancel_request(1),
        lambda: table.cancel_ack(1),
        lambda: table.cancel_reject(1),
        lambda: table.replace_request(1, 1 + data.int() % 1200, 1 + data.int() % 500),
        lambda: table.replace_ack(1),
        lambda: table.replace_reject(1),
        lambda: table.expire(1),
        lambda: table.trigger_stop(1),
        lambda: table.fill(1, f"x{data.byte() % 8}", 1 + data.int() % 600, 1 + data.byte()),
    ]
    while not data.done:
        before = table.get(1)
        assert before is not None
        step = steps[data.byte() % len(steps)]
        try:
            outcome = step()
        except core.OmsError:
            after = table.get(1)
            assert after is not None
            assert (after.seq, after.status, after.cum_qty) == (
                before.seq,
                before.status,
                before.cum_qty,
            )
            continue
        after = table.get(1)
        assert after is not None
        if outcome == core.Applied.DUPLICATE:
            assert after.seq == before.seq
            continue
        assert after.seq == before.seq + 1
        if str(before.status) in TERMINAL:
            assert after.status == before.status, (before.status, after.status)
            assert after.late_fill
        assert 0 <= after.cum_qty <= after.qty
        if str(after.status) in TERMINAL:
            assert after.leaves_qty == 0
        else:
            assert after.leaves_qty == after.qty - after.cum_qty


def events(data: Bytes) -> None:
    raw = data.rest()
    for decoder in (command_decoder, event_decoder):
        with contextlib.suppress(msgspec.DecodeError, UnicodeDecodeError):
            decoder.decode(raw)


TARGETS = (registry_json, numbers, state_machine, events)


def one_input(raw: bytes) -> None:
    """The fuzz target: the first byte picks a property, the rest drives it."""
    data = Bytes(raw)
    TARGETS[data.byte() % len(TARGETS)](data)


def main() -> None:
    import atheris

    # Coverage of our side guides the search (instrumenting every loaded module costs ~30 s).
    for function in (*TARGETS, one_input, Bytes.byte, Bytes.int):
        atheris.instrument_func(function)
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
