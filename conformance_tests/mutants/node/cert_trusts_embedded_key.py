"""A Jining vendor that verifies a report's signature with the public key the manifest itself
carries: any self-made key "signs" a valid report, so trust in the lab is never checked."""

from __future__ import annotations

import json

from ehc.gm import SM2PublicKey

from ._certs import CertificateTable
from ._proxy import Call, Refusal


class TrustsEmbeddedKey(CertificateTable):
    mutant_name = "cert-trusts-embedded-key"
    description = "a report signed by any key is accepted when it verifies with the key its manifest embeds"
    defect_class = "province rule (Jining 检测备案): signer taken from the evidence, not from a trust list"
    catches = ("NODE-CERT-002",)
    profile = "shandong-jining"

    def accepts(self, call: Call, refusal: Refusal) -> bool:
        if refusal.kit_code != "NODE_CERTIFICATE_UNTRUSTED":
            return False
        files = call.request.files
        try:  # the vendor's own check: the signature verifies with the embedded key
            body = files["manifest.json"]
            key = SM2PublicKey.from_pem(json.loads(body)["signer"]["public_key_pem"].encode("ascii"))
            return key.verify(bytes.fromhex(files["manifest.sig"].decode("ascii").strip()), body)
        except Exception:  # noqa: BLE001 - anything malformed: the node's refusal stands
            return False


MUTANT = TrustsEmbeddedKey
