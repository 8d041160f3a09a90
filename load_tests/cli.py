"""``ehc load`` — load runs against any node, the echo baseline, or the reference node.

Exit status: 0 run done and every SLO met; 1 an SLO was broken (each broken objective is
printed); 2 bad input or a failed run (error code printed, e.g. LOAD_BAD_TARGET).
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import click

from ehc.clitools import deprecated_alias, emit, fail, json_option
from ehc.errors import EhcError
from load_tests.orchestrate import RunOptions, parse_duration, run
from load_tests.report import write_outputs
from load_tests.scenarios import SCENARIOS, describe

SLO_DIR = Path(__file__).resolve().parent / "slo"


def _slo_path(value: str | None, scenario: str) -> str | None:
    if value in (None, "", "none"):
        return None
    if value == "default":
        return str(SLO_DIR / f"{scenario}.toml")
    return value


def _shares(items: tuple[str, ...]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise click.BadParameter(f"{item!r}: use NAME=NUMBER, e.g. mix.expired=0.05", param_hint="--set")
    return out


def _print_summary(summary: dict[str, Any], out: Path) -> None:
    t = summary["totals"]
    click.echo(
        f"{summary['scenario']} → {summary['target']}: {summary['samples']:,} requests in {summary['wall_s']:.1f} s, "
        f"{t['rps_steady']:.1f} rps steady, p50 {t['p50_ms'] or 0:.2f} ms, p95 {t['p95_ms'] or 0:.2f} ms, "
        f"p99 {t['p99_ms'] or 0:.2f} ms, errors {t['error']} ({t['error_ratio'] * 100:.3f} %), "
        f"refused as expected {t['refused']}"
    )
    for name, f in summary["endpoints"].items():
        click.echo(
            f"  {name:16s} {f['count']:>8,}  ok {f['ok']:>7,}  refused {f['refused']:>6,}  err {f['error']:>5,}  "
            f"p50 {f['p50_ms'] or 0:7.2f}  p95 {f['p95_ms'] or 0:7.2f}  p99 {f['p99_ms'] or 0:7.2f} ms"
        )
    if summary.get("user_errors"):
        click.echo(
            f"  WARNING: {summary['user_errors']} actor crashes, e.g. {summary['user_error_samples'][:1]}",
            err=True,
        )
    if summary.get("errors"):
        click.echo("  top errors: " + "; ".join(f"{k} ×{v}" for k, v in list(summary["errors"].items())[:3]))
    click.echo(
        f"seed {summary.get('seed')}; outputs: {out}/report.html, summary.json, requests.csv, timeseries.csv, run.json"
    )


def _slo_exit(summary: dict[str, Any]) -> None:
    slo = summary.get("slo")
    if not slo:
        return
    from load_tests.slo import Check

    for c in slo["checks"]:
        click.echo("  " + Check(**c).describe())
    if not slo["passed"]:
        click.echo(f"SLO BROKEN: {', '.join(slo['broken'])}", err=True)
        sys.exit(1)
    click.echo("SLO met")


def _run_options(f: Any) -> Any:
    options = [
        click.option(
            "--target", required=True, help="HOST:PORT of a node, 'reference' (started here) or 'echo'"
        ),
        click.option(
            "--scenario", type=click.Choice(sorted(SCENARIOS)), default="outpatient-peak", show_default=True
        ),
        click.option("--users", type=click.IntRange(1, 100_000), default=10, show_default=True),
        click.option("--spawn-rate", type=click.FloatRange(0.1, 10_000), default=10.0, show_default=True),
        click.option("--duration", default="60s", show_default=True, help="e.g. 30s, 5m"),
        click.option(
            "--max-requests", type=click.IntRange(0), default=0, help="stop after N requests (0 = no cap)"
        ),
        click.option(
            "--workers",
            type=click.IntRange(0, 64),
            default=0,
            help="Locust worker processes (0 = one process)",
        ),
        click.option(
            "--population",
            type=click.IntRange(1, 1_000_000),
            default=200,
            show_default=True,
            help="residents registered before the timed part",
        ),
        click.option(
            "--think-scale",
            type=click.FloatRange(0),
            default=1.0,
            show_default=True,
            help="multiply every think time (0 = no think time: find capacity)",
        ),
        click.option(
            "--pace",
            type=click.FloatRange(0),
            default=0.0,
            help="fixed offered load: tasks per second per user (replaces think times; 0 = off)",
        ),
        click.option("--set", "shares", multiple=True, help="override a mix share, e.g. mix.expired=0.05"),
        click.option("--seed", type=int, default=1, show_default=True),
        click.option(
            "--client-file",
            "credentials",
            type=click.Path(dir_okay=False, exists=True),
            default=None,
            help="HOST:PORT targets: client file with an admin credential (format of `ehc node serve`'s client.json)",
        ),
        click.option(
            "--db", "db_url", default=None, help="reference target: PostgreSQL URL instead of SQLite"
        ),
        click.option(
            "--http",
            "http_url",
            default=None,
            help="REST scenarios against HOST:PORT: gateway URL, e.g. http://node:8080",
        ),
        click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True),
    ]
    for opt in reversed(options):
        f = opt(f)
    return f


def _opts(kw: dict[str, Any], target: str, out: Path) -> RunOptions:
    return RunOptions(
        target=target,
        scenario=kw["scenario"],
        out=out,
        users=kw["users"],
        spawn_rate=kw["spawn_rate"],
        duration_s=parse_duration(kw["duration"]),
        max_requests=kw["max_requests"],
        workers=kw["workers"],
        population=kw["population"],
        think_scale=kw["think_scale"],
        pace=kw["pace"],
        shares=_shares(kw["shares"]),
        seed=kw["seed"],
        credentials=kw["credentials"],
        db_url=kw["db_url"],
        http_url=kw["http_url"],
    )


@click.group("load")
def load() -> None:
    """Load tests: Locust actors (terminals, HIS, registration) against a node, exact percentiles, SLOs."""


@deprecated_alias("--credentials", "--client-file")
@deprecated_alias("--db-url", "--db")
@load.command("run")
@_run_options
@json_option("print summary.json instead of the text summary; errors as JSON too")
@click.option(
    "--slo", "slo", default=None, help="SLO TOML file, or 'default' for the scenario's file in load_tests/slo"
)
@click.option(
    "--master-bind", default="127.0.0.1", show_default=True, help="with --workers: interface for workers"
)
@click.option(
    "--master-port", type=click.IntRange(0, 65535), default=0, help="with --workers: port (0 = any free)"
)
@click.option(
    "--external-workers",
    is_flag=True,
    help="with --workers: do not start workers, wait for `ehc load worker`",
)
@click.option("--quiet", is_flag=True, help="no progress lines, only the result")
def run_command(
    slo: str | None,
    master_bind: str,
    master_port: int,
    external_workers: bool,
    as_json: bool,
    quiet: bool,
    **kw: Any,
) -> None:
    """One bounded run; writes report.html, summary.json, CSVs and run.json to --out."""
    try:
        opts = _opts(kw, kw["target"], kw["out"])
        opts.slo_file = _slo_path(slo, kw["scenario"])
        opts.quiet = quiet
        opts.master_bind, opts.master_port, opts.expect_workers_externally = (
            master_bind,
            master_port,
            external_workers,
        )
        summary = run(opts)
    except EhcError as err:
        fail(err, as_json, exit_code=2)
    _summary_out(summary, kw["out"], as_json)


@deprecated_alias("--credentials", "--client-file")
@deprecated_alias("--db-url", "--db")
@load.command("bench")
@_run_options
@json_option("print bench.json instead of the headline; errors as JSON too")
@click.option(
    "--pairs",
    type=click.IntRange(1, 50),
    default=3,
    show_default=True,
    help="interleaved echo/target run pairs (median ratio and spread)",
)
@click.option(
    "--api",
    type=click.Choice(["node", "tencent"]),
    default="node",
    show_default=True,
    help="node: ehc.node.v1 (gRPC/REST); tencent: the HealthCardOpenAPI envelope over HTTP",
)
@click.option("--quiet", is_flag=True, help="no progress lines, only the result")
@click.pass_context
def bench_command(ctx: click.Context, pairs: int, api: str, quiet: bool, as_json: bool, **kw: Any) -> None:
    """The same scenario against the echo baseline and the target in interleaved A/B pairs; prints the
    median throughput and p99 ratios with their spread and writes bench.html.

    Without --think-scale the bench runs closed-loop (think scale 0): a ratio of two
    offered-load-limited runs would say nothing. --api tencent: --target is 'reference' (started
    with the Tencent envelope and no rate limit) or 'URL;client=FILE'."""
    from load_tests.bench import bench, headline

    if ctx.get_parameter_source("think_scale") == click.core.ParameterSource.DEFAULT:
        kw["think_scale"] = 0.0
    try:
        opts = _opts(kw, kw["target"], kw["out"])
        opts.api, opts.quiet = api, quiet
        result = bench(opts, pairs, command="ehc " + " ".join(shlex.quote(a) for a in sys.argv[1:]))
    except EhcError as err:
        fail(err, as_json, exit_code=2)
    for w in result["warnings"]:
        click.echo(f"WARNING: {w}", err=True)
    if as_json:
        emit(result)
        return
    click.echo(headline(result))
    click.echo(f"bench page: {kw['out']}/bench.html (and bench.json)")


@load.command("frontend")
@click.option(
    "--scenario", type=click.Choice(["verify-only", "report-only"]), default="verify-only", show_default=True
)
@click.option("--users", type=click.IntRange(1, 10_000), default=10, show_default=True)
@click.option("--duration", default="10s", show_default=True, help="per run, e.g. 10s, 1m")
@click.option(
    "--pairs", type=click.IntRange(1, 50), default=3, show_default=True, help="direct/relayed pairs"
)
@click.option("--population", type=click.IntRange(1, 1_000_000), default=200, show_default=True)
@click.option(
    "--think-scale", type=click.FloatRange(0), default=0.0, show_default=True, help="0 = closed loop"
)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--quiet", is_flag=True, help="no progress lines, only the result")
@json_option("print frontend.json instead of the headline; errors as JSON too")
def frontend_command(as_json: bool, quiet: bool, pairs: int, **kw: Any) -> None:
    """What the hospital front-end server adds: the same scenario against one reference node, direct
    and through `ehc node frontend` in front of it, in interleaved pairs; ratios relayed / direct."""
    from load_tests.frontend_bench import frontend_bench, headline

    try:
        opts = RunOptions(
            target="reference", scenario=kw["scenario"], out=kw["out"], users=kw["users"],
            spawn_rate=float(max(10, kw["users"])), duration_s=parse_duration(kw["duration"]),
            population=kw["population"], think_scale=kw["think_scale"], seed=kw["seed"], quiet=quiet,
        )  # fmt: skip
        result = frontend_bench(opts, pairs, command="ehc " + " ".join(shlex.quote(a) for a in sys.argv[1:]))
    except EhcError as err:
        fail(err, as_json, exit_code=2)
    for w in result["warnings"]:
        click.echo(f"WARNING: {w}", err=True)
    if as_json:
        emit(result)
        return
    click.echo(headline(result))
    click.echo(f"runs: {kw['out']}/pair-N/direct|relayed/report.html; figures: {kw['out']}/frontend.json")


@load.command("report")
@click.argument("run_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@json_option("print summary.json instead of the text summary; errors as JSON too")
def report_command(run_dir: Path, as_json: bool) -> None:
    """Rebuild report.html, summary.json and the CSVs from a run's run.json."""
    try:
        summary = write_outputs(run_dir)
    except EhcError as err:
        fail(err, as_json, exit_code=2)
    _summary_out(summary, run_dir, as_json)


