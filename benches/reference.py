"""The reference: a bare signed ``POST /v1/orders`` on the same HTTP stack as the OMS.

It does what every order request costs before any OMS work: granian + uvloop + Starlette,
the same signature check (``api.auth``), a msgspec decode of the body, an append to a list
and a 202 answer. Whatever the OMS reaches is compared with what this reaches in the same run
on the same machine (``python -m benches.loadgen --mode reference``), so the ratio says how
much of the HTTP stack's ceiling the OMS keeps.

``GET /v1/markets`` and ``GET /v1/markets/{symbol}/ticker`` answer from the instrument
registry with a fixed mid, so the generator can plan its orders as it does against the OMS.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from decimal import Decimal
from pathlib import Path

import msgspec
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.auth import Authenticator
from api.errors import ApiError
from oms.config import load_accounts
from oms_core import InstrumentRegistry

# Mid prices the generator plans around: any price on the tick grid would do.
_MIDS = {"BTC": "60000", "ETH": "3000", "SOL": "150"}


class _Order(msgspec.Struct, forbid_unknown_fields=False):
    symbol: str
    side: str
    type: str
    quantity: str
    price: str | None = None
    clientOrderId: str | None = None  # noqa: N815 (the wire name)


_decode = msgspec.json.Decoder(_Order).decode


def create_app(accounts_file: Path, window_s: float = 5.0) -> Starlette:
    auth = Authenticator(load_accounts(accounts_file), window_s)
    registry = InstrumentRegistry.builtin()
    book: list[_Order] = []

    def json(status: int, body: object) -> Response:
        return Response(orjson.dumps(body), status, media_type="application/json")

    async def place(request: Request) -> Response:
        body = await request.body()
        target = request.url.path.encode()
        if request.url.query:
            target += b"?" + request.url.query.encode()
        headers = request.headers
        try:
            auth.verify(
                headers.get("x-oms-key"),
                headers.get("x-oms-timestamp"),
                headers.get("x-oms-signature"),
                request.method,
                target,
                body,
            )
            order = _decode(body)
        except ApiError as exc:
            return json(401, {"code": exc.code, "message": exc.message})
        except msgspec.DecodeError as exc:
            return json(400, {"code": "INVALID_REQUEST", "message": str(exc)})
        book.append(order)
        return json(202, {"orderId": str(len(book)), "status": "PENDING_NEW"})

    def market(symbol: str) -> dict[str, str]:
        inst = registry.get(symbol)
        return {
            "symbol": symbol,
            "tickSize": str(inst.tick_size),
            "lotSize": str(inst.lot_size),
            "minQty": str(inst.min_qty),
            "minNotional": str(inst.min_notional),
        }

    async def markets(_request: Request) -> Response:
        return json(200, {"markets": [market(s) for s in registry.symbols()]})

    async def ticker(request: Request) -> Response:
        symbol = request.path_params["symbol"]
        inst = registry.get(symbol)
        mid = Decimal(_MIDS.get(inst.base, "100"))
        tick = inst.tick_size
        return json(200, {"symbol": symbol, "bid": str(mid - tick), "ask": str(mid + tick)})

    async def healthz(_request: Request) -> Response:
        return json(200, {"status": "ok"})

    return Starlette(
        routes=[
            Route("/v1/orders", place, methods=["POST"]),
            Route("/v1/markets", markets),
            Route("/v1/markets/{symbol}/ticker", ticker),
            Route("/healthz", healthz),
        ]
    )


async def serve(accounts_file: Path, host: str, port: int) -> None:
    from granian.constants import Interfaces
    from granian.server.embed import Server

    server = Server(
        create_app(accounts_file),
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        websockets=False,
        log_enabled=False,
        backlog=2048,
        backpressure=1024,
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, server.stop)
    print(f"reference: http://{host}:{port}/healthz", flush=True)
    await server.serve()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benches.reference", description=__doc__)
    parser.add_argument("--accounts", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args(argv)
    import gc

    import uvloop

    gc.freeze()
    uvloop.run(serve(args.accounts, args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
