"""The dashboard's one-click demo sign-in: the demo trader's key, for this machine only.

Answered only when the setting ``demo_login`` is on (``oms up`` turns it on when it wrote the
demo accounts file itself), only to loopback clients that also name a loopback host (so a web
page on another site cannot reach it through DNS rebinding), and only for the trader named
``demo``; 404 ``NOT_FOUND`` in every other case, exactly like a route that does not exist.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from api.errors import ApiError
from api.routing import Call, Endpoint, json_response
from oms.client import ErrorBody, Model

DEMO_ACCOUNT = "demo"
LOOPBACK_CLIENTS: Final = frozenset({"127.0.0.1", "::1"})
LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "[::1]"})


class DemoLogin(Model, frozen=True):
    """The demo trader's credentials; the browser signs its requests with them."""

    account: str
    api_key: str
    api_secret: str


def _from_this_machine(request: Request) -> bool:
    client = request.client
    host = request.headers.get("host", "")
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return client is not None and client.host in LOOPBACK_CLIENTS and name in LOOPBACK_HOSTS


async def demo_login(call: Call) -> Response:
    api = call.api
    if api.settings.demo_login and _from_this_machine(call.request):
        demo = api.accounts.get(DEMO_ACCOUNT)
        if demo is not None and demo.role == "trader":
            return json_response(
                {"account": demo.name, "apiKey": demo.api_key, "apiSecret": demo.api_secret},
                headers={"Cache-Control": "no-store"},
            )
    raise ApiError("NOT_FOUND", "no such route")


ENDPOINTS: Final = (
    Endpoint(
        "GET",
        "/v1/demo/login",
        demo_login,
        "The demo trader's key, for the dashboard's one-click sign-in",
        "demo",
        access="public",
        answers={200: DemoLogin, 404: ErrorBody},
        description="Only in embedded demo mode (`OMS_DEMO_LOGIN`, which `oms up` turns on "
        "when it wrote the demo accounts file itself) and only to clients on this machine "
        "(loopback address and loopback Host header); 404 `NOT_FOUND` otherwise.",
    ),
)

__all__ = ["DEMO_ACCOUNT", "ENDPOINTS", "DemoLogin"]
