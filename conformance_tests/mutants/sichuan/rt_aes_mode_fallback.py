"""A platform that, after a HIS integration failed on the AES mode, decrypts "in whichever mode
works": a bizContent in the other mode (ECB where CBC is configured — the weaker mode, whose equal
blocks show through — or the reverse) is accepted instead of refused."""

from reference_node.platforms.sichuan_envelope import decrypt_biz

from ._proxy import ProxyPlatform


class AesModeFallback(ProxyPlatform):
    mutant_name = "rt-aes-mode-fallback"
    description = "a bizContent that does not decrypt in the configured AES mode is tried in the other"
    defect_class = "AES mode downgrade accepted"
    catches = ("SICHUAN-012",)

    def rewrite_request(self, body):
        if self.content(body) is not None:
            return body
        other = "CBC" if self.aes_mode == "ECB" else "ECB"
        try:
            content = decrypt_biz(self.aes_key, str(body.get("bizContent", "")), other)
        except ValueError:
            return body
        return self.with_content(body, content)


MUTANT = AesModeFallback
