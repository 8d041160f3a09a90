"""The REST gateway: JSON in, JSON out, same HMAC-SM3 authentication and error codes as gRPC.

Auth headers are the gRPC metadata names (x-ehc-terminal, x-ehc-timestamp, x-ehc-nonce,
x-ehc-signature); the signed method is ``"<HTTP method> <path>"`` and the body digest covers the
raw HTTP body. Errors: HTTP status + ``{"code", "number", "message", "field"}``; bad input is
never a 500.
"""

from __future__ import annotations

import inspect
import json
import logging
import math
import re
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.routing import APIRoute
from google.protobuf import json_format
from google.protobuf.message import Message
from starlette.concurrency import run_in_threadpool

from ehc.errors import EhcError
from ehc.spec.identifiers import mask_id
from reference_node.auth import Authenticator
from reference_node.errors import FIELD_BAD_FORMAT, INTERNAL, http_status
from reference_node.gateway.limits import BodyLimit
from reference_node.gateway.schema import message_schema
from reference_node.node import Node
from reference_node.observability import CONTENT_TYPE as METRICS_CONTENT_TYPE
from reference_node.observability import log
from reference_node.proto.ehc.node.v1 import issuance_pb2, main_index_pb2, usage_pb2, verification_pb2
from reference_node.services import issuance, main_index, usage, verification

LOG = logging.getLogger("reference_node")

#: path, operation, request and response message classes, summary
ROUTES: list[tuple[str, Callable[..., Any], type[Message], type[Message], str]] = [
    ("/v1/register", issuance.register, issuance_pb2.RegisterRequest, issuance_pb2.RegisterResponse, "Register (find or create the main index, issue the e-card)"),
    ("/v1/newborn", issuance.register_newborn, issuance_pb2.RegisterNewbornRequest, issuance_pb2.RegisterResponse, "Temporary card for a newborn"),
    ("/v1/qr", issuance.get_qr_code, issuance_pb2.GetQrCodeRequest, issuance_pb2.GetQrCodeResponse, "Get a static or dynamic QR code"),
    ("/v1/cards/suspend", issuance.suspend, issuance_pb2.CardActionRequest, issuance_pb2.CardResponse, "Suspend a card"),
    ("/v1/cards/resume", issuance.resume, issuance_pb2.CardActionRequest, issuance_pb2.CardResponse, "Resume a card"),
    ("/v1/cards/cancel", issuance.cancel, issuance_pb2.CardActionRequest, issuance_pb2.CardResponse, "Cancel a card"),
    ("/v1/cards/get", issuance.get_card, issuance_pb2.GetCardRequest, issuance_pb2.CardResponse, "Get a card"),
    ("/v1/verify/qr", verification.verify_qr, verification_pb2.VerifyQrRequest, verification_pb2.VerifyResponse, "Verify a QR code"),
    ("/v1/verify/chip", verification.verify_chip_card, verification_pb2.VerifyChipCardRequest, verification_pb2.VerifyResponse, "Verify a resident health card"),
    ("/v1/usage", usage.report, usage_pb2.UsageRecord, usage_pb2.ReportAck, "Report a card use (durable before the answer)"),
    ("/v1/resolve", main_index.resolve, main_index_pb2.ResolveRequest, main_index_pb2.ResolveResponse, "Resolve any medium to a person"),
]  # fmt: skip


HTTP_EXTENSIONS: list[Callable[[Node, Authenticator], APIRouter]] = []


def register_http(factory: Callable[[Node, Authenticator], APIRouter]) -> None:
    """Add routes of an extension (``factory(node, authenticator) -> APIRouter``)."""
    HTTP_EXTENSIONS.append(factory)


# REL-F20: the JSON parser's message quotes what it could not place: a key (an ID number used as a
# field name, at any depth) or a value (an ID number given as an enum). Those parts are masked.
_QUOTED_KEY = re.compile(r'(no field named )"([^"]*)"')
_ENUM_VALUE = re.compile(r"(Invalid enum value )(.*?)( for enum type)")
_DIGITS_RUN = re.compile(r"[0-9A-Za-z]*[0-9][0-9A-Za-z]*")


def parser_message(exc: Exception) -> str:
    """The parser's message without any value the client sent in full (≤ 200 characters)."""
    text = str(exc).split("\n", 1)[0]
    text = _QUOTED_KEY.sub(lambda m: f'{m.group(1)}"{mask_id(m.group(2))}"', text)
    text = _ENUM_VALUE.sub(lambda m: f"{m.group(1)}{mask_id(m.group(2))}{m.group(3)}", text)
    text = _DIGITS_RUN.sub(
        lambda m: mask_id(m.group()) if sum(c.isdigit() for c in m.group()) >= 6 else m.group(), text
    )
    return text[:200]


