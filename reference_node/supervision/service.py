"""SupervisionService operations, shared by the gRPC server and the REST gateway.

Who may call: the node operator (admin credentials) and terminals registered as supervision
readers (``ehc node supervision reader add``): the commission's read-only credential. Hospitals'
terminals are refused — notices about other hospitals are not theirs to read.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from google.protobuf import json_format
from google.protobuf.message import Message

from ehc.errors import EhcError
from reference_node.node import Caller, Node
from reference_node.proto.ehc.node.v1 import supervision_pb2 as pb
from reference_node.supervision import bench, population
from reference_node.supervision.errors import BAD_INPUT, BENCH_RUN_UNKNOWN, FORBIDDEN
from reference_node.supervision.export import export_csv, filename
from reference_node.supervision.kpis import KpiEngine
from reference_node.supervision.periods import Period
from reference_node.supervision.profile import SupervisionProfile
from reference_node.supervision.schema import ensure_schema

if TYPE_CHECKING:
    from reference_node.server import Operation

_ENGINES: dict[int, KpiEngine] = {}


def engine(node: Node) -> KpiEngine:
    """The node's KPI engine; rules from $EHC_SUPERVISION_PROFILE (JSON), else the node's profile
    (``ehc node serve --profile``: its kpi targets and rating rule), else the seeds' defaults; the
    pilot county/district from the node's profile unless the rules name one."""
    eng = _ENGINES.get(id(node))
    if eng is None or eng.db is not node.db:
        path = os.environ.get("EHC_SUPERVISION_PROFILE")
        configured = getattr(node.config, "supervision", None)
        profile = SupervisionProfile.from_file(path) if path else configured or SupervisionProfile()
        if not profile.pilot_area and node.config.pilot_area:
            profile = replace(profile, pilot_area=node.config.pilot_area)  # profile area.county/district
        eng = _ENGINES[id(node)] = KpiEngine(node.db, profile)
    return eng


def is_reader(node: Node, caller: Caller) -> bool:
    if caller.is_admin:
        return True
    ensure_schema(node.db)
    return (
        node.db.one("SELECT 1 FROM supervision_readers WHERE terminal_id = ?", (caller.terminal_id,))
        is not None
    )


def require_reader(node: Node, caller: Caller) -> None:
    if not is_reader(node, caller):
        raise EhcError(FORBIDDEN, "supervision needs an admin or supervision-reader credential")


def grant_reader(node: Node, terminal_id: str) -> None:
    ensure_schema(node.db)
    with node.db.transaction() as cur:
        cur.run(
            "INSERT INTO supervision_readers (terminal_id, created_at) VALUES (?, ?) ON CONFLICT (terminal_id) DO NOTHING",
            (terminal_id, node.now_text()),
        )


def _area(code: str) -> str:
    from ehc.spec import areas

    if code and not (len(code) == 6 and code.isdigit() and areas.is_known_area(code)):
        raise EhcError(BAD_INPUT, "area_code is not a known GB/T 2260 code", field="area_code")
    return code


def _period(req: pb.KpiRequest) -> Period:
    return Period.parse(req.start_date, req.end_date, req.time_zone)


def _org(code: str) -> str:
    if code and (len(code) > 32 or not code.replace("-", "").isalnum()):
        raise EhcError(BAD_INPUT, "org_code is not a valid organisation code", field="org_code")
    return code


def _msg(data: dict[str, Any], message: Any) -> Any:
    return json_format.ParseDict(data, message, ignore_unknown_fields=False)


def kpis(node: Node, caller: Caller, req: pb.KpiRequest) -> pb.KpiReport:
    require_reader(node, caller)
    return _msg(engine(node).report(_period(req), _area(req.area_code), _org(req.org_code)), pb.KpiReport())


def ratings(node: Node, caller: Caller, req: pb.KpiRequest) -> pb.RatingReport:
    require_reader(node, caller)
    data = engine(node).ratings(_period(req), _area(req.area_code), _org(req.org_code))
    return _msg(data, pb.RatingReport())


def escalations(node: Node, caller: Caller, req: pb.KpiRequest) -> pb.EscalationReport:
    require_reader(node, caller)
    return _msg(engine(node).escalations(_period(req), _area(req.area_code)), pb.EscalationReport())


