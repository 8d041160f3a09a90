"""report.html: the certification report an evaluator reads, rendered from report.json with Jinja2.

Self-contained (inline CSS, no script, no network), bilingual (Chinese first, English beside) and
printable (a print stylesheet: every folded table is shown, rows are never cut, sections start on a
new page). The page is a pure function of the report dict and the signer's public identity, and it
is written before the manifest is signed, so the signature covers exactly these bytes.

The requirement catalogue has English statements only: the page labels them as such and never
shows a translation nobody has checked; the labels, verdicts, roles and levels are translated.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from functools import cache
from typing import Any

import jinja2

__all__ = ["render_html", "LABELS", "VERDICT_ZH"]

#: (中文, English) of every fixed label on the page.
LABELS: dict[str, tuple[str, str]] = {
    "title": (
        "电子健康卡 / 居民健康卡 一致性检测报告",
        "Electronic / resident health card conformance report",
    ),
    "summary": ("摘要", "Summary"),
    "verdict": ("结论", "Verdict"),
    "product": ("被测产品", "Product under test"),
    "vendor": ("厂商", "Vendor"),
    "version": ("版本", "Version"),
    "model": ("型号", "Model"),
    "adapter": ("接入方式", "Adapter"),
    "role": ("被测角色", "Role"),
    "profile": ("检测配置", "Profile"),
    "declaration": ("厂商声明", "Declaration"),
    "date": ("检测日期", "Date"),
    "times": ("开始 / 结束", "Started / finished"),
    "run_id": ("报告编号", "Run id"),
    "mode": ("检测模式", "Mode"),
    "signature": ("签名密钥", "Signing key"),
    "kit": ("检测工具", "Kit"),
    "hypothesis": ("随机测试", "Hypothesis"),
    "coverage": ("覆盖率", "Coverage"),
    "counts": ("各结论条数", "Requirements by verdict"),
    "gating_failures": ("导致不通过的要求", "Gating failures"),
    "failures": ("不通过项", "Failures"),
    "findings": ("应当级发现与豁免", "Should-level findings and waivers"),
    "passes": ("通过项", "Passes"),
    "not_applicable": ("不适用项", "Not applicable"),
    "records": ("测试记录与交互记录", "Test records and transcripts"),
    "verify": ("报告验证", "Verifying this report"),
    "requirement": ("要求", "Requirement"),
    "level": ("级别", "Level"),
    "source": ("出处", "Source"),
    "status": ("依据状态", "Status"),
    "evidence": ("证据", "Evidence"),
    "reproduce": ("复现方法", "How to reproduce"),
    "tests": ("测试", "Tests"),
    "duration": ("耗时", "Duration"),
    "reason": ("原因", "Reason"),
    "transcript": ("交互记录", "Transcript"),
    "example": ("最小失败样例", "Minimal failing example"),
    "none": ("无", "None"),
    "en_only": (
        "要求条文为目录英文原文（目录无中文条文，未作翻译）",
        "Requirement statements are the catalogue's English text (no checked Chinese version exists)",
    ),
    "waivers": ("豁免", "Waivers"),
    "waiver_problems": ("豁免问题", "Waiver problems"),
    "relaxed": ("厂商声明放宽的应当级要求", "Should-level requirements relaxed by the declaration"),
    "should_failed": ("不通过的应当级要求", "Failed should-level requirements"),
    "waived_reqs": ("已豁免的要求", "Waived requirements"),
    "test_only": (
        "仅供测试：本报告由本次运行临时生成的 TEST-ONLY 密钥签名，不是检测机构的认证签名",
        "TEST-ONLY: signed with a key generated for this run, not a certification lab's signature",
    ),
    "lab_signed": ("已由检测机构密钥签名", "Signed with the lab key"),
    "unsigned": ("签名信息未提供", "No signer information given to the renderer"),
    "fingerprint": ("公钥指纹 (SM3)", "public key fingerprint (SM3)"),
}

VERDICT_ZH = {
    "pass": "通过",
    "fail": "不通过",
    "waived": "豁免",
    "not-tested": "未测试",
    "not-applicable": "不适用",
}
OUTCOME_ZH = {"passed": "通过", "failed": "失败", "error": "错误", "skipped": "跳过", "not-run": "未运行"}
LEVEL_ZH = {"must": "必须", "should": "应当"}
MODE_ZH = {"certification": "认证检测", "development": "开发调试"}
ROLE_ZH = {
    "codec": "二维码编解码器",
    "card": "居民健康卡",
    "psam": "PSAM 安全模块",
    "terminal": "受理终端",
    "node": "城市节点 (gRPC)",
    "node-tencent": "城市节点 (腾讯接口)",
    "node-qinghai": "城市节点 (青海接口)",
    "node-sichuan": "城市节点 (四川接口)",
    "his": "医院信息系统 (HIS)",
}
#: how a role's run is started again: the command and its device option
ROLE_CLI = {
    "codec": "codec --parser",
    "card": "card --reader",
    "psam": "psam --reader",
    "terminal": "terminal --driver",
    "node": "node --target",
    "node-tencent": "node --api tencent --target",
    "node-qinghai": "node --api qinghai --target",
    "node-sichuan": "node --api sichuan --target",
    "his": "his --driver",
}
#: transcript steps of a failure's evidence printed (the last ones: the minimal failing example's
#: replay); the whole transcript is on screen and in report.json
PRINT_STEPS = 40
COLOURS = {
    "pass": "#2e8b47",
    "fail": "#c62828",
    "waived": "#c17d00",
    "not-tested": "#7e57c2",
    "not-applicable": "#b0b0b0",
}


def _transcript_text(steps: list[dict[str, Any]]) -> str:
    """The transcript as plain text (escaped by the template)."""
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
    return "\n".join(lines)


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("conformance_tests", "templates"),
        autoescape=True,  # every value from a DUT (messages, transcripts) is untrusted text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["transcript"] = _transcript_text
    return env


BEIJING = dt.timezone(dt.timedelta(hours=8))


def _beijing_date(started_at: str | None) -> str:
    """YYYY-MM-DD of the run's start in Beijing time (UTC+8): the date a Chinese evaluator files."""
    try:
        when = dt.datetime.fromisoformat(started_at or "")
    except ValueError:
        return (started_at or "")[:10]
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone(BEIJING).strftime("%Y-%m-%d")


