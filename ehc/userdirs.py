"""Where the kit keeps a user's data by default (issue #17, docs/cli.md).

The node's data directory used to be ``./var/ehc-node`` of the working directory, so ``ehc node
client`` in another directory could not find a running node. Now: ``$EHC_NODE_HOME``, else the
platform's per-user data location (platformdirs; ``~/.local/share/ehc/node`` on Linux).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# the old defaults, relative to the working directory: reported, never moved
LEGACY = {"node": Path("var/ehc-node"), "frontend": Path("var/ehc-frontend")}
_ENV = {"node": "EHC_NODE_HOME", "frontend": "EHC_FRONTEND_HOME"}
_noticed: set[str] = set()


def user_data_home() -> Path:
    """The platform's per-user data directory of the kit (``…/ehc``)."""
    try:
        from platformdirs import user_data_dir
    except ImportError:  # the XDG rule platformdirs follows on Linux
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return Path(base) / "ehc"
    return Path(user_data_dir("ehc", appauthor=False))


def kit_home(kind: str) -> Path:
    """Default data directory of ``kind`` ("node" or "frontend"): its environment variable, else the
    per-user location. Says in one line on stderr when the old ``./var/…`` directory exists and the
    new location is still empty (nothing is moved silently)."""
    env = os.environ.get(_ENV[kind])
    if env:
        return Path(env)
    home = user_data_home() / kind
    legacy = LEGACY[kind]
    if kind not in _noticed and legacy.is_dir() and not (home.is_dir() and any(home.iterdir())):
        _noticed.add(kind)
        sys.stderr.write(
            f"ehc: {legacy}/ here is the old default data directory; the default is now {home} "
            f"(nothing moved): pass --data-dir {legacy}, set {_ENV[kind]}, or move it\n"
        )
    return home


def node_home() -> Path:
    return kit_home("node")


def frontend_home() -> Path:
    return kit_home("frontend")
