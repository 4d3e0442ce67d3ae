"""The ``oms`` command: ``oms up`` runs the whole OMS in one process; ``oms serve`` one service.

Every option is also an environment variable (``OMS_`` + the option name in capitals), listed
by ``oms up --help``; options given on the command line win.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Sequence

from oms.config import Settings
from oms.runtime import ROLES, Role


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
    up = sub.add_parser(
        "up",
        parents=[common],
        help="run all four services in one process (embedded bus, SQLite store)",
        description="Run the API, risk engine, order processor and market data in one "
        "process, on the in-process bus and a SQLite file, and serve the dashboard.",
        epilog=_settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    up.add_argument(
        "--distributed",
        action="store_true",
        help="run each service as its own process on the configured servers "
        "(OMS_BUS=kafka://…, OMS_STORE=mongodb://…, OMS_IDEMPOTENCY=redis://…)",
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
    serve.add_argument("service", choices=ROLES)
    return parser


def _apply(args: argparse.Namespace) -> Settings:
    for option in ("host", "port", "data_dir", "accounts_file", "marketdata", "log_format"):
        value = getattr(args, option, None)
        if value is not None:
            os.environ[f"OMS_{option.upper()}"] = str(value)
    return Settings()


def _offer_demo_login(settings: Settings) -> Settings:
    """``oms up`` offers the dashboard's demo sign-in when the accounts file is the demo one it
    writes (absent yet, or still marked as such); an explicit OMS_DEMO_LOGIN wins."""
    from oms.config import DEMO_ACCOUNTS_MARK

    if "OMS_DEMO_LOGIN" in os.environ:
        return settings
    path = settings.accounts_path
    if path.exists():
        with path.open(encoding="utf-8", errors="replace") as f:
            if f.readline().rstrip("\n") != DEMO_ACCOUNTS_MARK:
                return settings
    os.environ["OMS_DEMO_LOGIN"] = "true"  # the distributed children inherit it
    return Settings()


async def _serve(settings: Settings, roles: Sequence[Role]) -> None:
    """Run ``roles`` in this process and serve HTTP until SIGINT/SIGTERM: the API when it is
    one of them, else the probe routes (health, readiness, metrics)."""
    from granian.constants import Interfaces
    from granian.server.embed import Server

    from api.app import create_app
    from oms.probes import create_probe_app
    from oms.runtime import create_runtime

    async with create_runtime(settings, roles) as runtime:
        if "api" in roles:
            app = create_app(settings, runtime)
        else:
            app = create_probe_app(runtime.ready, "+".join(roles))
        server = Server(
            app,
            address=settings.host,
            port=settings.port,
            interface=Interfaces.ASGI,  # the lifespan starts the API's WebSocket gateway
            websockets="api" in roles,
            log_enabled=False,
            # granian's default (128 of each) leaves requests on more connections unserved.
            backlog=2048,
            backpressure=1024,
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, server.stop)
        if len(roles) == len(ROLES):
            _banner(settings, runtime.accounts)
        else:
            print(f"oms serve {'+'.join(roles)}: http://{settings.host}:{settings.port}/readyz",
                  flush=True)  # fmt: skip
        await server.serve()
        print("oms: stopping (finishing work in hand, flushing the store)", file=sys.stderr)


def _up_distributed(settings: Settings) -> int:
    """One child process per service (API on OMS_PORT, the others on the next ports), all on
    the configured servers; Ctrl-C stops them all."""
    from oms.runtime import ensure_accounts

    ensure_accounts(settings)  # once, here: four processes would each write different secrets
    children: list[subprocess.Popen[bytes]] = []
    for i, role in enumerate(("marketdata", "risk", "processor", "api")):
        port = settings.port if role == "api" else settings.port + 1 + i
        env = {**os.environ, "OMS_PORT": str(port)}
        children.append(
            subprocess.Popen([sys.executable, "-m", "oms", "serve", role], env=env)  # noqa: S603
        )

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    codes = [child.wait() for child in children]
    return max(codes, default=0)


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
    import uvloop

    from oms.runtime import UnsupportedBackendError

    if args.command == "up":
        settings = _offer_demo_login(settings)
    if args.command == "up" and args.distributed:
        return _up_distributed(settings)
    roles: Sequence[Role] = ROLES if args.command == "up" else (args.service,)
    try:
        uvloop.run(_serve(settings, roles))
    except UnsupportedBackendError as exc:
        print(f"oms: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
