"""``ehc demo``: the whole kit in one offline command.

Starts a reference node, issues cards, has the reference terminal scan a dynamic QR image and read a
resident health card through its PSAM, lets the reference HIS report a visit through the full
process, then certifies the reference QR codec and verifies the signed report. Everything is
TEST-ONLY and stays in ``--out``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from .catalogue import default_catalogue
from .profiles import load_profile
from .transcript import TranscriptHolder


class _DemoRun:
    """The little a DUT adapter needs from a run: transcript holder and profile."""

    def __init__(self, profile: str) -> None:
        self.holder = TranscriptHolder()
        self.profile = load_profile(profile, default_catalogue())


def _step(echo: Any, text: str) -> float:
    echo(f"• {text}")
    return time.perf_counter()


@click.command("demo")
@click.option("--out", type=click.Path(file_okay=False), default="ehc-demo", show_default=True)
@click.option("--profile", default="national", show_default=True)
@click.option("--serve", is_flag=True, help="keep the demo node running until Ctrl-C")
@click.option("--json", "as_json", is_flag=True, help="print a JSON summary only")
def demo(out: str, profile: str, serve: bool, as_json: bool) -> None:
    """Run the kit end to end on this machine (node, cards, terminal, HIS, certification)."""
    from qr_codec.image import render_png
    from reference_node.proto.ehc.node.v1 import usage_pb2

    from .adapters.his import REFERENCE_DRIVER as HIS_DRIVER
    from .adapters.his import DriverHis
    from .adapters.terminal import REFERENCE_DRIVER, DriverTerminal, person_for
    from .reportsign import verify_directory
    from .runner import RunOptions, run_with_result
    from .suites.node.helpers import new_id_number, qr, register

    echo = (lambda _text: None) if as_json else click.echo
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {"out": str(root.resolve())}
    run = _DemoRun(profile)
    t0 = _step(echo, "starting the reference node and the reference terminal (TEST-ONLY keys)")
    terminal = DriverTerminal(run, REFERENCE_DRIVER)
    node = terminal.node
    summary["node"] = node.target
    try:
        echo(f"  node listening on {node.target}")
        _step(echo, "issuing e-cards: one resident, one poverty-relief resident")
        number = new_id_number()
        resident = register(node, id_number=number)
        poor = register(node, poverty_relief=True)
        summary["persons"] = 2
        code, error = qr(node, resident.card.ehcid, dynamic=True)
        if error:
            raise click.ClickException(f"dynamic code refused: {error['code']}")
        png = render_png(code.qr_text, ec_level="H")
        (root / "dynamic-code.png").write_bytes(png)
        echo(f"  dynamic code valid until {code.valid_until}, image {root / 'dynamic-code.png'}")

        _step(echo, "reference terminal scans the dynamic code at 挂号 (registration)")
        answer = terminal.present_qr_png(
            png, "demo dynamic code", scene=str(run.profile.param("scenes.registration"))
        )
        person = answer.get("result", {}).get("person") or {}
        summary["qr_scan"] = bool(person)
        echo(
            f"  node answered: {person.get('name', answer.get('result'))} (main index {person.get('main_index', '')[:8]}…)"
        )

        _step(echo, "reference terminal reads the resident health card through its PSAM")
        card_answer = terminal.insert_card(terminal.make_card(person_for(number)))
        summary["card_read"] = bool(card_answer.get("result", {}).get("person"))
        read = card_answer.get("read", {})
        echo(f"  {len(read.get('apdus', []))} APDUs, issuer signature valid: {read.get('signature_valid')}")

        _step(echo, "reference HIS takes the poverty-relief resident through the full process")
        his = DriverHis(run, HIS_DRIVER, node=node)
        try:
            steps = ["registration", "queue", "consultation", "payment", "lab", "imaging", "pharmacy"]
            visit = his.request(
                "visit", patient={"medium": "ehc-qr-static", "qr_text": poor.qr_text}, steps=steps
            )
        finally:
            his.close()
        records, _ = node.call(
            "usage", "QueryUsage", usage_pb2.QueryUsageRequest(ehcid=poor.card.ehcid), "admin"
        )
        summary["usage_reports"] = len(records.records) if records else 0
        echo(
            f"  {summary['usage_reports']} card uses reported; treat first, pay later: {visit.get('pay_later')}"
        )
    finally:
        if not serve:
            terminal.close()

    _step(echo, "certifying the reference QR codec (certification mode) and verifying the signed report")
    report_dir = root / "codec-report"
    code_, _ = run_with_result(
        RunOptions(role="codec", out=str(report_dir), certification=True, max_examples=20, quiet=True)
    )
    verified = verify_directory(report_dir)
    summary["certification"] = {
        "exit": code_,
        "report": str(report_dir / "report.html"),
        "signature_ok": verified.ok,
    }
    echo(
        f"  verdict: {'PASS' if code_ == 0 else 'FAIL'}; signature {'verifies' if verified.ok else 'DOES NOT verify'}"
    )
    echo(f"  open {report_dir / 'report.html'}")
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    ok = (
        summary["qr_scan"]
        and summary["card_read"]
        and summary["usage_reports"] == 7
        and code_ == 0
        and verified.ok
    )
    summary["ok"] = bool(ok)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
    else:
        echo(f"demo {'OK' if ok else 'FAILED'} in {summary['seconds']} s")
    if serve:
        echo(f"node serving on {node.target} (client file: TEST-ONLY credentials); Ctrl-C to stop")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            terminal.close()
    sys.exit(0 if ok else 1)