def _reproduce(report: dict[str, Any], test: dict[str, Any]) -> list[str]:
    """Commands that run this test again with the run's seed and saved examples."""
    role = report["role"]
    profile = report["profile"]["name"]
    name = test["nodeid"].rpartition("::")[2].split("[")[0]
    cli = ROLE_CLI.get(role, f"{role} --dut")
    return [
        f'ehc certify {cli} DEVICE --profile {profile} --replay REPORT_DIR -k "{name}"',
        f'python -m pytest "{test["nodeid"]}" -p conformance_tests.plugin --ehc-role={role} '
        f"--ehc-dut=DEVICE --ehc-profile={profile} --ehc-replay=REPORT_DIR",
    ]


def _view(report: dict[str, Any], signer: dict[str, Any] | None) -> dict[str, Any]:
    tests = {t["nodeid"]: t for t in report["tests"]}
    reqs = report["requirements"]
    failing_of: dict[str, list[dict[str, Any]]] = {}
    duration_of: dict[str, float] = {}
    for r in reqs:
        r_tests = [tests[n] for n in r["tests"] if n in tests]
        failing_of[r["id"]] = [t for t in r_tests if t["outcome"] in ("failed", "error")]
        duration_of[r["id"]] = sum(t["duration_s"] for t in r_tests)
    failures = [r for r in reqs if r["verdict"] == "fail" or (r["verdict"] == "not-tested" and r["gating"])]
    failures.sort(key=lambda r: (r["level"] != "must", r["id"]))
    declaration = report["declaration"]
    relaxed_ids = {**declaration.get("exclusions", {}), **declaration.get("not_claimed", {})}
    relaxed = [r for r in reqs if r["id"] in relaxed_ids and r["verdict"] == "not-applicable"]
    na_groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in reqs:
        if r["verdict"] == "not-applicable":
            na_groups[r["reason"] or "—"].append(r)
    dut = report["dut"]
    decl_dut = declaration.get("dut", {})
    counts = report["summary"]["requirements"]
    total = sum(counts.values()) or 1
    reproduce_of = {
        t["nodeid"]: _reproduce(report, t) for t in report["tests"] if t["outcome"] in ("failed", "error")
    }
    return {
        "r": report,
        "PRINT_STEPS": PRINT_STEPS,
        "failing_of": failing_of,
        "duration_of": duration_of,
        "reproduce_of": reproduce_of,
        "L": LABELS,
        "VZ": VERDICT_ZH,
        "OZ": OUTCOME_ZH,
        "LZ": LEVEL_ZH,
        "MZ": MODE_ZH,
        "role_zh": ROLE_ZH.get(report["role"], report["role"]),
        "product": {
            "name": decl_dut.get("name")
            or dut.get("name")
            or dut.get("implementation")
            or dut.get("adapter"),
            "vendor": decl_dut.get("vendor") or dut.get("vendor"),
            "version": decl_dut.get("version") or dut.get("version"),
            "model": decl_dut.get("model") or dut.get("model"),
            "adapter": dut.get("adapter"),
        },
        "date": _beijing_date(report["started_at"]),
        "signer": signer,
        "failures": failures,
        "should_failed": [r for r in reqs if r["level"] == "should" and r["verdict"] == "fail"],
        "relaxed": relaxed,
        "waived": [r for r in reqs if r["verdict"] == "waived"],
        "passes": [r for r in reqs if r["verdict"] == "pass"],
        "na_groups": sorted(na_groups.items(), key=lambda kv: (-len(kv[1]), kv[0])),
        "na_count": sum(len(v) for v in na_groups.values()),
        "failing_tests": [t for t in report["tests"] if t["outcome"] in ("failed", "error")],
        "other_tests": [t for t in report["tests"] if t["outcome"] not in ("failed", "error")],
        "bar": [(v, n, 100 * n / total, COLOURS.get(v, "#999")) for v, n in counts.items() if n],
        "counts": counts,
        "seed": "derandomized (certification)"
        if report["hypothesis"].get("derandomize")
        else report["hypothesis"].get("seed"),
    }


def render_html(report: dict[str, Any], signer: dict[str, Any] | None = None) -> str:
    """The page for ``report``; ``signer`` = {"label", "test_only", "fingerprint"} of the key that
    signs the directory (fingerprint = the manifest's ``signer.public_key_sm3``)."""
    view = _view(report, signer)
    return _env().get_template("report.html").render(**view)
