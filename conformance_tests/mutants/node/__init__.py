"""Mutants of the node role, one module each: a vendor's node written from the docs that cuts
corners or lies — a real gRPC server (``_proxy.VendorNode``) in front of the kit's reference node,
which the suite reaches instead of the node (the reference node itself runs unchanged)."""

from __future__ import annotations

from typing import Any

from ehc.errors import EhcError

from ...errors import ADAPTER_UNKNOWN
from .. import discover


class _ProxiedNode:
    """Stops the vendor's proxy, then the reference node behind it."""

    def __init__(self, proxy: Any, running: Any) -> None:
        self.proxy, self.running = proxy, running

    @property
    def node(self) -> Any:
        """The reference node behind the proxy (the suite pins its policy day through it)."""
        return self.running.node

    def stop(self) -> None:
        self.proxy.close()
        self.running.stop()


def make_mutant(name: str, run: Any) -> Any:
    """The suite's adapter, talking to mutant ``name`` (a proxy) in front of a reference node."""
    from ...adapters.node import GrpcNode, start_reference

    mutants = discover(__name__)
    cls = mutants.get(name)
    if cls is None:
        raise EhcError(ADAPTER_UNKNOWN, f"no node mutant {name!r}; known: {', '.join(mutants)}")
    from ...tlsmaterial import make_test_tls

    reference = start_reference(run)  # plaintext on the loopback: the vendor's back end
    backend = getattr(cls, "backend_config", None)
    if backend is not None:  # a vendor whose back end leaves a province rule out (its own build)
        node = reference._owner.node
        node.config = backend(node.config)
    proxy = cls(reference.target, reference.identities, tls=make_test_tls())
    for client in reference.clients.values():
        client.close()
    adapter = GrpcNode(
        run, proxy.target, reference.identities["terminal"], reference.identities["admin"],
        owner=_ProxiedNode(proxy, reference._owner), identities=reference.identities,
        tls=getattr(proxy, "tls", None),  # a mutant that serves TLS hands the lab its CA
    )  # fmt: skip
    adapter._tmp, reference._tmp, reference._owner = reference._tmp, None, None
    adapter.clock_skew_s = reference.clock_skew_s
    adapter.mutant = proxy
    return adapter
