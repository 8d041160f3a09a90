"""HTTP side of supervision: the signed REST API, the dashboard and the scanner test bench.

* ``POST /v1/supervision/{kpis,ratings,escalations,export,population,bench-runs,bench-runs/list}``:
  same HMAC-SM3 headers as the rest of the gateway; admin or supervision-reader credentials.
  ``POST /v1/supervision/notice.pdf`` (a KpiRequest) answers the weekly notice as ``application/pdf``.
* ``GET /dashboard``, ``GET /scanner-bench`` and their ``/…/api/…`` JSON: served to **loopback
  clients only** whose ``Host`` is in an allow-list (localhost, 127.0.0.1, ::1, the address the
  request came in on, names in $EHC_NODE_PAGE_HOSTS: a DNS-rebinding page gets NODE_HOST_REFUSED);
  the one write (``POST /scanner-bench/api/runs``) also needs the page's same-origin token
  (``X-EHC-Page-Token``, from the page's meta tag) and no foreign ``Origin``/``Sec-Fetch-Site``
  (NODE_CSRF_REFUSED). Without a credential (a browser cannot hold the HMAC secret safely). Anyone who
  can open a connection from the node's host reads the aggregated KPIs and bench runs (no personal
  data is in them); to give officers remote access, put an authenticating reverse proxy in front
  (it connects from loopback, so it is then the proxy's login that protects the pages).
"""

from __future__ import annotations

import hmac
import json
import logging
import os
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from google.protobuf import json_format
from google.protobuf.message import Message
from starlette.concurrency import run_in_threadpool

from ehc.errors import EhcError
from ehc.spec import areas
from ehc.web import chart_js
from reference_node.auth import Authenticator
from reference_node.errors import CSRF_REFUSED, FIELD_BAD_FORMAT, HOST_REFUSED, INTERNAL, http_status
from reference_node.node import Node
from reference_node.observability import log
from reference_node.proto.ehc.node.v1 import supervision_pb2 as pb
from reference_node.supervision import bench, notice, service
from reference_node.supervision.errors import BAD_INPUT, BENCH_RUN_UNKNOWN, FORBIDDEN, NOTICE_FONT_MISSING
from reference_node.supervision.export import TABLES, export_csv, filename
from reference_node.supervision.periods import Period

LOG = logging.getLogger("reference_node")
WEB = Path(__file__).resolve().parent.parent / "gateway" / "web"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
PAGE_HOSTS_ENV = "EHC_NODE_PAGE_HOSTS"  # more Host names the pages answer to (comma-separated)
TOKEN_HEADER = "x-ehc-page-token"
_TOKEN_META = '<meta name="ehc-page-token" content="">'
CHART_JS = "chart.umd.min.js"  # served from ehc.web's vendored copy (Chart.js 4.6.1, MIT): no CDN
_STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".txt": "text/plain"}

REST = [
    ("/v1/supervision/kpis", service.kpis, pb.KpiRequest, "KPIs of a period and area, rated"),
    ("/v1/supervision/ratings", service.ratings, pb.KpiRequest, "Red/yellow/blue marks of a period"),
    ("/v1/supervision/escalations", service.escalations, pb.KpiRequest, "Weekly notices and the two-reds list"),
    ("/v1/supervision/export", service.export, pb.ExportCsvRequest, "CSV export (content base64 in JSON)"),
    ("/v1/supervision/population", service.set_population, pb.SetPopulationRequest, "Set population figures"),
    ("/v1/supervision/bench-runs", service.submit_bench_run, pb.BenchRun, "Store a scanner bench run"),
    ("/v1/supervision/bench-runs/list", service.list_bench_runs, pb.ListBenchRunsRequest, "Scanner bench runs"),
]  # fmt: skip


def _error(err: EhcError) -> JSONResponse:
    body = {"code": err.code.name, "number": err.code.number, "message": err.message}
    if err.detail.get("field"):
        body["field"] = str(err.detail["field"])
    status = 404 if err.code == BENCH_RUN_UNKNOWN else http_status(err.code)
    if err.code == NOTICE_FONT_MISSING:
        status = 503  # the node's installation lacks a font: not the caller's fault
    return JSONResponse(body, status_code=status)


def _internal(node: Node, path: str, exc: Exception) -> JSONResponse:
    ref = node.new_id()[:12]
    log(LOG, logging.ERROR, "internal error", path=path, ref=ref, error=type(exc).__name__)
    return _error(EhcError(INTERNAL, f"internal error, reference {ref}"))


