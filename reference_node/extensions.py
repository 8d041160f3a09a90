"""Extensions of the node: a subpackage ``reference_node.<name>`` with a module ``node_extension``
is imported before the servers start; at import it registers its gRPC service
(``reference_node.server.register_service``) and/or HTTP routes
(``reference_node.gateway.app.register_http``). The core never imports an extension by name.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from pathlib import Path

from reference_node.observability import log

LOG = logging.getLogger("reference_node")
_LOADED: list[str] = []


def load_extensions() -> list[str]:
    """Import every ``reference_node.*.node_extension`` module once; return their names."""
    if _LOADED:
        return list(_LOADED)
    root = Path(__file__).resolve().parent
    for info in sorted(pkgutil.iter_modules([str(root)]), key=lambda i: i.name):
        if not info.ispkg or not (root / info.name / "node_extension.py").exists():
            continue
        name = f"reference_node.{info.name}.node_extension"
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - a broken extension must not stop the node
            log(
                LOG,
                logging.ERROR,
                "extension failed to load",
                extension=name,
                error=f"{type(exc).__name__}: {exc}"[:300],
            )
            continue
        _LOADED.append(name)
    if not _LOADED:
        _LOADED.append("")  # remember that the scan ran
    return [n for n in _LOADED if n]