def _error(err: EhcError) -> JSONResponse:
    body = {"code": err.code.name, "number": err.code.number, "message": err.message}
    if err.detail.get("field"):
        body["field"] = str(err.detail["field"])
    headers = None
    retry_after = err.detail.get("retry_after_s")
    if isinstance(retry_after, int | float | str):  # NODE_RATE_LIMITED: whole seconds, rounded up (RFC 9110)
        headers = {"Retry-After": str(max(1, math.ceil(float(retry_after))))}
    return JSONResponse(body, status_code=http_status(err.code), headers=headers)


INDEX_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>EHC 参考节点 reference node</title>
<style>body{font-family:sans-serif;margin:3em;max-width:46em}li{margin:.4em 0}</style></head>
<body><h1>EHC 参考节点 · reference node</h1><ul>
<li><a href="/dashboard">监管看板 · supervision dashboard</a></li>
<li><a href="/scanner-bench">扫码枪测试台 · scanner bench</a></li>
<li><a href="/docs">接口文档 · REST API (OpenAPI)</a></li>
<li><a href="/healthz">健康检查 · health</a> · <a href="/metrics">指标 · metrics</a></li>
</ul><p>gRPC <code>ehc.node.v1</code>: see docs/node.md. Every call is signed (HMAC-SM3).</p></body></html>
"""


def _offline_docs(app: FastAPI) -> None:
    """/docs (Swagger UI) from the files the fastapi-offline package ships (FastAPI's default loads
    them from a CDN: a blank page on a hospital network or offline). Swagger UI 5: the node's schema
    is OpenAPI 3.1, which Swagger UI 4 cannot render. No ReDoc: its page fetches a logo from a CDN."""
    from pathlib import Path

    import fastapi_offline
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles

    assets = Path(fastapi_offline.__file__).with_name("static")
    app.mount("/docs-assets", StaticFiles(directory=assets), name="docs-assets")
    title = "EHC reference node — API"

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=title,
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon.png",
        )


def create_app(node: Node, auth: Authenticator) -> FastAPI:
    app = FastAPI(
        title="EHC reference node REST gateway",
        version="1",
        description="JSON mirror of ehc.node.v1 for HIS. Sign every call (see docs/node.md).",
        docs_url=None,  # served below from the packaged Swagger UI: /docs works offline
        redoc_url=None,
    )
    _offline_docs(app)
    app.add_middleware(
        BodyLimit, limit=node.config.max_http_body_bytes, body_timeout_s=node.config.http_body_timeout_s
    )
    components: dict[str, Any] = {}

    for path, op, req_type, resp_type, summary in ROUTES:
        req_ref = message_schema(req_type.DESCRIPTOR, components)
        resp_ref = message_schema(resp_type.DESCRIPTOR, components)

        def make(op=op, req_type=req_type, path=path):  # noqa: ANN001, ANN202 - bind loop variables
            async def endpoint(request: Request) -> Any:
                raw = await request.body()
                try:
                    caller = auth.authenticate(
                        f"POST {path}", {k.lower(): v for k, v in request.headers.items()}, raw
                    )
                    try:
                        msg = json_format.Parse(
                            raw.decode("utf-8") or "{}", req_type(), ignore_unknown_fields=False
                        )
                    except (json_format.ParseError, UnicodeDecodeError, ValueError) as exc:
                        raise EhcError(
                            FIELD_BAD_FORMAT,
                            f"body is not a valid {req_type.DESCRIPTOR.name}: {parser_message(exc)}",
                        ) from None
                    result = await run_in_threadpool(op, node, caller, msg)
                except EhcError as err:
                    node.metrics.inc("ehc_node_http_requests_total", path=path, result=err.code.name)
                    return _error(err)
                except Exception as exc:  # noqa: BLE001 - never a stack trace to the client
                    ref = node.new_id()[:12]
                    log(LOG, logging.ERROR, "internal error", path=path, ref=ref, error=type(exc).__name__)
                    return _error(EhcError(INTERNAL, f"internal error, reference {ref}"))
                node.metrics.inc("ehc_node_http_requests_total", path=path, result="OK")
                return JSONResponse(json_format.MessageToDict(result, preserving_proto_field_name=True))

            return endpoint

        app.add_api_route(
            path,
            make(),
            methods=["POST"],
            summary=summary,
            openapi_extra={
                "requestBody": {"required": True, "content": {"application/json": {"schema": req_ref}}},
                "responses": {
                    "200": {"description": "OK", "content": {"application/json": {"schema": resp_ref}}},
                    "4XX": {"description": "refused: {code, number, message, field}"},
                },
                "security": SIGNED,
            },
        )

    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:  # what a person opening the node's address wants next
        return HTMLResponse(INDEX_PAGE)

    @app.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
    def metrics() -> Response:
        # prometheus_client's generate_latest; with --processes N, every worker's counts added up
        return Response(node.metrics.render(), media_type=METRICS_CONTENT_TYPE)

    @app.get("/healthz", summary="Liveness and store check")
    def healthz() -> dict[str, str]:
        node.db.one("SELECT 1")
        return {"status": "SERVING", "store": node.db.describe()}

    from reference_node.extensions import load_extensions

    load_extensions()
    routes = list(app.routes)
    for factory in HTTP_EXTENSIONS:
        router = factory(node, auth)
        routes += router.routes
        app.include_router(router)
    grpc_methods = _rpc_mirror(app, routes, node, auth, components)

    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            schema.setdefault("components", {}).setdefault("schemas", {}).update(components)
            _document_signing(schema, grpc_methods)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


# ---------------------------------------------------------------- every gRPC operation, signing
# The request signature is four headers computed together (docs/node.md): OpenAPI shows them as one
# security requirement of four apiKey schemes (all required), not as plain parameters.
SIGNATURE_HEADERS = {
    "ehcTerminal": ("x-ehc-terminal", "the calling terminal's id (its credential, `ehc node client`)"),
    "ehcTimestamp": ("x-ehc-timestamp", "Unix time in milliseconds; within the node's replay window"),
    "ehcNonce": ("x-ehc-nonce", "a fresh random value per call (replays are refused)"),
    "ehcSignature": (
        "x-ehc-signature",
        "hex HMAC-SM3 with the terminal's secret over `POST <path>` LF timestamp LF nonce LF "
        "hex SM3 of the raw body (reference_node.auth.sign computes all four headers)",
    ),
}
SIGNED: list[dict[str, list[str]]] = [{name: [] for name in SIGNATURE_HEADERS}]
RPC_PREFIX = "/v1/rpc"
# Operations not mirrored, with the reason (listed in the OpenAPI document as x-grpc-only).
GRPC_ONLY = {
    "RegistryService/IssueCredential": "answers a terminal's new secret: gRPC only (TLS with --tls), "
    "never over the plain-HTTP gateway",
}


def _rpc_mirror(
    app: FastAPI, routes: list[Any], node: Node, auth: Authenticator, components: dict[str, Any]
) -> dict[str, tuple[str, dict[str, Any], dict[str, Any]]]:
    """``POST /v1/rpc/<Service>/<Method>`` for every gRPC operation no other route serves.

    The short paths (ROUTES) and an extension's own routes (e.g. /v1/supervision/*) are kept; an
    operation is served by a route when the route's endpoint closes over it (``op``). Streaming
    methods take a JSON array of requests and answer a JSON array (bounded by the body limit).
    Returns route path -> (``ehc.node.v1.Service/Method``, request schema, response schema) for
    every route serving an operation."""
    from google.protobuf import descriptor_pool

    from reference_node.server import PACKAGE, SERVICES

    served: dict[Callable[..., Any], str] = {}
    for route in routes:  # the app's own and the extensions' routers' (included routers are wrapped)
        if isinstance(route, APIRoute) and inspect.isfunction(route.endpoint):
            op = inspect.getclosurevars(route.endpoint).nonlocals.get("op")
            if callable(op):
                served.setdefault(op, route.path)
    methods: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {}
    pool = descriptor_pool.Default()
    for service, table in SERVICES.items():
        for name, (op, req_type, kind) in table.items():
            full = f"{PACKAGE}.{service}/{name}"
            out = pool.FindMethodByName(f"{PACKAGE}.{service}.{name}").output_type
            req_ref = message_schema(req_type.DESCRIPTOR, components)
            resp_ref = message_schema(out, components)
            if kind != "unary":  # a stream as one JSON array each way
                req_ref = {"type": "array", "items": req_ref}
                resp_ref = {"type": "array", "items": resp_ref}
            if op in served:  # an extension's route may not describe its body: the schemas are known here
                methods[served[op]] = (full, req_ref, resp_ref)
                continue
            if f"{service}/{name}" in GRPC_ONLY:
                continue
            path = f"{RPC_PREFIX}/{service}/{name}"
            methods[path] = (full, req_ref, resp_ref)
            app.add_api_route(
                path,
                _mirror_endpoint(node, auth, path, op, req_type, kind),
                methods=["POST"],
                summary=f"{service}.{name}" + (" (stream: a JSON array each way)" if kind != "unary" else ""),
                tags=[f"{PACKAGE}.{service}"],
                openapi_extra={
                    "requestBody": {"required": True, "content": {"application/json": {"schema": req_ref}}},
                    "responses": {
                        "200": {"description": "OK", "content": {"application/json": {"schema": resp_ref}}},
                        "4XX": {"description": "refused: {code, number, message, field}"},
                    },
                    "security": SIGNED,
                },
            )
    return methods


def _mirror_endpoint(
    node: Node, auth: Authenticator, path: str, op: Callable[..., Any], req_type: Any, kind: str
) -> Callable[[Request], Any]:
    def parse(raw: bytes) -> Any:
        try:
            text = raw.decode("utf-8")
            if kind == "unary":
                return json_format.Parse(text or "{}", req_type(), ignore_unknown_fields=False)
            items = json.loads(text or "[]")
            if not isinstance(items, list):
                raise ValueError(f"a streaming method takes a JSON array of {req_type.DESCRIPTOR.name}")
            return [json_format.ParseDict(item, req_type(), ignore_unknown_fields=False) for item in items]
        except (json_format.ParseError, UnicodeDecodeError, ValueError, TypeError, AttributeError) as exc:
            raise EhcError(
                FIELD_BAD_FORMAT, f"body is not a valid {req_type.DESCRIPTOR.name}: {parser_message(exc)}"
            ) from None

    def call(caller: Any, msg: Any) -> Any:
        if kind == "unary":
            return json_format.MessageToDict(op(node, caller, msg), preserving_proto_field_name=True)
        return [
            json_format.MessageToDict(r, preserving_proto_field_name=True)
            for r in op(node, caller, iter(msg))
        ]

    async def endpoint(request: Request) -> Any:
        raw = await request.body()
        try:
            caller = auth.authenticate(
                f"POST {path}", {k.lower(): v for k, v in request.headers.items()}, raw
            )
            result = await run_in_threadpool(call, caller, parse(raw))
        except EhcError as err:
            node.metrics.inc("ehc_node_http_requests_total", path=path, result=err.code.name)
            return _error(err)
        except Exception as exc:  # noqa: BLE001 - never a stack trace to the client
            ref = node.new_id()[:12]
            log(LOG, logging.ERROR, "internal error", path=path, ref=ref, error=type(exc).__name__)
            return _error(EhcError(INTERNAL, f"internal error, reference {ref}"))
        node.metrics.inc("ehc_node_http_requests_total", path=path, result="OK")
        return JSONResponse(result)

    return endpoint


def _document_signing(
    schema: dict[str, Any], grpc_methods: dict[str, tuple[str, dict[str, Any], dict[str, Any]]]
) -> None:
    """Signature headers as a security scheme on every signed operation; each operation names
    the gRPC method it mirrors (``x-grpc-method``)."""
    schema.setdefault("info", {})["x-grpc-only"] = [
        {"method": f"ehc.node.v1.{method}", "reason": reason} for method, reason in GRPC_ONLY.items()
    ]
    schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
    for name, (header, doc) in SIGNATURE_HEADERS.items():
        schemes[name] = {"type": "apiKey", "in": "header", "name": header, "description": doc}
    headers = {h for h, _ in SIGNATURE_HEADERS.values()}
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            params = [p for p in op.get("parameters", []) if p.get("name", "").lower() not in headers]
            if len(params) != len(op.get("parameters", [])):
                op["parameters"] = params
                if not params:
                    del op["parameters"]
            if method == "post" and path.startswith("/v1/"):
                op.setdefault("security", SIGNED)
            if path in grpc_methods:
                full, req_ref, resp_ref = grpc_methods[path]
                op["x-grpc-method"] = full
                op.setdefault(
                    "requestBody", {"required": True, "content": {"application/json": {"schema": req_ref}}}
                )
                ok = op.setdefault("responses", {}).setdefault("200", {"description": "OK"})
                json_body = ok.setdefault("content", {}).setdefault("application/json", {})
                if not json_body.get("schema"):
                    json_body["schema"] = resp_ref


__all__ = ["create_app", "ROUTES", "RPC_PREFIX", "json"]