def router(node: Node, auth: Authenticator) -> APIRouter:
    r = APIRouter()
    for path, op, req_type, summary in REST:
        _signed_route(r, node, auth, path, op, req_type, summary)
    _notice_route(r, node, auth)
    _pages(r, node)
    return r


def _area_name(code: str) -> str:
    return (areas.area_name(code) or "") if areas.is_known_area(code) else ""


def notice_pdf(node: Node, period: Period, area: str) -> Response:
    """The weekly notice of ``period`` (the week containing its end; reds counted over all of it)."""
    pdf = notice.weekly_notice_pdf(
        service.engine(node),
        period,
        area,
        profile_title=node.config.profile_title or node.config.profile,
        node_area=_area_name(node.config.node_id),
    )
    name = notice.filename(period, area)
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'}
    )


def _notice_route(r: APIRouter, node: Node, auth: Authenticator) -> None:
    path = "/v1/supervision/notice.pdf"

    async def endpoint(request: Request) -> Any:
        raw = await request.body()
        try:
            caller = auth.authenticate(
                f"POST {path}", {k.lower(): v for k, v in request.headers.items()}, raw
            )
            try:
                msg = json_format.Parse(
                    raw.decode("utf-8") or "{}", pb.KpiRequest(), ignore_unknown_fields=False
                )
            except (json_format.ParseError, UnicodeDecodeError, ValueError) as exc:
                raise EhcError(
                    FIELD_BAD_FORMAT, f"body is not a valid KpiRequest: {str(exc)[:200]}"
                ) from None
            service.require_reader(node, caller)
            if msg.org_code:
                raise EhcError(
                    BAD_INPUT, "a weekly notice covers an area, not one organisation", field="org_code"
                )
            period = Period.parse(msg.start_date, msg.end_date, msg.time_zone)
            area = service._area(msg.area_code)
            return await run_in_threadpool(notice_pdf, node, period, area)
        except EhcError as err:
            return _error(err)
        except Exception as exc:  # noqa: BLE001 - never a stack trace to the client
            return _internal(node, path, exc)

    r.add_api_route(
        path, endpoint, methods=["POST"], tags=["supervision"],
        summary="Weekly notice (周通报) as PDF: the week containing end_date; reds counted from start_date",
        openapi_extra={
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": {"200": {"description": "the notice", "content": {"application/pdf": {}}}},
        },
    )  # fmt: skip


def _signed_route(
    r: APIRouter, node: Node, auth: Authenticator, path: str, op: Any, req_type: type[Message], summary: str
) -> None:
    async def endpoint(request: Request) -> Any:
        raw = await request.body()
        try:
            caller = auth.authenticate(
                f"POST {path}", {k.lower(): v for k, v in request.headers.items()}, raw
            )
            try:
                msg = json_format.Parse(raw.decode("utf-8") or "{}", req_type(), ignore_unknown_fields=False)
            except (json_format.ParseError, UnicodeDecodeError, ValueError) as exc:
                raise EhcError(
                    FIELD_BAD_FORMAT, f"body is not a valid {req_type.DESCRIPTOR.name}: {str(exc)[:200]}"
                ) from None
            result = await run_in_threadpool(op, node, caller, msg)
        except EhcError as err:
            return _error(err)
        except Exception as exc:  # noqa: BLE001 - never a stack trace to the client
            return _internal(node, path, exc)
        return JSONResponse(json_format.MessageToDict(result, preserving_proto_field_name=True))

    r.add_api_route(path, endpoint, methods=["POST"], summary=summary, tags=["supervision"])


# ---------------------------------------------------------------- pages (loopback)
def _loopback(request: Request) -> None:
    host = request.client.host if request.client else ""
    if host not in LOOPBACK:
        raise EhcError(FORBIDDEN, "the dashboard and bench pages are served to loopback clients only")


def _host_name(header: str) -> str:
    """The name of a Host header without its port: ``[::1]:8080`` → ``::1``, ``a.b.:80`` → ``a.b``."""
    h = header.strip().lower()
    if h.startswith("["):
        return h[1 : h.find("]")] if "]" in h else ""
    return h.rsplit(":", 1)[0].rstrip(".") if h.count(":") == 1 else h.rstrip(".")


def page_hosts() -> set[str]:
    """Host names the pages answer to besides loopback and the local address ($EHC_NODE_PAGE_HOSTS)."""
    return {h.strip().lower().rstrip(".") for h in os.environ.get(PAGE_HOSTS_ENV, "").split(",") if h.strip()}


