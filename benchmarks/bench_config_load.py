"""Load time of the kit's configuration files: hand-written checks (before issue #17) against the
pydantic models (after), measured in one run.

    python benchmarks/bench_config_load.py [--rounds 15] [--baseline bef5326] [--json]

Every ``ehc certify`` run loads the requirement catalogue (11 TOML files, ~250 requirements), the
profile chain, and the vendor's declaration and waivers. Each loader is timed as shipped (after)
and as it was at ``--baseline`` (before: the module's source is read with ``git show`` and run as
a sibling module, so both use the same TOML files, interpreter and round). CPU time, median of
``--rounds`` interleaved rounds; ``import`` is the one-off cost of importing the loaders (after:
with pydantic and the models built), each in a fresh interpreter, median of 5.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EXAMPLES = ROOT / "conformance_tests" / "examples"


def _source(path: str, baseline: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{baseline}:{path}"], check=True, capture_output=True, text=True
    ).stdout


def _run(module: str, path: str, source: str, name: str) -> Any:
    mod = types.ModuleType(name)
    mod.__package__ = module.rsplit(".", 1)[0] if not path.endswith("__init__.py") else module
    mod.__file__ = str(ROOT / path)
    sys.modules[name] = mod  # dataclasses look their module up
    exec(compile(source, str(ROOT / path), "exec"), mod.__dict__)  # noqa: S102 - the kit's own history
    return mod


def _before(module: str, path: str, baseline: str) -> Any:
    """``module`` as it was at ``baseline``, beside the current one (relative imports resolve)."""
    return _run(module, path, _source(path, baseline), f"{module}_before")


def _cpu_ms(fn: Callable[[], Any], n: int = 1) -> float:
    t0 = time.process_time_ns()
    for _ in range(n):
        fn()
    return (time.process_time_ns() - t0) / n / 1e6


MODULES = {
    "conformance_tests.catalogue": "conformance_tests/catalogue.py",
    "conformance_tests.declaration": "conformance_tests/declaration.py",
    "conformance_tests.waivers": "conformance_tests/waivers.py",
    "ehc.profiles": "ehc/profiles/__init__.py",
}


def _import_child(which: str, baseline: str) -> None:
    """In a fresh interpreter: CPU ms to import the four loaders (before: ``baseline``'s sources
    under their own names, so that nothing imports the current ones)."""
    import importlib

    sources = {m: _source(p, baseline) for m, p in MODULES.items()} if which == "before" else {}
    importlib.import_module("conformance_tests.errors")  # the package itself, the same in both
    t0 = time.process_time()
    for module in ("ehc.profiles", "conformance_tests.catalogue", "conformance_tests.waivers",
                   "conformance_tests.declaration"):  # fmt: skip
        if which == "before":
            _run(module, MODULES[module], sources[module], module)
        else:
            importlib.import_module(module)
    print((time.process_time() - t0) * 1000, "pydantic" in sys.modules)


def _import_ms(which: str, baseline: str) -> float:
    runs = []
    for _ in range(5):
        out = subprocess.run(
            [sys.executable, __file__, "--import-child", which, "--baseline", baseline],
            cwd=ROOT, check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        runs.append(float(out.split()[0]))
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--baseline", default="bef5326", help="commit of the hand-written loaders")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--import-child", choices=("before", "after"), help=argparse.SUPPRESS)
    a = parser.parse_args()
    if a.import_child:
        _import_child(a.import_child, a.baseline)
        return

    import conformance_tests.catalogue as cat_after
    import conformance_tests.declaration as decl_after
    import conformance_tests.waivers as waiv_after
    import ehc.profiles as prof_after

    cat_before = _before("conformance_tests.catalogue", "conformance_tests/catalogue.py", a.baseline)
    decl_before = _before("conformance_tests.declaration", "conformance_tests/declaration.py", a.baseline)
    waiv_before = _before("conformance_tests.waivers", "conformance_tests/waivers.py", a.baseline)
    prof_before = _before("ehc.profiles", "ehc/profiles/__init__.py", a.baseline)
    catalogue = cat_after.load_catalogue()
    profiles = prof_after.available_profiles()

    cases: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
        "catalogue (load_catalogue)": (cat_before.load_catalogue, cat_after.load_catalogue),
        f"profiles ({len(profiles)} files, read_profile_file)": (
            lambda: [prof_before.read_profile_file(n) for n in profiles],
            lambda: [prof_after.read_profile_file(n) for n in profiles],
        ),
        "declaration (examples/declaration-node.toml)": (
            lambda: decl_before.load_declaration(EXAMPLES / "declaration-node.toml", catalogue),
            lambda: decl_after.load_declaration(EXAMPLES / "declaration-node.toml", catalogue),
        ),
        "waivers (examples/waivers.toml)": (
            lambda: waiv_before.load_waivers(EXAMPLES / "waivers.toml", catalogue),
            lambda: waiv_after.load_waivers(EXAMPLES / "waivers.toml", catalogue),
        ),
    }
    results: dict[str, dict[str, float]] = {}
    for name, (before, after) in cases.items():
        reps = 1 if name.startswith("catalogue") else 50
        b, f = [], []
        for _ in range(a.rounds):  # interleaved: the machine is shared
            b.append(_cpu_ms(before, reps))
            f.append(_cpu_ms(after, reps))
        mb, mf = statistics.median(b), statistics.median(f)
        results[name] = {"before_ms": mb, "after_ms": mf, "ratio": mf / mb}
    imports = {"before_ms": _import_ms("before", a.baseline), "after_ms": _import_ms("after", a.baseline)}
    if a.json:
        print(
            json.dumps(
                {"rounds": a.rounds, "baseline": a.baseline, "import_ms": imports, "results": results},
                indent=2,
            )
        )
        return
    print(f"load time, CPU ms, median of {a.rounds} interleaved rounds (before = {a.baseline})")
    for name, r in results.items():
        print(f"  {name:48s} before {r['before_ms']:8.3f}  after {r['after_ms']:8.3f}  x{r['ratio']:.2f}")
    print(
        f"  {'import of the four loaders (fresh interpreter)':48s} before {imports['before_ms']:8.3f}"
        f"  after {imports['after_ms']:8.3f}  (after includes importing pydantic and building the models)"
    )


if __name__ == "__main__":
    main()
