"""The OpenAPI 3.1 document, generated from the route table and the msgspec models.

``python -m api.openapi > api/openapi.json`` writes the committed copy; a test fails when the
two differ, so the published contract always matches the code.
"""

from __future__ import annotations

import inspect
import re
import sys
from typing import Any

import msgspec
import orjson

from api.errors import ERRORS
from api.routes import ENDPOINTS
from api.routing import JSON, Endpoint
from oms.client import ErrorBody

TITLE = "OMS API"
VERSION = "1.0.0"

_SIGNED: list[dict[str, list[str]]] = [{"OmsKey": [], "OmsTimestamp": [], "OmsSignature": []}]
_PATH_PARAM = re.compile(r"{(\w+)}")

_RETRY_AFTER: dict[str, Any] = {
    "description": "Seconds to wait before retrying.",
    "schema": {"type": "integer", "minimum": 1},
}


def _order_links(*operations: str) -> dict[str, Any]:
    """Links from an answer that is an order to the operations on that order."""
    return {
        op.title().replace("_", ""): {
            "operationId": op,
            "parameters": {"orderId": "$response.body#/orderId"},
        }
        for op in operations
    }


_LINKS: dict[str, dict[str, dict[str, Any]]] = {
    # The order's life: place → get → amend → cancel (clients and stateful testers follow them).
    "place_order": {
        "200": _order_links("get_order", "amend_order", "cancel_order"),
        "202": _order_links("get_order", "amend_order", "cancel_order"),
    },
    "get_order": {"200": _order_links("amend_order", "cancel_order")},
    "amend_order": {"202": _order_links("get_order", "cancel_order")},
    "cancel_order": {"202": _order_links("get_order")},
}

_INTRO = """The Order Ingestion API of the OMS: signed REST and a WebSocket stream.

Signed requests carry `X-OMS-KEY`, `X-OMS-TIMESTAMP` (milliseconds since the epoch) and
`X-OMS-SIGNATURE` = lowercase hex HMAC-SHA256(secret, timestamp + METHOD + path_with_query + body).
Order ids are decimal strings; prices and quantities are decimal strings in answers and decimal
strings or JSON numbers in requests. The WebSocket stream (`/v1/stream`) is described in
`docs/API.md`.

Every error answers `{"code", "message", "field"}` with one of these codes:

| code | status | meaning |
|---|---|---|
"""


def _error_table() -> str:
    rows = (f"| `{code}` | {spec.status} | {spec.meaning} |" for code, spec in ERRORS.items())
    return _INTRO + "\n".join(rows) + "\n"


def _models() -> list[type]:
    models: list[type] = [ErrorBody]
    for endpoint in ENDPOINTS:
        for model in (endpoint.body, *endpoint.answers.values()):
            if model is not None and model not in models:
                models.append(model)
    return models


def _operation(endpoint: Endpoint, refs: dict[type, dict[str, Any]]) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAM.findall(endpoint.path)
    ]
    parameters += [
        {
            "name": q.name,
            "in": "query",
            "required": False,
            "description": q.description,
            "schema": {"type": q.kind},
        }
        for q in endpoint.query
    ]
    operation: dict[str, Any] = {
        "operationId": endpoint.handler.__name__,
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
    }
    if endpoint.description:
        operation["description"] = endpoint.description
    if parameters:
        operation["parameters"] = parameters
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {JSON: {"schema": refs[endpoint.body]}},
        }
    responses: dict[str, Any] = {}
    for code, model in sorted(endpoint.answers.items()):
        content_schema = refs[model] if model is not None else {}
        description = "error" if model is ErrorBody else "success"
        media = JSON if model is not None else endpoint.media_type
        responses[str(code)] = {
            "description": description,
            "content": {media: {"schema": content_schema}},
        }
    errors = {"400": "invalid input"}
    if endpoint.access != "public":
        errors |= {"401": "not authenticated", "413": "body too large", "503": "retry later"}
    if endpoint.access == "admin":
        errors["403"] = "not an admin key"
    if endpoint.rate_limited:
        errors["429"] = "rate limited: retry after Retry-After seconds"
    for status, description in errors.items():
        responses.setdefault(
            status, {"description": description, "content": {JSON: {"schema": refs[ErrorBody]}}}
        )
    if "429" in responses:
        responses["429"]["headers"] = {"Retry-After": _RETRY_AFTER}
    for status, links in _LINKS.get(operation["operationId"], {}).items():
        responses[status]["links"] = links
    operation["responses"] = dict(sorted(responses.items()))
    if endpoint.access != "public":
        operation["security"] = _SIGNED
    return operation


def document() -> dict[str, Any]:
    """The OpenAPI document as a dict."""
    models = _models()
    schemas, components = msgspec.json.schema_components(
        models, ref_template="#/components/schemas/{name}"
    )
    refs = dict(zip(models, schemas, strict=True))
    for component in components.values():
        if "description" in component:  # a docstring, indented after its first line
            component["description"] = inspect.cleandoc(component["description"])
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in ENDPOINTS:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "description": _error_table()},
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {
                "OmsKey": {"type": "apiKey", "in": "header", "name": "X-OMS-KEY"},
                "OmsTimestamp": {"type": "apiKey", "in": "header", "name": "X-OMS-TIMESTAMP"},
                "OmsSignature": {"type": "apiKey", "in": "header", "name": "X-OMS-SIGNATURE"},
            },
        },
    }


def render() -> bytes:
    """The document as committed in ``api/openapi.json``."""
    return orjson.dumps(document(), option=orjson.OPT_INDENT_2) + b"\n"


if __name__ == "__main__":
    sys.stdout.buffer.write(render())
