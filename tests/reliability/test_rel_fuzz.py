"""Coverage-guided fuzzing in CI (bounded) and the replay of every crash ever found.

* ``test_fuzz_target_bounded``: each harness of fuzz/ runs under atheris for EHC_FUZZ_SECONDS
  (default 10 s) in a subprocess; any crash fails the test and names the artifact to copy into
  fuzz/regressions/<target>/. Longer runs: ``fuzz/run.sh all 3600``.
* ``test_regression_and_corpus_vectors_replay``: every file of fuzz/regressions/<target>/ and the
  seed corpus runs through the harness in process (the contract holds on each).
* Without atheris (it has no wheel for some platforms) the same harnesses run under Hypothesis.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rel_fuzz import TARGETS, harness, have_atheris, run_fuzzer, vectors

SECONDS = int(os.environ.get("EHC_FUZZ_SECONDS", "10"))


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_target_bounded(target, tmp_path):
    if not have_atheris():
        pytest.skip("atheris not installed (pip install atheris); test_hypothesis_drives_harness covers it")
    run = run_fuzzer(target, SECONDS, tmp_path)
    print(f"fuzz {target}: {run.runs} inputs in {SECONDS} s, coverage {run.coverage} edges")
    assert run.returncode == 0 and not run.artifacts, (
        f"fuzz target {target} crashed; copy {[str(a) for a in run.artifacts]} into "
        f"fuzz/regressions/{target}/ and fix the bug.\n" + run.output[-4000:]
    )
    assert run.runs > 0, run.output[-2000:]


@pytest.mark.parametrize("target", TARGETS)
def test_regression_and_corpus_vectors_replay(target):
    files = vectors(target, "regressions") + vectors(target, "corpus")
    assert vectors(target, "corpus"), f"fuzz/corpus/{target}/ has no seeds"
    test_one_input = harness(target).TestOneInput
    for path in files:
        test_one_input(path.read_bytes())


@pytest.mark.skipif(have_atheris(), reason="atheris is installed: the coverage-guided runs cover this")
@pytest.mark.parametrize("target", TARGETS)
def test_hypothesis_drives_harness(target):
    test_one_input = harness(target).TestOneInput

    @settings(max_examples=300, database=None)
    @given(st.binary(max_size=600))
    def check(data: bytes) -> None:
        test_one_input(data)

    check()
