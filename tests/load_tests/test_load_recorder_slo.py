"""Recorder merging, the run summary and SLO evaluation on recorded data."""

from __future__ import annotations

import random

import numpy as np
import pytest

from ehc.errors import EhcError
from load_tests.analysis import summarise
from load_tests.recorder import Recorder
from load_tests.slo import evaluate, parse_slo, verdict


def _recorded(
    seed: int, start: float, seconds: int, per_second: int
) -> tuple[Recorder, dict[str, list[float]]]:
    rng = random.Random(seed)
    rec = Recorder()
    raw: dict[str, list[float]] = {"VerifyQr": [], "Report": []}
    for s in range(seconds):
        for _ in range(per_second):
            name = rng.choice(list(raw))
            ms = rng.lognormvariate(0.5, 0.8)
            outcome = rng.choices(["ok", "refused", "error"], weights=[90, 8, 2])[0]
            rec.add(
                name, outcome, ms, 100, when=start + s + rng.random(), error="UNAVAILABLE", code="QR_EXPIRED"
            )
            if outcome != "error":
                raw[name].append(ms)
    return rec, raw


def test_worker_drains_merge_to_the_same_totals() -> None:
    whole, _ = _recorded(1, 1000.0, 5, 50)
    parts = Recorder()
    a, _ = _recorded(1, 1000.0, 5, 50)  # same stream, delivered in two drains via the wire form
    first = a.drain()
    assert a.count == 0
    parts.merge(Recorder.from_dict(first))
    assert parts.count == whole.count
    for name, st in whole.endpoints.items():
        got = parts.endpoints[name]
        assert (got.ok, got.refused, got.error) == (st.ok, st.refused, st.error)
        assert got.hist.bins == st.hist.bins
    assert parts.seconds.keys() == whole.seconds.keys()


def test_summary_percentiles_and_steady_throughput() -> None:
    rec, raw = _recorded(2, 2000.0, 10, 40)
    data = {
        "recorder": rec.to_dict(),
        "meta": {"started_at": 2000.0, "steady_from": 2002.0, "stopped_at": 2010.0},
        "config": {"scenario": "x", "target": "t"},
        "locust": {"num_requests": rec.count},
    }
    s = summarise(data)
    assert s["samples"] == 400 and s["locust_cross_check"]["matches"]
    for name, values in raw.items():
        fig = s["endpoints"][name]
        assert fig["p99_ms"] == pytest.approx(float(np.percentile(values, 99)), rel=1e-3)
        assert fig["ok"] + fig["refused"] == len(values)
    # steady part = whole seconds 2002..2009: 8 s of answered requests
    answered = sum(
        st.ok + st.refused for sec, per in rec.seconds.items() if 2002 <= sec < 2010 for st in per.values()
    )
    assert s["totals"]["rps_steady"] == pytest.approx(answered / 8)
    assert s["totals"]["error_ratio"] == pytest.approx(s["totals"]["error"] / 400)
    assert "VerifyQr: QR_EXPIRED" in s["refusals"] or "Report: QR_EXPIRED" in s["refusals"]


def test_slo_verdict_names_each_broken_objective() -> None:
    rec, _ = _recorded(3, 3000.0, 5, 40)
    s = summarise(
        {"recorder": rec.to_dict(), "meta": {"started_at": 3000.0, "stopped_at": 3005.0}, "config": {}}
    )
    objectives = parse_slo(
        """
        [total]
        max_p99_ms = 0.001
        max_error_ratio = 0.5
        min_samples = 1
        [endpoints.VerifyQr]
        min_rps = 1000000
        [endpoints.NeverCalled]
        max_p95_ms = 100
        """
    )
    v = verdict(evaluate(objectives, s))
    assert not v["passed"]
    assert set(v["broken"]) == {"total.max_p99_ms", "VerifyQr.min_rps", "NeverCalled.max_p95_ms"}


@pytest.mark.parametrize(
    "text",
    [
        "[total]\nmax_p99 = 3",  # unknown objective
        "[total]\nmax_p99_ms = -1",
        "[total]\nmax_p99_ms = 'fast'",
        "[totals]\nmax_p99_ms = 3",  # unknown section
        "description = 'nothing to check'",
        "[total\n",
    ],
)
def test_malformed_slo_files_are_refused_with_the_kit_code(text: str) -> None:
    with pytest.raises(EhcError) as info:
        parse_slo(text)
    assert info.value.code.name == "LOAD_BAD_SLO"


def test_packaged_slo_files_parse() -> None:
    from pathlib import Path

    import load_tests

    files = sorted((Path(load_tests.__file__).parent / "slo").glob("*.toml"))
    assert {f.stem for f in files} >= {
        "outpatient-peak",
        "issuance-campaign",
        "hospital-day",
        "mixed",
        "echo",
    }
    for f in files:
        assert parse_slo(f.read_text(), str(f))


def test_time_buckets_widen_with_duration_and_keep_totals_exact() -> None:
    from load_tests.recorder import BUCKET_ALPHA, MAX_BUCKETS, bucket_for

    assert bucket_for(5) == 1 and bucket_for(600) == 1
    assert bucket_for(24 * 3600) * MAX_BUCKETS >= 24 * 3600 and bucket_for(24 * 3600) == 144
    rng = random.Random(7)
    fine, wide = Recorder(), Recorder(bucket_s=5)
    samples = []
    for _ in range(2000):
        when, ms = 4000.0 + rng.random() * 20, rng.lognormvariate(1, 0.5)
        fine.add("VerifyQr", "ok", ms, when=when)
        wide.add("VerifyQr", "ok", ms, when=when)
        samples.append((when, ms))
    assert set(wide.seconds) == {4000, 4005, 4010, 4015}
    assert (
        wide.endpoints["VerifyQr"].hist.bins == fine.endpoints["VerifyQr"].hist.bins
    )  # totals: full precision
    in_bucket = [ms for when, ms in samples if 4005 <= when < 4010]
    got = wide.seconds[4005]["VerifyQr"].hist.quantile(0.95)
    assert abs(got - float(np.percentile(in_bucket, 95))) <= BUCKET_ALPHA * float(
        np.percentile(in_bucket, 95)
    )
    meta = {"started_at": 4000.0, "steady_from": 4002.0, "stopped_at": 4020.0}
    s = summarise({"recorder": Recorder.from_dict(wide.to_dict()).to_dict(), "meta": meta, "config": {}})
    # whole buckets inside [4002, 4020): 4005, 4010, 4015 -> 15 s
    assert s["steady_s"] == 15.0
    assert s["totals"]["rps_steady"] == pytest.approx(sum(1 for w, _ in samples if 4005 <= w < 4020) / 15)
    with pytest.raises(ValueError):
        fine.merge(wide)
