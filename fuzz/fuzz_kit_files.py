"""Fuzz the files users hand to the kit: population files (``ehc fixtures check``), vendor
declarations and waivers (TOML, ``ehc certify``), and signed conformance report directories
(``ehc certify verify-report`` on a tampered manifest). Contract: a result or EhcError."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from _harness import Input, contract, instrumented, main

from ehc.errors import EhcError

with instrumented(["fixtures", "conformance_tests"]):
    from conformance_tests.catalogue import default_catalogue
    from conformance_tests.declaration import load_declaration
    from conformance_tests.reportsign import sign_directory, verify_directory
    from conformance_tests.waivers import load_waivers
    from ehc.gm import SM2PrivateKey
    from fixtures.check import check_people
    from fixtures.population import generate_lines

refusal = contract(EhcError)
CATALOGUE = default_catalogue()
WORK = Path(tempfile.mkdtemp(prefix="ehc-fuzz-files-"))
POPULATION = list(generate_lines(count=6, seed=3))
_REPORT: dict[str, Path] = {}


def _signed_report() -> Path:
    """A small signed report directory (TEST-ONLY lab key), built once."""
    if not _REPORT:
        src = WORK / "report"
        src.mkdir()
        (src / "report.json").write_text(json.dumps({"verdict": "pass", "tests": []}))
        sign_directory(src, SM2PrivateKey.from_int(0xFEED), "TEST-ONLY fuzz lab", True)
        _REPORT["dir"] = src
    return _REPORT["dir"]


def _mutate(text: bytes, inp: Input) -> bytes:
    out = bytearray(text)
    for _ in range(1 + inp.byte() % 4):
        if not out:
            break
        pos = inp.int_below(len(out))
        op = inp.byte() % 3
        if op == 0:
            out[pos] = inp.byte()
        elif op == 1:
            del out[pos : pos + 1 + inp.byte() % 8]
        else:
            out[pos:pos] = inp.chunk(16)
    return bytes(out)


def TestOneInput(data: bytes) -> None:  # noqa: N802
    inp = Input(data)
    mode = inp.byte() % 4
    if mode == 0:
        lines = [_mutate(line.encode(), inp).decode("utf-8", "replace") for line in POPULATION]
        refusal(lambda: check_people(lines))
    elif mode in (1, 2):
        path = WORK / "input.toml"
        path.write_bytes(inp.rest())
        refusal(lambda: load_declaration(path, CATALOGUE) if mode == 1 else load_waivers(path, CATALOGUE))
    else:
        target = WORK / "tampered"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(_signed_report(), target)
        victim = target / inp.pick(sorted(p.name for p in target.iterdir()))
        victim.write_bytes(_mutate(victim.read_bytes(), inp))
        refusal(lambda: verify_directory(target))


if __name__ == "__main__":
    main(TestOneInput)
