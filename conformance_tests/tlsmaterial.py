"""TEST-ONLY TLS material: a throw-away CA, a server certificate and a client certificate.

The kit's reference node serves TLS with it when ``ehc certify node --target reference`` runs (so
SEC-009 is tested on the reference too), and the kit's own tests certify a TLS node with it. Keys
live in memory (or the directory the caller names) and are never used outside one run.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class TestTls:
    """PEM bytes of one TEST-ONLY CA and the certificates it signed."""

    __test__ = False  # not a pytest test class

    ca: bytes
    server_cert: bytes
    server_key: bytes = field(repr=False)
    client_cert: bytes
    client_key: bytes = field(repr=False)

    def write(self, directory: str | Path) -> dict[str, Path]:
        """Write the PEM files (keys 0600) and return their paths by name."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        paths = {}
        for name in ("ca", "server_cert", "server_key", "client_cert", "client_key"):
            path = out / f"{name}.pem"
            path.write_bytes(getattr(self, name))
            if name.endswith("_key"):
                path.chmod(0o600)
            paths[name] = path
        return paths


def make_test_tls(
    hosts: tuple[str, ...] = ("localhost", "127.0.0.1"), ca_name: str = "TEST-ONLY CA"
) -> TestTls:
    """A CA (P-256) and a server certificate for ``hosts`` (DNS names or IP addresses), valid for
    a day, plus a client certificate for mutual TLS."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    until = now + dt.timedelta(days=1)

    def name(common: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ehc conformance kit (TEST-ONLY)"),
                x509.NameAttribute(NameOID.COMMON_NAME, common),
            ]
        )

    def pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(name(ca_name))
        .issuer_name(name(ca_name))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )

    def leaf(common: str, usage: x509.ObjectIdentifier, sans: list[x509.GeneralName]) -> tuple[bytes, bytes]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(common))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(until)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        return cert.public_bytes(serialization.Encoding.PEM), pem_key(key)

    sans: list[x509.GeneralName] = []
    for host in hosts:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            sans.append(x509.DNSName(host))
    server_cert, server_key = leaf(hosts[0], ExtendedKeyUsageOID.SERVER_AUTH, sans)
    client_cert, client_key = leaf("conformance lab client", ExtendedKeyUsageOID.CLIENT_AUTH, [])
    return TestTls(
        ca=ca_cert.public_bytes(serialization.Encoding.PEM),
        server_cert=server_cert,
        server_key=server_key,
        client_cert=client_cert,
        client_key=client_key,
    )


class TlsTerminator:
    """A TEST-ONLY TLS front for a plaintext gRPC node (what a security gateway or TLS terminator
    does in deployment): TLS with ALPN h2 on a free loopback port, bytes relayed to ``backend``.
    Used where the kit's own plaintext node must be certified as deployed (``ehc demo``);
    ``client_ca`` makes it demand a client certificate signed by that CA (mutual TLS);
    ``plaintext_too`` relays a connection that does not open with a TLS record in plaintext (what a
    "TLS optional" product does: the SEC-009 mutant)."""

    def __init__(
        self,
        backend: str,
        material: TestTls | None = None,
        client_ca: bytes | None = None,
        plaintext_too: bool = False,
    ) -> None:
        import socket
        import ssl
        import tempfile
        import threading

        self.material = material or make_test_tls()
        self.backend = backend
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.set_alpn_protocols(["h2"])
        with tempfile.TemporaryDirectory(prefix="ehc-tls-") as tmp:
            paths = self.material.write(tmp)
            context.load_cert_chain(paths["server_cert"], paths["server_key"])
        if client_ca is not None:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cadata=client_ca.decode("ascii"))
        self._context = context
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.target = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._plaintext_too = plaintext_too
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, name="ehc-tls-terminator", daemon=True).start()

    def _accept(self) -> None:
        import socket
        import ssl
        import threading

        while not self._closed.is_set():
            try:
                raw, _ = self._listener.accept()
            except OSError:
                return
            try:
                raw.settimeout(10)
                tls_record = raw.recv(1, socket.MSG_PEEK) == b"\x16"  # a TLS handshake record
                front: socket.socket  # an ssl.SSLSocket, or the plain socket of a plaintext client
                if tls_record or not self._plaintext_too:
                    front = self._context.wrap_socket(raw, server_side=True)
                else:
                    front = raw
                front.settimeout(None)
                host, _, port = self.backend.rpartition(":")
                back = socket.create_connection((host, int(port)), timeout=10)
                back.settimeout(None)
            except (OSError, ssl.SSLError):
                raw.close()  # a plaintext or untrusting client: refused, as a TLS gateway would
                continue
            with self._lock:
                self._sockets += [front, back]
            threading.Thread(target=self._relay, args=(front, back), daemon=True).start()

    @staticmethod
    def _relay(front: Any, back: Any) -> None:
        """Both directions in ONE thread: an SSL socket must not be read and written at once."""
        import selectors
        import ssl

        selector = selectors.DefaultSelector()
        for sock in (front, back):
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ)
        peer = {front: back, back: front}
        try:
            while True:
                # the selector holds exactly the two sockets registered above
                ready: list[Any] = [key.fileobj for key, _ in selector.select(timeout=1.0)]
                if isinstance(front, ssl.SSLSocket) and front.pending() and front not in ready:
                    ready.append(front)
                for src in ready:
                    try:
                        data = src.recv(65536)
                    except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                        continue
                    if not data:
                        return
                    dst = peer[src]
                    dst.setblocking(True)
                    dst.sendall(data)
                    dst.setblocking(False)
        except OSError:
            pass
        finally:
            selector.close()
            for sock in (front, back):
                try:
                    sock.close()
                except OSError:
                    pass

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                try:
                    sock.close()
                except OSError:
                    pass
