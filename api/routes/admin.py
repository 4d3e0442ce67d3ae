"""Admin keys only: the kill switch (per account or global) and risk limits."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Final

from starlette.responses import Response

from api.context import ApiContext
from api.errors import ApiError, decode_body
from api.instruments import decimal_text
from api.routing import Call, Endpoint, json_response
from api.schemas import (
    FRACTION_LIMITS,
    LimitsRequest,
    TradingStateRequest,
    limits_decoder,
    trading_state_decoder,
)
from oms.client import ErrorBody, Limits, TradingStateAck
from oms.config import AccountConfig
from oms.events import COMMANDS, GLOBAL_KEY, SetLimits, SetTradingState, encode

_MAX_LIMIT = Decimal(10) ** 18


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _account(api: ApiContext, name: str, field: str = "account") -> AccountConfig:
    config = api.accounts.get(name)
    if config is None:
        raise ApiError("ACCOUNT_NOT_FOUND", f"no account {name[:64]!r}", field)
    return config


async def set_trading_state(call: Call) -> Response:
    api = call.api
    request: TradingStateRequest = decode_body(trading_state_decoder, call.body)
    if request.account is not None:
        _account(api, request.account)
    command = SetTradingState(request.state, request.account, time.time_ns())
    key = request.account if request.account is not None else GLOBAL_KEY
    await api.runtime.bus.publish(COMMANDS, key, encode(command))
    return json_response({"account": request.account, "state": request.state}, 202)


async def get_limits(call: Call) -> Response:
    api = call.api
    config = _account(api, call.request.path_params["account"])
    snapshot = await api.runtime.store.get_snapshot(config.name)
    limits = snapshot.limits if snapshot is not None else config.limits
    return json_response(
        {"account": config.name, "limits": {_camel(k): v for k, v in limits.items()}}
    )


def _limit_text(name: str, value: Decimal | int) -> str:
    if isinstance(value, int):
        return str(value)
    field = _camel(name)
    if not value.is_finite():
        raise ApiError("INVALID_NUMBER", f"{field} must be a finite number", field)
    if not 0 < value < _MAX_LIMIT:
        raise ApiError("INVALID_FIELD", f"{field} must be positive and below 1e18", field)
    if name in FRACTION_LIMITS and value > 1:
        raise ApiError("INVALID_FIELD", f"{field} is a fraction: at most 1", field)
    return decimal_text(value)


async def set_limits(call: Call) -> Response:
    api = call.api
    config = _account(api, call.request.path_params["account"])
    request: LimitsRequest = decode_body(limits_decoder, call.body)
    limits = {
        name: _limit_text(name, value)
        for name in LimitsRequest.__struct_fields__
        if (value := getattr(request, name)) is not None
    }
    if not limits:
        raise ApiError("INVALID_FIELD", "give at least one limit", None)
    command = SetLimits(config.name, limits, time.time_ns())
    await api.runtime.bus.publish(COMMANDS, config.name, encode(command))
    return json_response(
        {"account": config.name, "limits": {_camel(k): v for k, v in limits.items()}}, 202
    )


ENDPOINTS: Final = (
    Endpoint(
        "POST",
        "/v1/admin/trading-state",
        set_trading_state,
        "Kill switch: ACTIVE, REDUCING (reduce-only) or HALTED, per account or global",
        "admin",
        access="admin",
        body=TradingStateRequest,
        answers={202: TradingStateAck, 403: ErrorBody, 404: ErrorBody},
    ),
    Endpoint(
        "GET",
        "/v1/admin/accounts/{account}/limits",
        get_limits,
        "An account's risk limits",
        "admin",
        access="admin",
        answers={200: Limits, 403: ErrorBody, 404: ErrorBody},
    ),
    Endpoint(
        "PATCH",
        "/v1/admin/accounts/{account}/limits",
        set_limits,
        "Change some of an account's risk limits",
        "admin",
        access="admin",
        body=LimitsRequest,
        answers={202: Limits, 403: ErrorBody, 404: ErrorBody},
    ),
)

__all__ = ["ENDPOINTS"]
