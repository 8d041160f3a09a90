"""Self-contained HTML report (no CDN, no script, inline CSS) an evaluator can read offline."""

from __future__ import annotations

import json
from html import escape
from typing import Any

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC",sans-serif;margin:2em auto;max-width:1200px;color:#1b1b1b;padding:0 1em}
h1{font-size:22px;margin:0 0 .3em} h2{font-size:18px;margin:1.6em 0 .5em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;margin:.5em 0} th,td{border:1px solid #ddd;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#f4f4f4} code,pre{font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}
pre{background:#f7f7f7;padding:6px;overflow-x:auto;white-space:pre-wrap;word-break:break-all;margin:.3em 0}
.banner{padding:10px 14px;border-radius:6px;font-size:18px;font-weight:600;margin:.5em 0 1em}
.banner.pass{background:#e3f5e6;color:#17612a} .banner.fail{background:#fde4e4;color:#8f1d1d}
.v{font-weight:600;white-space:nowrap} .v-pass{color:#17612a} .v-fail{color:#b31d1d} .v-waived{color:#8a5a00}
.v-not-tested{color:#6b4f9e} .v-not-applicable{color:#777}
.kv td:first-child{width:16em;color:#555} .small{color:#666;font-size:12px}
details{margin:.4em 0 .8em} summary{cursor:pointer}
.bar{display:flex;height:14px;border-radius:3px;overflow:hidden;margin:.4em 0}
.bar span{display:block;height:100%}
"""

COLOURS = {
    "pass": "#3aa757",
    "fail": "#d93025",
    "waived": "#f2a600",
    "not-tested": "#8e6fc9",
    "not-applicable": "#c8c8c8",
}


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _kv(rows: list[tuple[str, Any]]) -> str:
    return (
        "<table class=kv>"
        + "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in rows)
        + "</table>"
    )


def _transcript(steps: list[dict[str, Any]]) -> str:
    if not steps:
        return "<p class=small>(no transcript steps)</p>"
    lines = []
    for s in steps:
        kind = s.get("kind")
        t = f"[{s.get('t_ms', 0):>9.2f} ms] "
        if kind == "apdu":
            lines.append(
                f"{t}> {s['command']}\n{' ' * len(t)}< {s['response']} {s['sw']}  {s.get('note', '')}"
            )
        elif kind == "call":
            detail = json.dumps(
                {k: s[k] for k in ("request", "response", "error") if s.get(k) is not None},
                ensure_ascii=False,
            )
            lines.append(f"{t}{s['method']} {detail}")
        elif kind == "image":
            lines.append(f"{t}image {s['description']} sm3={s['sm3'][:16]}… {s['bytes']} bytes")
        else:
            lines.append(f"{t}# {s.get('text', '')}")
    return "<pre>" + _e("\n".join(lines)) + "</pre>"


def render_html(report: dict[str, Any]) -> str:
    summary = report["summary"]["requirements"]
    total = sum(summary.values()) or 1
    bar = "".join(
        f'<span style="width:{100 * n / total:.2f}%;background:{COLOURS[v]}" title="{_e(v)}: {n}"></span>'
        for v, n in summary.items()
        if n
    )
    legend = " · ".join(f'<span class="v v-{_e(v)}">{_e(v)}</span> {n}' for v, n in summary.items())
    tool = report["tool"]
    hyp = report["hypothesis"]
    seed = "derandomized (certification)" if hyp.get("derandomize") else hyp.get("seed")
    head = _kv(
        [
            ("Report id", report["report_id"]),
            ("Role", report["role"]),
            ("Device under test", ", ".join(f"{k}={v}" for k, v in report["dut"].items())),
            ("Profile", f"{report['profile']['name']} ({' → '.join(report['profile']['chain'])})"),
            ("Declaration", report["declaration"]["source"]),
            ("Mode", report["mode"]),
            (
                "Hypothesis",
                f"seed {seed}, {hyp.get('max_examples')} examples per property, Hypothesis {tool['hypothesis_version']}",
            ),
            ("Kit", f"{tool['name']} {tool['version']} · source SM3 {tool['source_sm3']}"),
            ("Started / finished", f"{report['started_at']} / {report['finished_at']}"),
            ("Gating failures", ", ".join(report["summary"]["gating_failures"]) or "none"),
        ]
    )
    rows = []
    for r in report["requirements"]:
        tests = "<br>".join(_e(t.rpartition("::")[2]) for t in r["tests"]) or "—"
        rows.append(
            f"<tr><td><code>{_e(r['id'])}</code></td><td class='v v-{_e(r['verdict'])}'>{_e(r['verdict'])}</td>"
            f"<td>{_e(r['level'])}{' · gating' if r['gating'] else ''}</td><td>{_e(r['text'])}"
            f"<div class=small>{_e(r['source'])} · {_e(r['status'])}</div>"
            f"{'<div class=small>' + _e(r['reason']) + '</div>' if r['reason'] else ''}</td><td class=small>{tests}</td></tr>"
        )
    failing = [t for t in report["tests"] if t["outcome"] in ("failed", "error")]
    failures = []
    for t in failing:
        waived = (
            f" <span class='v v-waived'>waived: {_e(t['waived_by']['reason'])}</span>"
            if t["waived_by"]
            else ""
        )
        example = t["hypothesis"].get("falsifying_example")
        failures.append(
            f"<h3><code>{_e(t['nodeid'])}</code>{waived}</h3><p>Requirements: {_e(', '.join(t['requirements']))}</p>"
            f"<pre>{_e(t['message'])}</pre>"
            + (f"<p>Minimal failing example (Hypothesis):</p><pre>{_e(example)}</pre>" if example else "")
            + "<details open><summary>Transcript (for a property test the last steps are the replay of "
            "the minimal failing example)</summary>" + _transcript(t["transcript"]) + "</details>"
        )
    passing = []
    for t in report["tests"]:
        if t["outcome"] not in ("failed", "error"):
            passing.append(
                f"<details><summary><code>{_e(t['nodeid'])}</code> — {_e(t['outcome'])} "
                f"({t['duration_s']:.3f} s; {_e(', '.join(t['requirements']))})</summary>"
                + (f"<p class=small>{_e(t['message'])}</p>" if t["message"] else "")
                + _transcript(t["transcript"])
                + "</details>"
            )
    cov = report["coverage"]
    waivers = report["waivers"]
    waiver_rows = "".join(
        f"<tr><td>{_e(p['requirement'])}</td><td>{_e(p['test'])}</td><td>{_e(p['reason'])}</td><td>{_e(p['expires'])}</td>"
        f"<td class='v v-fail'>{_e(p['problem'])}</td></tr>"
        for p in waivers["problems"]
    )
    verdict = report["verdict"]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>EHC conformance report {_e(report["report_id"])}</title>
<style>{CSS}</style></head><body>
<h1>Electronic / resident health card conformance report</h1>
<div class="banner {_e(verdict)}">Verdict: {_e(verdict.upper())} — role {_e(report["role"])}, profile {_e(report["profile"]["name"])}</div>
{head}
<h2>Summary</h2><div class=bar>{bar}</div><p>{legend}</p>
<p>Coverage: {cov["tested"]} of {cov["applicable"]} applicable requirements tested{"" if cov["ratio"] is None else f" ({100 * cov['ratio']:.1f} %)"}.
{("Untested: " + _e(", ".join(cov["untested"]))) if cov["untested"] else ""}</p>
<h2>Failures ({len(failing)})</h2>{"".join(failures) or "<p>None.</p>"}
<h2>Waivers</h2><p>File: {_e(waivers["file"] or "none")}, {len(waivers["entries"])} entries.</p>
{("<table><tr><th>Requirement</th><th>Test</th><th>Reason</th><th>Expires</th><th>Problem</th></tr>" + waiver_rows + "</table>") if waiver_rows else "<p>No waiver problems.</p>"}
<h2>Requirements ({len(report["requirements"])})</h2>
<table><tr><th>Id</th><th>Verdict</th><th>Level</th><th>Requirement · source · reason</th><th>Tests</th></tr>{"".join(rows)}</table>
<h2>All tests ({len(report["tests"])})</h2>{"".join(passing)}
<p class=small>Verify this report offline: <code>ehc certify verify-report DIR --lab-key LAB.pub.pem</code>
(manifest.json lists the SM3 digest of every file; manifest.sig is the lab's SM2 signature).</p>
</body></html>
"""
