"""Helpers to drive the fuzz harnesses of fuzz/ from pytest (a uniquely named module)."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
FUZZ = REPO / "fuzz"
TARGETS = (
    "qr_text",
    "qr_image",
    "apdu_user",
    "apdu_psam",
    "card_data",
    "readers",
    "node_requests",
    "kit_files",
)


def harness(target: str) -> ModuleType:
    if str(FUZZ) not in sys.path:
        sys.path.insert(0, str(FUZZ))
    return importlib.import_module(f"fuzz_{target}")


def vectors(target: str, kind: str) -> list[Path]:
    """Files of fuzz/<kind>/<target>/ (kind: corpus | regressions), sorted."""
    folder = FUZZ / kind / target
    return sorted(p for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []


def have_atheris() -> bool:
    try:
        import atheris  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class FuzzRun:
    target: str
    returncode: int
    runs: int
    coverage: int
    output: str
    artifacts: list[Path]


def run_fuzzer(target: str, seconds: int, work: Path) -> FuzzRun:
    """One bounded atheris run in a subprocess; new corpus units go to ``work``, never to the repo."""
    corpus = work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts = work / "artifacts"
    artifacts.mkdir(exist_ok=True)
    cmd = [
        sys.executable, str(FUZZ / f"fuzz_{target}.py"), f"-max_total_time={seconds}", "-rss_limit_mb=2048",
        "-timeout=30", f"-artifact_prefix={artifacts}/", "-print_final_stats=1", str(corpus), str(FUZZ / "corpus" / target),
    ]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120, cwd=work, env=env)
    out = proc.stdout + proc.stderr
    runs = re.findall(r"Done (\d+) runs", out)
    cov = re.findall(r"cov: (\d+)", out)
    return FuzzRun(target, proc.returncode, int(runs[-1]) if runs else 0, int(cov[-1]) if cov else 0, out,
                   sorted(artifacts.glob("*")))  # fmt: skip
