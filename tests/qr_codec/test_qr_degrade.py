"""Degraded-image sets: reproducible, and zxing-cpp reads the mild presets (the severe ones are charted)."""

from __future__ import annotations

import hashlib
from datetime import datetime

import numpy as np
import pytest

from ehc.errors import EhcError
from qr_codec import degrade as D
from qr_codec import errors as qe
from qr_codec.ehcid import derive_ehcid
from qr_codec.image import read_codes
from qr_codec.text import make_dynamic

KEY = bytes.fromhex("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF")  # TEST-ONLY
# a fixed expiry: the image content (and so every read result) is the same on every run
TEXT = make_dynamic(
    derive_ehcid(bytes(range(1, 33)), KEY, "01", "37080219900101123X"), KEY, datetime(2026, 3, 15, 8, 35)
)
SAMPLES = 20

#: Severe presets zxing-cpp 3.x reads (almost) never; docs/assumptions.md ("qr_codec") lists them.
#: If a zxing-cpp upgrade starts reading one, this test fails: update the docs and the list.
DOCUMENTED_UNREADABLE = ["blur-4", "noise-90", "contrast-faint", "damage-0.3", "finder-1"]


def _digest(samples) -> str:
    h = hashlib.sha256()
    for s in samples:
        h.update(s.name.encode() + s.image.tobytes() + repr(s.image.shape).encode())
    return h.hexdigest()


def _read_rate(samples) -> float:
    return sum(any(c.text == s.expected_text for c in read_codes(s.image)) for s in samples) / len(samples)


def test_same_seed_same_images_other_seed_other_images() -> None:
    a = D.degraded_set(TEXT, 7, samples=2)
    b = D.degraded_set(TEXT, 7, samples=2)
    c = D.degraded_set(TEXT, 8, samples=2)
    assert _digest(a) == _digest(b) != _digest(c)


def test_a_subset_reproduces_the_same_images_as_the_full_set() -> None:
    full = {(s.name, s.index): s.image for s in D.degraded_set(TEXT, 3, samples=2)}
    part = D.degraded_set(TEXT, 3, samples=2, presets=["glare-0.5", "noise-25"])
    assert all(np.array_equal(s.image, full[(s.name, s.index)]) for s in part)


def test_samples_of_one_preset_differ_and_unpack() -> None:
    samples = D.degraded_set(TEXT, 1, samples=3, presets=["blur-1"])
    assert len({s.image.tobytes() for s in samples}) == 3
    name, params, image, expected = samples[0]
    assert (name, params, expected) == ("blur-1", {"radius": 1.0}, TEXT)
    assert image.dtype == np.uint8 and image.ndim == 2


def test_every_kind_has_a_preset_and_every_preset_a_severity() -> None:
    assert {p.kind for p in D.PRESETS.values()} == set(D.KINDS)
    assert {p.severity for p in D.PRESETS.values()} == {"mild", "severe"}
    assert set(D.preset_names("mild")) | set(D.preset_names("severe")) == set(D.PRESETS)


@pytest.mark.parametrize("name", D.preset_names("mild"))
def test_zxing_reads_at_least_95_percent_of_each_mild_set(name: str) -> None:
    rate = _read_rate(D.degraded_set(TEXT, 2026, samples=SAMPLES, presets=[name]))
    assert rate >= 0.95, f"{name}: read {rate:.0%}"


@pytest.mark.parametrize("name", DOCUMENTED_UNREADABLE)
def test_documented_severe_sets_are_really_unreadable(name: str) -> None:
    assert D.PRESETS[name].severity == "severe"
    rate = _read_rate(D.degraded_set(TEXT, 2026, samples=SAMPLES, presets=[name]))
    assert rate <= 0.10, f"{name}: zxing-cpp now reads {rate:.0%}; update docs/assumptions.md"


def test_each_degradation_changes_the_same_input() -> None:
    from qr_codec.image import render_array

    base = render_array(TEXT)
    for name, preset in D.PRESETS.items():
        out = D.apply(base, preset.kind, preset.params, np.random.default_rng(1))
        changed = out.shape != base.shape or not np.array_equal(out, base)
        assert changed == (name != "clean"), name


def test_unknown_preset_kind_and_bad_params() -> None:
    rng = np.random.default_rng(0)
    img = np.full((10, 10), 255, np.uint8)
    for call in (
        lambda: D.degraded_set(TEXT, 1, presets=["blur-99"]),
        lambda: D.degraded_set(TEXT, 1, samples=0),
        lambda: D.apply(img, "melt", {}, rng),
        lambda: D.apply(img, "blur", {"sigma": 1}, rng),
    ):
        with pytest.raises(EhcError) as exc:
            call()
        assert exc.value.code is qe.DEGRADE_UNKNOWN


def test_read_rates_with_the_kit_reader_and_a_failing_dut_reader() -> None:
    rates = D.read_rates(TEXT, 4, presets=["blur-1", "finder-1"], samples=5)
    assert [(r.name, r.severity, r.read, r.total) for r in rates] == [
        ("blur-1", "mild", 5, 5),
        ("finder-1", "severe", 0, 5),
    ]
    assert rates[0].rate == 1.0

    def broken_reader(image):
        raise RuntimeError("DUT crashed")

    rates = D.read_rates(TEXT, 4, broken_reader, presets=["clean"], samples=3)
    assert (rates[0].read, rates[0].total) == (0, 3)

    def wrong_text_reader(image):
        return ["SOMETHING ELSE"]

    assert D.read_rates(TEXT, 4, wrong_text_reader, presets=["clean"], samples=2)[0].read == 0
