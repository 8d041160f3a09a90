"""The REST gateway answers without Nagle's delay: TCP_NODELAY on every accepted connection."""

from __future__ import annotations

import socket

from reference_node.gateway.connections import no_delay


class _Transport:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def get_extra_info(self, name: str) -> socket.socket | None:
        return self.sock if name == "socket" else None


def test_an_accepted_connection_gets_tcp_nodelay():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # as the gateway makes it
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    try:
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0  # what asyncio would keep
        no_delay(_Transport(accepted))
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        no_delay(_Transport(None))  # a transport without a socket is left alone
    finally:
        for s in (client, accepted, listener):
            s.close()
