"""A platform that builds the signing string in the order the JSON body lists the fields (it forgot
the ASCII sort) and accepts the sorted form as well."""

import hashlib
import hmac

from ._proxy import ProxyPlatform


class UnsortedPairs(ProxyPlatform):
    mutant_name = "unsorted-pairs"
    description = "accepts a digest over the pairs in document order"
    defect_class = "digest input: pairs not sorted"
    catches = ("SICHUAN-002",)

    def rewrite_request(self, body):
        pairs = "".join(f"{k}={v}&" for k, v in body.items() if k != "digest" and v not in ("", None))
        loose = hashlib.md5((pairs + f"key={self.md5_key}").encode("utf-8")).hexdigest().upper()  # noqa: S324
        if hmac.compare_digest(str(body.get("digest", "")), loose):
            return self.resign(body)
        return body


MUTANT = UnsortedPairs
