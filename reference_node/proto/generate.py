"""Regenerate the committed Python code of the node API: ``python -m reference_node.proto.generate``.

The ``.proto`` files live under ``reference_node/proto/ehc/node/v1`` and are compiled with
``reference_node/proto`` as the include root, so other languages see the clean file names
``ehc/node/v1/*.proto``. Python's generated imports (``from ehc.node.v1 import ...``) would clash
with the kit's own ``ehc`` package, so they are rewritten to ``reference_node.proto.ehc.node.v1``.
A test regenerates into a temporary directory and compares byte for byte (freshness check).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

PROTO_ROOT = Path(__file__).resolve().parent
PACKAGE_DIR = PROTO_ROOT / "ehc" / "node" / "v1"
_IMPORT = re.compile(r"^from ehc\.node\.v1 import ", re.MULTILINE)


def proto_files() -> list[Path]:
    return sorted(PACKAGE_DIR.glob("*.proto"))


def generate(out_dir: Path) -> list[Path]:
    """Compile every .proto into ``out_dir`` (laid out as ehc/node/v1/...); return the written files."""
    from grpc_tools import protoc  # build-time dependency only

    out_dir.mkdir(parents=True, exist_ok=True)
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{_well_known_include()}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *[str(p.relative_to(PROTO_ROOT)) for p in proto_files()],
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    written = sorted((out_dir / "ehc" / "node" / "v1").glob("*_pb2*.py*"))
    for path in written:
        text = path.read_text(encoding="utf-8")
        path.write_text(_IMPORT.sub("from reference_node.proto.ehc.node.v1 import ", text), encoding="utf-8")
    return written


def _well_known_include() -> str:
    import grpc_tools

    return str(Path(grpc_tools.__file__).resolve().parent / "_proto")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=PROTO_ROOT, help="output root (default: in place)")
    ns = parser.parse_args(argv)
    for path in generate(ns.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