def _host_allowed(request: Request, extra: set[str]) -> None:
    """DNS rebinding guard: a page of evil.example whose name now resolves to 127.0.0.1 reaches
    the node from loopback, but its requests still carry ``Host: evil.example``."""
    name = _host_name(request.headers.get("host", ""))
    local = request.scope.get("server") or ("",)
    if not name or name not in LOOPBACK | extra | {str(local[0]).lower()}:
        raise EhcError(
            HOST_REFUSED, "Host not allowed for the loopback pages (add it to EHC_NODE_PAGE_HOSTS)"
        )


def page_token(node: Node) -> str:
    """Same-origin token of the pages: keyed by the node's keys (the same in every node process
    sharing the key file), readable only by a page of this origin."""
    return node.hsm.blind_index("page-token", node.config.node_id)[:32]


def _same_origin_write(request: Request, token: str) -> None:
    """CSRF guard of a write: the page's token, and no cross-site Origin or Sec-Fetch-Site."""
    h = request.headers
    origin, site = h.get("origin"), h.get("sec-fetch-site")
    if origin is not None and origin.lower() != f"{request.url.scheme}://{h.get('host', '').lower()}":
        raise EhcError(CSRF_REFUSED, "cross-origin write refused (Origin is another site)")
    if site is not None and site not in ("same-origin", "none"):
        raise EhcError(CSRF_REFUSED, f"cross-site write refused (Sec-Fetch-Site: {site[:20]})")
    if not hmac.compare_digest(h.get(TOKEN_HEADER, "").encode(), token.encode()):
        raise EhcError(CSRF_REFUSED, "write without the page's same-origin token (X-EHC-Page-Token)")


def _query_period(request: Request) -> tuple[Period, str, str]:
    q = request.query_params
    period = Period.parse(q.get("start", ""), q.get("end", ""), q.get("tz", ""))
    area = q.get("area", "")
    if area and not (len(area) == 6 and area.isdigit() and areas.is_known_area(area)):
        raise EhcError(BAD_INPUT, "area is not a known GB/T 2260 code", field="area")
    org = q.get("org", "")[:32]
    return period, area, org


