"""A platform that also accepts a sign computed without the app secret (a 'compatibility' branch
for an SDK that forgot to append it)."""

import base64
import hashlib

from reference_node.platforms.tencent_envelope import sign_input

from ._proxy import ProxyPlatform


class SecretNotAppended(ProxyPlatform):
    mutant_name = "secret-not-appended"
    description = "accepts a sign made without the app secret"
    defect_class = "sign input without the secret"
    catches = ("TENCENT-004",)

    def rewrite_request(self, path, body):
        common = body["commonIn"]
        bare = base64.b64encode(
            hashlib.sha256(sign_input(common, body.get("req", {})).encode()).digest()
        ).decode()
        if common.get("sign") == bare:
            return self.resign(body)
        return body


MUTANT = SecretNotAppended
