"""A platform that never implemented the encryption flag: fields under encryption=1 are taken as
they come (decrypted when they decrypt, plain ones accepted) and every answer is plain text."""

from ._proxy import ProxyPlatform


class EncryptionIgnored(ProxyPlatform):
    mutant_name = "encryption-ignored"
    description = "answers plain text and accepts plain fields when encryption=1"
    defect_class = "encryption flag ignored"
    catches = ("QINGHAI-008",)

    def rewrite_call(self, action, message):
        if self.encrypted(action):
            action["encryption"] = "0"  # served as a plain call: the answer comes back plain
        return action, message


MUTANT = EncryptionIgnored