def _pages(r: APIRouter, node: Node) -> None:
    extra_hosts = page_hosts()
    token = page_token(node)
    chart_text = chart_js()

    def guarded(fn: Any) -> Any:
        async def endpoint(request: Request) -> Any:
            try:
                _loopback(request)
                _host_allowed(request, extra_hosts)
                return await run_in_threadpool(fn, request)
            except EhcError as err:
                return _error(err)
            except Exception as exc:  # noqa: BLE001
                return _internal(node, request.url.path, exc)

        return endpoint

    def page(name: str) -> Any:
        def show(_request: Request) -> Response:
            html = (WEB / name).read_text(encoding="utf-8")
            html = html.replace(_TOKEN_META, f'<meta name="ehc-page-token" content="{token}">')
            return HTMLResponse(html, headers=_NO_EXTERNAL)

        return show

    r.add_api_route("/dashboard", guarded(page("dashboard.html")), methods=["GET"], include_in_schema=False)
    r.add_api_route(
        "/scanner-bench", guarded(page("scanner-bench.html")), methods=["GET"], include_in_schema=False
    )

    def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name == CHART_JS:
            return Response(
                chart_text, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"}
            )
        path = (WEB / "static" / name).resolve()
        if path.parent != (WEB / "static").resolve() or not path.is_file():
            return JSONResponse({"code": "NOT_FOUND"}, status_code=404)
        return FileResponse(path, media_type=_STATIC_TYPES.get(path.suffix, "application/octet-stream"))

    r.add_api_route("/supervision-static/{name}", guarded(static), methods=["GET"], include_in_schema=False)

    def meta(_request: Request) -> dict[str, Any]:
        eng = service.engine(node)
        lo_hi = node.db.one("SELECT MIN(time), MAX(time) FROM usage")
        codes = sorted(
            {row[0] for row in node.db.query("SELECT DISTINCT area_code FROM organisations") if row[0]}
        )
        cities: dict[str, dict[str, Any]] = {}
        for code in codes:
            if not areas.is_known_area(code):
                continue
            city = code[:4] + "00"
            entry = cities.setdefault(
                city,
                {
                    "code": city,
                    "name": areas.area_name(city) if areas.is_known_area(city) else city,
                    "counties": [],
                },
            )
            if code != city and code not in {c["code"] for c in entry["counties"]}:
                entry["counties"].append({"code": code, "name": areas.area_name(code)})
        first = lo_hi[0] if lo_hi and lo_hi[0] else ""
        last = lo_hi[1] if lo_hi and lo_hi[1] else ""
        return {
            "data_from": f"{first[0:4]}-{first[4:6]}-{first[6:8]}" if first else "",
            "data_to": f"{last[0:4]}-{last[4:6]}-{last[6:8]}" if last else "",
            "time_zone": eng.profile.time_zone,
            "cities": list(cities.values()),
            "rule": eng.rule_text(),
            "rule_zh": notice.rule_text_zh(eng),
            # the profile the node runs under (ehc node serve --profile) and its city / province
            "profile": node.config.profile,
            "profile_title": node.config.profile_title,
            "node_id": node.config.node_id,
            "node_area": _area_name(node.config.node_id),
            # the profile's pilot county/district (area.county / area.district), reported on its own
            "pilot_area": eng.profile.pilot_area,
            "pilot_area_name": _area_name(eng.profile.pilot_area) if eng.profile.pilot_area else "",
            "targets": [t.__dict__ | {"levels": list(t.levels)} for t in eng.profile.targets],
        }

    def kpis(request: Request) -> dict[str, Any]:
        period, area, org = _query_period(request)
        return service.engine(node).report(period, area, org)

    def escalations(request: Request) -> dict[str, Any]:
        period, area, _ = _query_period(request)
        return service.engine(node).escalations(period, area)

    def csv_file(request: Request) -> Response:
        period, area, org = _query_period(request)
        table = request.query_params.get("table", "hospitals")
        if table not in TABLES:
            raise EhcError(BAD_INPUT, f"table must be one of {', '.join(TABLES)}", field="table")
        body = export_csv(service.engine(node), period, table, area, org)
        return Response(body, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename(table, period, area)}"'})  # fmt: skip

    def notice_file(request: Request) -> Response:
        period, area, _ = _query_period(request)
        return notice_pdf(node, period, area)

    for path, fn in (("/dashboard/api/meta", meta), ("/dashboard/api/kpis", kpis),
                     ("/dashboard/api/escalations", escalations), ("/dashboard/api/export.csv", csv_file),
                     ("/dashboard/api/notice.pdf", notice_file)):  # fmt: skip
        r.add_api_route(path, guarded(fn), methods=["GET"], include_in_schema=False)

    # scanner bench
    def sample_list(_request: Request) -> dict[str, Any]:
        return {"samples": [s.public() for s in bench.samples()]}

    def sample_png(request: Request) -> Response:
        sid = request.path_params["sample_id"]
        for s in bench.samples():
            if s.sample_id == sid:
                return Response(s.png, media_type="image/png", headers={"Cache-Control": "no-store"})
        return JSONResponse({"code": "NOT_FOUND"}, status_code=404)

    async def submit(request: Request) -> Any:
        try:
            _loopback(request)
            _host_allowed(request, extra_hosts)
            _same_origin_write(request, token)
            raw = await request.body()
            if len(raw) > 1_000_000:
                raise EhcError(BAD_INPUT, "report too large")
            try:
                data = json.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                raise EhcError(BAD_INPUT, "body is not JSON") from None
            if not isinstance(data, dict):
                raise EhcError(BAD_INPUT, "body is not a JSON object")
            run = await run_in_threadpool(service.store_bench_run, node, "dashboard-loopback", data)
            return JSONResponse(run)
        except EhcError as err:
            return _error(err)
        except Exception as exc:  # noqa: BLE001
            return _internal(node, "/scanner-bench/api/runs", exc)

    def runs(request: Request) -> dict[str, Any]:
        return {"runs": service.load_bench_runs(node, request.query_params.get("run_id", ""))}

    def one_run(request: Request) -> dict[str, Any]:
        return service.load_bench_runs(node, request.path_params["run_id"])[0]

    r.add_api_route(
        "/scanner-bench/api/samples", guarded(sample_list), methods=["GET"], include_in_schema=False
    )
    r.add_api_route(
        "/scanner-bench/samples/{sample_id}.png",
        guarded(sample_png),
        methods=["GET"],
        include_in_schema=False,
    )
    r.add_api_route("/scanner-bench/api/runs", submit, methods=["POST"], include_in_schema=False)
    r.add_api_route("/scanner-bench/api/runs", guarded(runs), methods=["GET"], include_in_schema=False)
    r.add_api_route(
        "/scanner-bench/api/runs/{run_id}", guarded(one_run), methods=["GET"], include_in_schema=False
    )


# pages load only their own assets: no CDN, no external requests
_NO_EXTERNAL = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
