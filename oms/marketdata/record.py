"""Record the simulator into the replay format: ``python -m oms.marketdata.record OUT``.

The shipped sample (``oms/marketdata/samples/sample_l2.jsonl``) was made with the defaults
below; the clock starts at a fixed time, so the same arguments write the same bytes.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from oms.marketdata.replay import encode_update
from oms.marketdata.sim import SimulatedMarkets
from oms_core import InstrumentRegistry

START_NS = 1_700_000_000_000_000_000
"""Recording clock at the first line (2023-11-14T22:13:20Z)."""
POLL_NS = 25_000_000


def record_sim(
    path: Path,
    registry: InstrumentRegistry,
    *,
    symbols: Sequence[str],
    seconds: float,
    seed: int = 7,
    venues: int = 3,
    interval_ms: float = 50.0,
) -> int:
    """Write ``seconds`` of simulated ``symbols`` to ``path``; returns the lines written."""
    sim = SimulatedMarkets(
        registry, seed=seed, venues=venues, interval_ms=interval_ms, symbols=symbols
    )
    end_ns = START_NS + int(seconds * 1e9)
    written = 0
    with path.open("wb") as out:
        for now_ns in range(START_NS, end_ns + 1, POLL_NS):
            for update in sim.poll(now_ns):
                lines = encode_update(update, registry.get(update.symbol))
                out.writelines(lines)
                written += len(lines)
    return written


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the JSON-lines file to write")
    parser.add_argument("--symbols", default="BTC-USDT,ETH-USDT-PERP")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--venues", type=int, default=2)
    parser.add_argument("--interval-ms", type=float, default=400.0)
    args = parser.parse_args(argv)
    lines = record_sim(
        args.out,
        InstrumentRegistry.builtin(),
        symbols=args.symbols.split(","),
        seconds=args.seconds,
        seed=args.seed,
        venues=args.venues,
        interval_ms=args.interval_ms,
    )
    print(f"{args.out}: {lines} lines")


if __name__ == "__main__":
    main()
