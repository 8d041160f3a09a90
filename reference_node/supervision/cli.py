"""``ehc node supervision``: population figures, supervision readers, KPIs and CSV from the node's
database (run on the node's host with the node's data directory or database URL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ehc.clitools import always_json_option, emit, fail
from ehc.errors import EhcError


def _node(data_dir: str | None, db_url: str | None, keys: str | None) -> Any:
    from reference_node.config import NodeConfig
    from reference_node.hsm import SoftwareHsm
    from reference_node.node import Node
    from reference_node.runtime import default_data_dir, ensure_keys
    from reference_node.store.db import open_database

    data = Path(data_dir) if data_dir else default_data_dir()
    hsm = SoftwareHsm.from_file(ensure_keys(data, keys))
    return Node.open(NodeConfig(), hsm, open_database(db_url, data))


def _store_options(f: Any) -> Any:
    f = always_json_option()(f)
    f = click.option("--keys", default=None, help="key file (default DATA_DIR/keys.json)")(f)
    f = click.option(
        "--db", "db_url", default=None, help="postgresql://... or SQLite path (default DATA_DIR/node.db)"
    )(f)
    return click.option(
        "--data-dir", default=None, help="default $EHC_NODE_HOME, else per-user (docs/cli.md)"
    )(f)


@click.group("supervision")
def supervision() -> None:
    """Supervision KPIs, ratings and escalations (see docs/supervision.md)."""


@supervision.command("population")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@_store_options
def population_cmd(source: str, data_dir: str | None, db_url: str | None, keys: str | None) -> None:
    """Import population figures: a ``area_code,population`` CSV or a population JSONL (counted per area)."""
    from reference_node.supervision.population import import_file

    try:
        node = _node(data_dir, db_url, keys)
        emit({"written": import_file(node.db, source)}, True)
    except EhcError as err:
        fail(err, True)


@supervision.command("reader")
@click.argument("terminal_id")
@_store_options
def reader_cmd(terminal_id: str, data_dir: str | None, db_url: str | None, keys: str | None) -> None:
    """Let an existing terminal read supervision data (the commission's read-only credential)."""
    from reference_node.supervision.service import grant_reader

    try:
        node = _node(data_dir, db_url, keys)
        if node.db.one("SELECT 1 FROM terminals WHERE terminal_id = ?", (terminal_id,)) is None:
            raise click.UsageError(
                f"terminal {terminal_id} is not registered (RegistryService.UpsertTerminal first)"
            )
        grant_reader(node, terminal_id)
        emit({"reader": terminal_id}, True)
    except EhcError as err:
        fail(err, True)


@supervision.command("report")
@click.option("--start", required=True, help="YYYY-MM-DD")
@click.option("--end", required=True, help="YYYY-MM-DD (inclusive)")
@click.option("--tz", default="Asia/Shanghai", show_default=True)
@click.option("--area", default="", help="GB/T 2260 city or county")
@click.option("--csv", "table", default=None, help="hospitals|counties|trend|ratings|escalations: print CSV")
@click.option("--escalations", is_flag=True, help="print the weekly notices and the two-reds list")
@_store_options
def report_cmd(start: str, end: str, tz: str, area: str, table: str | None, escalations: bool, data_dir: str | None,
               db_url: str | None, keys: str | None) -> None:  # fmt: skip
    """KPIs of a period (JSON), the escalation list, or one table as CSV."""
    from reference_node.supervision.export import export_csv
    from reference_node.supervision.kpis import KpiEngine
    from reference_node.supervision.periods import Period

    try:
        node = _node(data_dir, db_url, keys)
        engine = KpiEngine(node.db)
        period = Period.parse(start, end, tz)
        if table:
            click.echo(export_csv(engine, period, table, area).decode("utf-8-sig"), nl=False)
        elif escalations:
            click.echo(json.dumps(engine.escalations(period, area), ensure_ascii=False, indent=1))
        else:
            click.echo(json.dumps(engine.report(period, area), ensure_ascii=False, indent=1))
    except EhcError as err:
        fail(err, True)


@supervision.command("notice")
@click.option(
    "--start", required=True, help="YYYY-MM-DD: first day of the campaign (reds are counted from it)"
)
@click.option(
    "--end", required=True, help="YYYY-MM-DD: the notice is for the Monday-Sunday week containing it"
)
@click.option("--tz", default="Asia/Shanghai", show_default=True)
@click.option("--area", default="", help="GB/T 2260 city or county (default: every area of the node)")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="PDF file to write")
@_store_options
def notice_cmd(start: str, end: str, tz: str, area: str, out: str, data_dir: str | None, db_url: str | None,
               keys: str | None) -> None:  # fmt: skip
    """The weekly notice (周通报) as PDF, as GET /dashboard/api/notice.pdf serves it."""
    from reference_node.supervision import notice
    from reference_node.supervision.periods import Period
    from reference_node.supervision.service import _area, engine

    try:
        node = _node(data_dir, db_url, keys)
        period = Period.parse(start, end, tz)
        # engine(): $EHC_SUPERVISION_PROFILE applies here as in the node serving the dashboard
        pdf = notice.weekly_notice_pdf(engine(node), period, _area(area))
        Path(out).write_bytes(pdf)
        week = notice.notice_week(period)
        emit({"written": out, "bytes": len(pdf), "week_start": week.start.isoformat(),
              "week_end": week.end.isoformat()}, True)  # fmt: skip
    except EhcError as err:
        fail(err, True)
