"""Identity of the kit that produced a report: version and an SM3 hash of its source files.

Evaluators compare the hash in a report with the hash of the kit release they trust (``ehc
certify selftest`` prints it), like the GSA PIV tool's published hashes.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from pathlib import Path

from ehc.gm import sm3

PACKAGES = (
    "ehc",
    "qr_codec",
    "card_emulators",
    "reference_node",
    "conformance_tests",
    "load_tests",
    "fixtures",
)
SUFFIXES = {".py", ".toml", ".json", ".proto", ".html", ".css", ".pem", ".csv", ".txt", ".md", ".jsonl"}


def _package_files(package: str) -> list[tuple[str, Path]]:
    try:
        module = importlib.import_module(package)
    except ImportError:
        return []
    root = Path(module.__file__).parent if module.__file__ else None
    if root is None:
        return []
    files = []
    for path in root.rglob("*"):
        if path.is_file() and path.suffix in SUFFIXES and "__pycache__" not in path.parts:
            files.append((f"{package}/{path.relative_to(root).as_posix()}", path))
    return sorted(files)


def kit_identity() -> dict[str, object]:
    """``{name, version, source_sm3, files, packages: {pkg: sm3}}`` of the installed kit."""
    try:
        version = importlib.metadata.version("ehc-kit")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    total = []
    per_package = {}
    count = 0
    for package in PACKAGES:
        lines = []
        for rel, path in _package_files(package):
            lines.append(f"{rel}\0{sm3(path.read_bytes()).hex()}\n")
        count += len(lines)
        per_package[package] = sm3("".join(lines).encode()).hex() if lines else None
        total.extend(lines)
    return {
        "name": "ehc-kit",
        "version": version,
        "source_sm3": sm3("".join(total).encode()).hex(),
        "files": count,
        "packages": per_package,
    }
