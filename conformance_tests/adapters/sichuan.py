"""Adapter of the ``node-sichuan`` role: a node or platform reached through the Sichuan (Mianyang)
JSON envelope — AES-encrypted ``bizContent`` under an MD5 ``digest`` (``ehc certify node --api
sichuan``).

``reference`` starts the kit's reference node with the Sichuan front door on a free HTTP port;
``URL;client=FILE`` names a vendor's platform and an ``ehc node client`` file whose terminal is the
app (appId = terminal_id; MD5Key and AES key derived from secret_hex); ``URL;app=ID;secret=HEX``
names them inline. ``;aes=CBC`` selects the CBC variant of the envelope (ECB by default). Every
call is recorded in the test's transcript (identifiers masked, bizContent by its size).
"""

from __future__ import annotations

import time
from typing import Any

from ehc.errors import EhcError

from ..errors import ADAPTER_UNAVAILABLE, ADAPTER_UNKNOWN
from ._shown import sized


class SichuanPlatform:
    def __init__(self, run: Any, base_url: str, app_id: str, secret: bytes, aes_mode: str = "ECB") -> None:
        self.run = run
        self.log = run.holder
        self.base_url = base_url.rstrip("/")
        self.app_id, self.secret, self.aes_mode = app_id, bytes(secret), aes_mode
        self.client = self.new_client()
        self._owner: Any = None
        self._tmp: Any = None

    def new_client(self, clock: Any = time.time) -> Any:
        from reference_node.platforms.sichuan_client import SichuanClient

        client = SichuanClient(self.base_url, self.app_id, self.secret, aes_mode=self.aes_mode, clock=clock)
        post = client.post

        def logged_post(body: Any) -> dict[str, Any]:
            out = post(body)
            shown = self._shown(body) if isinstance(body, dict) else {"raw": f"<{len(body)} bytes>"}
            self.log.call(f"sichuan {shown.get('method', '?')}", shown, self._shown(out))
            return out

        client.post = logged_post  # type: ignore[method-assign]
        return client

    def _shown(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """An envelope for the transcript: bizContent by its size plus its decrypted content as
        ``biz`` (identifiers are masked by the transcript; images become their size)."""
        from reference_node.platforms.sichuan_envelope import aes_key, decrypt_biz

        text = envelope.get("bizContent")
        shown: dict[str, Any] = sized(envelope, lambda key: key == "bizContent")
        if isinstance(text, str) and text:
            try:
                biz = decrypt_biz(aes_key(self.secret), text, self.aes_mode)
            except ValueError:
                return shown
            shown["biz"] = sized(biz, lambda key: key.endswith("Img"))
        return shown

    def info(self) -> dict[str, Any]:
        return {"adapter": "node-sichuan", "target": self.base_url, "app_id": self.app_id}

    def close(self) -> None:
        self.client.close()
        if self._owner is not None:
            self._owner.stop()
        if self._tmp is not None:
            self._tmp.cleanup()


def start_reference_platform(run: Any) -> tuple[Any, Any, str]:
    """A reference node serving the Sichuan envelope: (running node, temp dir, base URL)."""
    from .node import start_reference_envelope

    return start_reference_envelope(run, "sichuan")


def reference_aes_mode() -> str:
    """The AES mode the reference node runs with (``EHC_SICHUAN_AES_MODE``, ECB by default)."""
    import os

    from reference_node.platforms.sichuan_envelope import AES_MODE_ENV, DEFAULT_AES_MODE

    return (os.environ.get(AES_MODE_ENV) or DEFAULT_AES_MODE).upper()


def _reference(run: Any) -> SichuanPlatform:
    running, tmp, url = start_reference_platform(run)
    creds = running.credentials
    platform = SichuanPlatform(run, url, creds.terminal_id, creds.secret, reference_aes_mode())
    platform._owner, platform._tmp = running, tmp
    return platform


def parse_spec(spec: str) -> tuple[str, str, bytes, str]:
    """``URL;client=FILE`` or ``URL;app=ID;secret=HEX`` (``;aes=ECB|CBC``) -> (url, app, secret, mode)."""
    url, *parts = [p.strip() for p in spec.split(";")]
    fields = dict(p.split("=", 1) for p in parts if "=" in p)
    if not url.startswith(("http://", "https://")):
        raise EhcError(
            ADAPTER_UNKNOWN, f"sichuan target {url!r}: give the platform's base URL (http://HOST:PORT)"
        )
    mode = fields.get("aes", "ECB").upper()
    if mode not in ("ECB", "CBC"):
        raise EhcError(ADAPTER_UNKNOWN, "sichuan target: aes must be ECB or CBC")
    if "client" in fields:
        from reference_node.client import load_client_file

        try:
            _target, terminal = load_client_file(fields["client"], "terminal")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise EhcError(ADAPTER_UNAVAILABLE, f"client file {fields['client']}: {exc}") from None
        return url, terminal.terminal_id, bytes(terminal.secret), mode
    missing = [k for k in ("app", "secret") if not fields.get(k)]
    if missing:
        raise EhcError(
            ADAPTER_UNKNOWN,
            f"sichuan target needs {', '.join(missing)}: URL;client=FILE or URL;app=ID;secret=HEX",
        )
    try:
        secret = bytes.fromhex(fields["secret"])
    except ValueError:
        raise EhcError(ADAPTER_UNKNOWN, "sichuan target: secret must be hex") from None
    return url, fields["app"], secret, mode


def make(spec: str, run: Any) -> SichuanPlatform:
    if spec == "reference":
        return _reference(run)
    if spec.startswith("mutant:"):
        from ..mutants import mutant_objects

        name = spec[len("mutant:") :]
        cls = mutant_objects("node-sichuan").get(name)
        if cls is None:
            raise EhcError(ADAPTER_UNKNOWN, f"no node-sichuan mutant {name!r}")
        return cls.start(run)
    url, app, secret, mode = parse_spec(spec)
    return SichuanPlatform(run, url, app, secret, mode)