def _summary_out(summary: dict[str, Any], out: Path, as_json: bool) -> None:
    if as_json:
        emit(summary)
        slo = summary.get("slo")
        sys.exit(1 if slo and not slo["passed"] else 0)
    _print_summary(summary, out)
    _slo_exit(summary)


@load.command("compare")
@click.argument("baseline", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.argument("candidate", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def compare_command(baseline: Path, candidate: Path, as_json: bool) -> None:
    """Compare two finished runs (e.g. two nodes, or before/after a change): rps and percentiles per request type."""
    from load_tests.compare import compare_runs

    try:
        result = compare_runs(baseline, candidate)
    except EhcError as err:
        fail(err, as_json, exit_code=2)
    if as_json:
        emit(result)
        return
    click.echo(f"baseline  {result['baseline']['label']}\ncandidate {result['candidate']['label']}")
    if result["warnings"]:
        for w in result["warnings"]:
            click.echo(f"  note: {w}")
    click.echo(
        f"{'request':22s} {'rps':>17s} {'p50 ms':>17s} {'p95 ms':>17s} {'p99 ms':>17s}  ratio rps / p99"
    )
    for row in result["rows"]:
        cells = []
        for key in ("rps_steady", "p50_ms", "p95_ms", "p99_ms"):
            a, b = row["baseline"].get(key), row["candidate"].get(key)
            cells.append(f"{_num(a):>8s}→{_num(b):<8s}")
        click.echo(
            f"{row['name']:22s} {' '.join(cells)}  {_ratio(row['rps_ratio'])} / {_ratio(row['p99_ratio'])}"
        )


def _num(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f}"


def _ratio(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f}×"


@load.command("worker")
@click.option(
    "--master",
    "master",
    required=True,
    help="HOST:PORT of a master started with --workers N --external-workers",
)
def worker_command(master: str) -> None:
    """Join a run as a Locust worker (on this or another machine); exits when the master quits."""
    host, _, port = master.rpartition(":")
    if not host or not port.isdigit():
        raise click.BadParameter("use HOST:PORT", param_hint="--master")
    sys.exit(
        subprocess.call(
            [
                sys.executable,
                "-m",
                "load_tests.runner",
                "--worker",
                "--master-host",
                host,
                "--master-port",
                port,
            ]
        )
    )


@load.command("scenarios")
@json_option("a JSON object: scenario name -> description")
def scenarios_command(as_json: bool) -> None:
    """List the scenarios and what each models."""
    if as_json:
        emit({name: describe(name) for name in SCENARIOS})
        return
    for name in SCENARIOS:
        click.echo(f"{name:18s} {describe(name)}")


@load.command("echo-server")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=50099, show_default=True)
def echo_server_command(host: str, port: int) -> None:
    """Serve the echo baseline in the foreground (for runs with the target on another machine)."""
    sys.exit(
        subprocess.call([sys.executable, "-m", "load_tests.echo.server", "--host", host, "--port", str(port)])
    )