def export(node: Node, caller: Caller, req: pb.ExportCsvRequest) -> pb.CsvFile:
    require_reader(node, caller)
    period = _period(req.query)
    area = _area(req.query.area_code)
    content = export_csv(engine(node), period, req.table, area, _org(req.query.org_code))
    return pb.CsvFile(
        filename=filename(req.table, period, area), content_type="text/csv; charset=utf-8", content=content
    )


def set_population(node: Node, caller: Caller, req: pb.SetPopulationRequest) -> pb.SetPopulationResponse:
    if not caller.is_admin:
        raise EhcError(FORBIDDEN, "population figures are set by the node operator")
    by_group: dict[str, dict[str, int]] = {}
    for f in req.figures:  # "" = residents; a priority group's size otherwise
        by_group.setdefault(f.group, {})[f.area_code] = int(f.population)
    source = req.source or f"api:{caller.terminal_id}"
    written = 0
    for group, figures in by_group.items():
        written += (
            population.set_group_population(node.db, group, figures, source)
            if group
            else population.set_population(node.db, figures, source)
        )
    return pb.SetPopulationResponse(written=written)


# ---------------------------------------------------------------- scanner bench runs
def store_bench_run(node: Node, submitted_by: str, data: dict[str, Any]) -> dict[str, Any]:
    """Score a run server-side from what was typed and keep it; returns the stored run."""
    ensure_schema(node.db)
    by_id = {s.sample_id: s for s in bench.samples()}
    scored = bench.evaluate(by_id, data.get("results", []))
    run = {
        "run_id": node.new_id()[:16],
        "scanner": str(data.get("scanner", ""))[:100],
        "operator": str(data.get("operator", ""))[:100],
        "started_at": str(data.get("started_at", ""))[:40],
        "created_at": node.now_text(),
        **scored,
    }
    with node.db.transaction() as cur:
        cur.run(
            "INSERT INTO supervision_bench_runs (run_id, created_at, submitted_by, codes_total, codes_correct, report) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (run["run_id"], run["created_at"], submitted_by[:64], run["codes_total"], run["codes_correct"],
             json.dumps(run, ensure_ascii=False)),
        )  # fmt: skip
    return run


def load_bench_runs(node: Node, run_id: str = "", limit: int = 20) -> list[dict[str, Any]]:
    ensure_schema(node.db)
    if run_id:
        rows = node.db.query("SELECT report FROM supervision_bench_runs WHERE run_id = ?", (run_id[:32],))
        if not rows:
            raise EhcError(BENCH_RUN_UNKNOWN, field="run_id")
    else:
        rows = node.db.query(
            "SELECT report FROM supervision_bench_runs ORDER BY created_at DESC, run_id LIMIT ?",
            (min(max(limit or 20, 1), 200),),
        )
    return [json.loads(r[0]) for r in rows]


def submit_bench_run(node: Node, caller: Caller, req: pb.BenchRun) -> pb.BenchRunAck:
    data = json_format.MessageToDict(req, preserving_proto_field_name=True)
    run = store_bench_run(node, caller.terminal_id, data)
    return pb.BenchRunAck(run_id=run["run_id"], created_at=run["created_at"])


def list_bench_runs(node: Node, caller: Caller, req: pb.ListBenchRunsRequest) -> pb.ListBenchRunsResponse:
    require_reader(node, caller)
    runs = load_bench_runs(node, req.run_id, req.limit)
    return _msg({"runs": runs}, pb.ListBenchRunsResponse())


METHODS: dict[str, tuple[Operation, type[Message], str]] = {
    "Kpis": (kpis, pb.KpiRequest, "unary"),
    "Ratings": (ratings, pb.KpiRequest, "unary"),
    "Escalations": (escalations, pb.KpiRequest, "unary"),
    "ExportCsv": (export, pb.ExportCsvRequest, "unary"),
    "SetPopulation": (set_population, pb.SetPopulationRequest, "unary"),
    "SubmitBenchRun": (submit_bench_run, pb.BenchRun, "unary"),
    "ListBenchRuns": (list_bench_runs, pb.ListBenchRunsRequest, "unary"),
}
