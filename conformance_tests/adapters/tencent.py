"""Adapter of the ``node-tencent`` role: a node or platform reached through the Tencent
HealthCardOpenAPI envelope (``ehc certify node --api tencent``).

``reference`` starts the kit's reference node with the Tencent front door on a free HTTP port;
``URL;client=FILE`` names a vendor's platform and an ``ehc node client`` file whose terminal is the
app (appId = terminal_id, appSecret = secret_hex, hospitalId = org_code);
``URL;app=ID;secret=HEX;hospital=CODE`` names them inline. Every envelope call is recorded in the
test's transcript (identifiers masked).
"""

from __future__ import annotations

import time
from typing import Any

from ehc.errors import EhcError

from ..errors import ADAPTER_UNAVAILABLE, ADAPTER_UNKNOWN
from ._shown import sized


class TencentPlatform:
    def __init__(self, run: Any, base_url: str, app_id: str, app_secret: str, hospital_id: str) -> None:
        self.run = run
        self.log = run.holder
        self.base_url = base_url.rstrip("/")
        self.app_id, self.app_secret, self.hospital_id = app_id, app_secret, hospital_id
        self.client = self.new_client()
        self._owner: Any = None
        self._tmp: Any = None

    def new_client(self, clock: Any = time.time) -> Any:
        from reference_node.platforms.tencent_client import TencentClient

        client = TencentClient(
            self.base_url, self.app_id, self.app_secret, self.hospital_id, channel_num=4, clock=clock
        )
        post = client.post

        def logged_post(path: str, body: Any) -> dict[str, Any]:
            out = post(path, body)
            shown = body if isinstance(body, dict) else {"raw": f"<{len(body)} bytes>"}
            self.log.call(f"tencent {path.rsplit('/', 1)[-1]}", _strip(shown), _strip(out))
            return out

        client.post = logged_post  # type: ignore[method-assign]
        return client

    def info(self) -> dict[str, Any]:
        return {"adapter": "node-tencent", "target": self.base_url, "app_id": self.app_id}

    def close(self) -> None:
        self.client.close()
        if self._owner is not None:
            self._owner.stop()
        if self._tmp is not None:
            self._tmp.cleanup()


def _strip(value: Any) -> Any:
    """The transcript keeps envelopes readable: images become their size, secrets never appear."""
    return sized(value, lambda key: key == "qrCodeImg")


def start_reference_platform(run: Any) -> tuple[Any, Any, str]:
    """A reference node serving the Tencent envelope: (running node, temp dir, base URL)."""
    from .node import start_reference_envelope

    return start_reference_envelope(run, "tencent")


def _reference(run: Any) -> TencentPlatform:
    running, tmp, url = start_reference_platform(run)
    creds = running.credentials
    platform = TencentPlatform(run, url, creds.terminal_id, creds.secret.hex(), creds.org_code)
    platform._owner, platform._tmp = running, tmp
    return platform


def parse_spec(spec: str) -> tuple[str, str, str, str]:
    """``URL;client=FILE`` or ``URL;app=ID;secret=HEX;hospital=CODE`` -> (url, app, secret, hospital)."""
    url, *parts = [p.strip() for p in spec.split(";")]
    fields = dict(p.split("=", 1) for p in parts if "=" in p)
    if not url.startswith(("http://", "https://")):
        raise EhcError(
            ADAPTER_UNKNOWN, f"tencent target {url!r}: give the platform's base URL (http://HOST:PORT)"
        )
    if "client" in fields:
        from reference_node.client import load_client_file

        try:
            _target, terminal = load_client_file(fields["client"], "terminal")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise EhcError(ADAPTER_UNAVAILABLE, f"client file {fields['client']}: {exc}") from None
        return url, terminal.terminal_id, terminal.secret.hex(), terminal.org_code
    missing = [k for k in ("app", "secret", "hospital") if not fields.get(k)]
    if missing:
        raise EhcError(
            ADAPTER_UNKNOWN,
            f"tencent target needs {', '.join(missing)}: URL;client=FILE or URL;app=ID;secret=HEX;hospital=CODE",
        )
    return url, fields["app"], fields["secret"], fields["hospital"]


def make(spec: str, run: Any) -> TencentPlatform:
    if spec == "reference":
        return _reference(run)
    if spec.startswith("mutant:"):
        from ..mutants import mutant_objects

        name = spec[len("mutant:") :]
        cls = mutant_objects("node-tencent").get(name)
        if cls is None:
            raise EhcError(ADAPTER_UNKNOWN, f"no node-tencent mutant {name!r}")
        return cls.start(run)
    url, app, secret, hospital = parse_spec(spec)
    return TencentPlatform(run, url, app, secret, hospital)
