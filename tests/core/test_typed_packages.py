"""PEP 561: every package of the kit says it is typed (a ``py.typed`` marker), in the install a
developer uses and in the wheel a vendor installs, so mypy checks code that imports the kit."""

import importlib.resources
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _packages() -> list[str]:
    """The top-level packages pyproject ships (``ehc*`` -> ``ehc``)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    return sorted(name.rstrip("*") for name in include)


def test_the_packages_are_the_kit_s_seven() -> None:
    # the list below must not silently shrink (a package dropped from pyproject ships untyped)
    assert _packages() == [
        "card_emulators",
        "conformance_tests",
        "ehc",
        "fixtures",
        "load_tests",
        "qr_codec",
        "reference_node",
    ]


@pytest.mark.parametrize("package", _packages())
def test_the_installed_package_has_its_marker(package: str) -> None:
    marker = importlib.resources.files(package) / "py.typed"
    assert marker.is_file(), f"{package}: no py.typed where the installed package is imported from"


def test_the_wheel_ships_every_marker(tmp_path: Path) -> None:
    # built from a copy so the source tree gets no build/ directory; no isolation: offline, seconds
    src = tmp_path / "src"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", ".tox", "*_cache", "__pycache__", "build", "dist", "out", "var", "*.egg-info"
        ),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("ehc_kit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [p for p in _packages() if f"{p}/py.typed" not in names]
    assert not missing, f"the wheel ships no py.typed for {missing}"
