"""DUT adapters: how a suite reaches the device under test for each role.

``make_adapter(role, spec, run)`` turns the ``--ehc-dut`` string into an adapter object:

=============================  ==========================================================
``reference``                  the kit's reference implementation of the role, in process
``mutant:NAME``                a deliberately broken reference (``ehc certify selftest``)
``module:pkg.mod:factory``     a vendor adapter: ``factory(run)`` returns the adapter
role-specific                  ``HOST:PORT`` (node), ``reader:NAME`` (card), ``driver:CMD``
                               (terminal), ``listen:HOST:PORT`` (his)
=============================  ==========================================================

The method set each role's adapter offers is documented in its module and in
docs/certification.md.
"""

from __future__ import annotations

import importlib
from typing import Any

from ehc.errors import EhcError

from ..errors import ADAPTER_UNAVAILABLE, ADAPTER_UNKNOWN

_ROLE_MODULES = {
    "codec": "conformance_tests.adapters.codec",
    "card": "conformance_tests.adapters.card",
    "psam": "conformance_tests.adapters.card",  # the same adapter: ``dut.psam`` is the device
    "node": "conformance_tests.adapters.node",
    "terminal": "conformance_tests.adapters.terminal",
    "his": "conformance_tests.adapters.his",
    "node-tencent": "conformance_tests.adapters.tencent",
    "node-qinghai": "conformance_tests.adapters.qinghai",
    "node-sichuan": "conformance_tests.adapters.sichuan",
}


def make_adapter(role: str, spec: str, run: Any) -> Any:
    if spec.startswith("module:"):
        target = spec[len("module:") :]
        module_name, _, attr = target.rpartition(":")
        if not module_name or not attr:
            raise EhcError(ADAPTER_UNKNOWN, "module adapters are written module:package.module:factory")
        try:
            factory = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise EhcError(ADAPTER_UNAVAILABLE, f"{target}: {exc}") from None
        return factory(run)
    module = _ROLE_MODULES.get(role)
    if module is None:
        raise EhcError(ADAPTER_UNKNOWN, f"no adapters for role {role!r}")
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        raise EhcError(ADAPTER_UNAVAILABLE, f"{role} adapter: {exc}") from None
    return mod.make(spec, run)
