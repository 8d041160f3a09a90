"""Scanner test bench: the sample sequence shown to a keyboard-wedge scanner and the verdicts.

Samples come from qr_codec: valid static e-card codes, codes that must be refused (a tampered
payload / a non-e-card QR) and degraded images (``qr_codec.degrade.degraded_set``: blur, noise,
low contrast, ...). A scanner in keyboard-wedge mode "types" what it read and ends with Enter; the
page times each code from display to Enter and scores it:

* correct   — typed exactly the encoded text;
* misread   — typed something else (a substitution error: the dangerous case);
* missed    — nothing typed before the operator skipped;
* ``expected`` is always the encoded text: a scanner reads symbols; whether the node accepts the
  payload is the node's job, so "invalid" samples score on faithful reading too and carry
  ``node_should_refuse`` for the operator's information.
"""

from __future__ import annotations

import hashlib
import statistics
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ehc.errors import EhcError
from reference_node.supervision.errors import BAD_INPUT

MAX_RESULTS = 500


@dataclass(frozen=True)
class Sample:
    sample_id: str
    kind: str  # valid | invalid | degraded
    text: str
    description: str
    png: bytes
    node_should_refuse: bool = False

    def public(self) -> dict[str, Any]:
        return {"sample_id": self.sample_id, "kind": self.kind, "expected": self.text,
                "description": self.description, "node_should_refuse": self.node_should_refuse,
                "image": f"/scanner-bench/samples/{self.sample_id}.png"}  # fmt: skip


DEGRADED_PRESETS = ("rotate-10", "blur-1.5", "noise-25", "contrast-low", "glare-0.5", "damage-0.12",
                    "jpeg-25", "phone-screen", "blur-4")  # fmt: skip


@lru_cache(maxsize=4)
def samples(seed: int = 2019) -> tuple[Sample, ...]:
    """The bench sequence: 3 valid codes, 2 the node must refuse, then degraded images of a valid one."""
    from qr_codec.degrade import degraded_set
    from qr_codec.image import render_png

    texts = sample_texts(seed)
    out: list[Sample] = []
    for i, text in enumerate(texts["valid"]):
        out.append(
            Sample(f"valid-{i + 1}", "valid", text, "e-card static code, clean", render_png(text, scale=6))
        )
    for i, (text, why) in enumerate(texts["invalid"]):
        out.append(Sample(f"invalid-{i + 1}", "invalid", text, why, render_png(text, scale=6), True))
    base = texts["valid"][0]
    for d in degraded_set(base, seed, presets=DEGRADED_PRESETS, samples=1):
        out.append(Sample(f"degraded-{d.name}", "degraded", d.expected_text, f"degraded ({d.severity}): {d.name}",
                          _png(d.image)))  # fmt: skip
    return tuple(out)


def _png(array: Any) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def sample_texts(seed: int) -> dict[str, Any]:
    """Deterministic static e-card texts (TEST-ONLY EHCIDs) and variants the node must refuse."""
    from qr_codec.text import make_static

    valid = [make_static(hashlib.sha256(f"bench-{seed}-{i}".encode()).hexdigest().upper()) for i in range(3)]
    tail = "0000" if not valid[0].endswith("0000") else "1111"
    invalid = [
        (valid[0][:-4] + tail, "tampered EHCID tail: reads fine, the node must refuse it"),
        ("https://example.invalid/not-an-e-card", "not an e-card code: the HIS must refuse it"),
    ]
    return {"valid": valid, "invalid": invalid}


def evaluate(samples_by_id: dict[str, Sample], results: list[dict[str, Any]]) -> dict[str, Any]:
    """Recompute verdicts server-side from what was typed (a page cannot mark itself correct)."""
    if not isinstance(results, list) or len(results) > MAX_RESULTS:
        raise EhcError(BAD_INPUT, f"results must be a list of at most {MAX_RESULTS} entries", field="results")
    scored: list[dict[str, Any]] = []
    for i, r in enumerate(results):
        sid = str(r.get("sample_id", ""))
        sample = samples_by_id.get(sid)
        if sample is None:
            raise EhcError(BAD_INPUT, f"result {i}: unknown sample_id {sid[:40]!r}", field="results")
        typed = str(r.get("typed", ""))[:4096]
        try:
            millis = float(r.get("millis", 0.0))
        except (TypeError, ValueError):
            raise EhcError(BAD_INPUT, f"result {i}: millis is not a number", field="results") from None
        verdict = "correct" if typed == sample.text else ("missed" if typed == "" else "misread")
        scored.append({"index": i, "sample_id": sid, "expected": sample.text, "typed": typed,
                       "correct": verdict == "correct", "millis": round(max(millis, 0.0), 1), "verdict": verdict})  # fmt: skip
    times = [s["millis"] for s in scored if s["verdict"] != "missed"]
    return {
        "results": scored,
        "codes_total": len(scored),
        "codes_correct": sum(s["correct"] for s in scored),
        "misreads": sum(s["verdict"] == "misread" for s in scored),
        "median_millis": round(statistics.median(times), 1) if times else 0.0,
    }
