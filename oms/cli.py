"""The ``oms`` command: ``oms up`` runs the whole OMS in one process; ``oms serve`` one service.

Every option is also an environment variable (``OMS_`` + the option name in capitals), listed
by ``oms up --help``; options given on the command line win.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Sequence

from oms.config import Settings

_SERVICES = ("api", "processor", "risk", "marketdata")


def _settings_help() -> str:
    lines = ["environment (each option below, and):"]
    for name, f in Settings.model_fields.items():
        lines.append(f"  OMS_{name.upper():<22} {f.description or ''} (default: {f.default})")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oms", description="A Rust-accelerated crypto order management system."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--host", help="address to listen on (OMS_HOST; default 127.0.0.1)")
    common.add_argument("--port", type=int, help="port to listen on (OMS_PORT; default 8000)")
    common.add_argument("--data-dir", help="where the embedded files live (OMS_DATA_DIR)")
    common.add_argument("--accounts-file", help="TOML file of accounts (OMS_ACCOUNTS_FILE)")
    common.add_argument("--marketdata", help="'sim' or 'replay:PATH' (OMS_MARKETDATA)")
    common.add_argument("--log-format", choices=["auto", "json", "text"], help="OMS_LOG_FORMAT")
    sub.add_parser(
        "up",
        parents=[common],
        help="run all four services in one process (embedded bus, SQLite store)",
        description="Run the API, risk engine, order processor and market data in one "
        "process, on the in-process bus and a SQLite file, and serve the dashboard.",
        epilog=_settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve = sub.add_parser(
        "serve",
        parents=[common],
        help="run one service against the configured bus, store and idempotency servers",
        description="Run one service as its own process (distributed mode). Needs a bus "
        "every process can reach: OMS_BUS=kafka://HOST:PORT.",
        epilog=_settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("service", choices=_SERVICES)
    return parser


def _apply(args: argparse.Namespace) -> Settings:
    for option in ("host", "port", "data_dir", "accounts_file", "marketdata", "log_format"):
        value = getattr(args, option, None)
        if value is not None:
            os.environ[f"OMS_{option.upper()}"] = str(value)
    return Settings()


async def _up(settings: Settings) -> None:
    from granian.constants import Interfaces
    from granian.server.embed import Server

    from api.app import create_app
    from oms.runtime import create_runtime

    async with create_runtime(settings) as runtime:
        app = create_app(settings, runtime)
        server = Server(
            app,
            address=settings.host,
            port=settings.port,
            interface=Interfaces.ASGI,  # the app's lifespan starts its WebSocket gateway
            websockets=True,
            log_enabled=False,
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, server.stop)
        _banner(settings, runtime.accounts)
        await server.serve()
        print("oms: stopping (finishing work in hand, flushing the store)", file=sys.stderr)


def _banner(settings: Settings, accounts: Sequence[object]) -> None:
    from oms.config import AccountConfig

    url = f"http://{settings.host}:{settings.port}"
    lines = [
        "",
        f"  OMS is up (embedded): dashboard {url}/",
        f"  API docs              {url}/docs   (OpenAPI: {url}/openapi.json)",
        f"  data                  {settings.data_dir}/ (accounts: {settings.accounts_path})",
    ]
    for a in accounts:
        if isinstance(a, AccountConfig):
            lines.append(f"  {a.role:<7} {a.name:<13} key {a.api_key}  secret {a.api_secret}")
    lines += ["  Ctrl-C stops it; starting again recovers every order and position.", ""]
    print("\n".join(lines), flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = _apply(args)
    from oms import logs

    logs.configure(settings.log_format, settings.log_level)
    if args.command == "serve":
        if not settings.bus.startswith("kafka://"):
            print(
                f"oms serve {args.service}: separate processes need a shared bus; set "
                f"OMS_BUS=kafka://HOST:PORT (got {settings.bus!r}). `oms up` runs everything "
                "in one process instead.",
                file=sys.stderr,
            )
            return 2
        print("oms serve: the Kafka bus adapter is not part of this build yet", file=sys.stderr)
        return 2
    import uvloop

    uvloop.run(_up(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
