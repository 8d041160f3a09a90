"""Adapter of the ``node-qinghai`` role: a node or platform reached through the Qinghai QWB 002-2017
SOAP envelope ``RHCMessageServer(action, message)`` (``ehc certify node --api qinghai``).

``reference`` starts the kit's reference node with the Qinghai front door on a free HTTP port;
``URL;client=FILE`` names a vendor's platform and an ``ehc node client`` file whose terminal is the
caller (userName = terminal_id, userPwd and the SM4 field key derived from secret_hex, orgId =
org_code); ``URL;user=NAME;secret=HEX;org=CODE`` names them inline. The WSDL is read from
``URL/qinghai/RHCMessageServer?wsdl``. Every call is recorded in the test's transcript (identifiers
masked, userPwd never shown).
"""

from __future__ import annotations

import time
from typing import Any

from ehc.errors import EhcError

from ..errors import ADAPTER_UNAVAILABLE, ADAPTER_UNKNOWN
from ._shown import sized


class QinghaiPlatform:
    def __init__(self, run: Any, base_url: str, user_name: str, secret: bytes, org_id: str) -> None:
        self.run = run
        self.log = run.holder
        self.base_url = base_url.rstrip("/")
        self.user_name, self.secret, self.org_id = user_name, bytes(secret), org_id
        self._owner: Any = None
        self._tmp: Any = None
        self.client = self.new_client()

    def new_client(self, *, encryption: bool = False, clock: Any = time.time) -> Any:
        """A zeep client of the platform's WSDL whose raw calls are recorded in the transcript."""
        from reference_node.platforms.qinghai_client import QinghaiClient
        from reference_node.platforms.qinghai_envelope import XmlRefused, parse_flat, parse_response

        try:
            client = QinghaiClient(
                self.base_url, self.user_name, self.secret, self.org_id, encryption=encryption, clock=clock
            )
        except Exception as exc:  # noqa: BLE001 - zeep raises many kinds for an unreachable WSDL
            raise EhcError(
                ADAPTER_UNAVAILABLE, f"qinghai WSDL at {self.base_url}: {type(exc).__name__}"
            ) from None
        raw = client.raw

        def logged_raw(action: str, message: str) -> str:
            out = raw(action, message)
            try:
                shown = parse_flat(action, "action")
                shown.pop("userPwd", None)
                business = shown.get("bussinessCode", "?")
            except XmlRefused:
                shown, business = {"raw": f"<{len(action)} chars>"}, "?"
            try:
                answer: Any = _strip(parse_response(out))
            except XmlRefused:
                answer = {"raw": f"<{len(out)} chars>"}
            try:
                fields: Any = _strip(parse_flat(message, "message"))
            except XmlRefused:  # a DTD probe, a malformed message: shown by its size only
                fields = f"<{len(message)} chars>"
            self.log.call(f"qinghai {business}", {"action": shown, "message": fields}, answer)
            return out

        client.raw = logged_raw  # type: ignore[method-assign]
        return client

    def info(self) -> dict[str, Any]:
        return {"adapter": "node-qinghai", "target": self.base_url, "user_name": self.user_name}

    def close(self) -> None:
        if self._owner is not None:
            self._owner.stop()
        if self._tmp is not None:
            self._tmp.cleanup()


def _strip(value: Any) -> Any:
    """Images become their size in the transcript."""
    return sized(value, lambda key: key.endswith("_img"))


def start_reference_platform(run: Any) -> tuple[Any, Any, str]:
    """A reference node serving the Qinghai envelope: (running node, temp dir, base URL)."""
    from .node import start_reference_envelope

    return start_reference_envelope(run, "qinghai")


def _reference(run: Any) -> QinghaiPlatform:
    running, tmp, url = start_reference_platform(run)
    creds = running.credentials
    try:
        platform = QinghaiPlatform(run, url, creds.terminal_id, creds.secret, creds.org_code)
    except BaseException:
        running.stop()
        tmp.cleanup()
        raise
    platform._owner, platform._tmp = running, tmp
    return platform


def parse_spec(spec: str) -> tuple[str, str, bytes, str]:
    """``URL;client=FILE`` or ``URL;user=NAME;secret=HEX;org=CODE`` -> (url, user, secret, org)."""
    url, *parts = [p.strip() for p in spec.split(";")]
    fields = dict(p.split("=", 1) for p in parts if "=" in p)
    if not url.startswith(("http://", "https://")):
        raise EhcError(
            ADAPTER_UNKNOWN, f"qinghai target {url!r}: give the platform's base URL (http://HOST:PORT)"
        )
    if "client" in fields:
        from reference_node.client import load_client_file

        try:
            _target, terminal = load_client_file(fields["client"], "terminal")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise EhcError(ADAPTER_UNAVAILABLE, f"client file {fields['client']}: {exc}") from None
        return url, terminal.terminal_id, bytes(terminal.secret), terminal.org_code
    missing = [k for k in ("user", "secret", "org") if not fields.get(k)]
    if missing:
        raise EhcError(
            ADAPTER_UNKNOWN,
            f"qinghai target needs {', '.join(missing)}: URL;client=FILE or URL;user=NAME;secret=HEX;org=CODE",
        )
    try:
        secret = bytes.fromhex(fields["secret"])
    except ValueError:
        raise EhcError(ADAPTER_UNKNOWN, "qinghai target: secret must be hex") from None
    return url, fields["user"], secret, fields["org"]


def make(spec: str, run: Any) -> QinghaiPlatform:
    if spec == "reference":
        return _reference(run)
    if spec.startswith("mutant:"):
        from ..mutants import mutant_objects

        name = spec[len("mutant:") :]
        cls = mutant_objects("node-qinghai").get(name)
        if cls is None:
            raise EhcError(ADAPTER_UNKNOWN, f"no node-qinghai mutant {name!r}")
        return cls.start(run)
    url, user, secret, org = parse_spec(spec)
    return QinghaiPlatform(run, url, user, secret, org)
