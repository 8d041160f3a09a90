"""A platform that encrypts the ID number in its answers (the field everyone thinks of) and sends
name, phone and address in plain text."""

from ._proxy import ProxyPlatform

FORGOTTEN = ("name", "cellphone", "address")


class SensitiveFieldPlain(ProxyPlatform):
    mutant_name = "sensitive-field-plain"
    description = "answers name, cellphone and address unencrypted under encryption=1"
    defect_class = "sensitive field returned unencrypted"
    catches = ("QINGHAI-008",)

    def rewrite_answer(self, action, answer):
        data = answer.get("data")
        if self.encrypted(action) and isinstance(data, dict):
            plain = self.decrypt_data(data)
            answer["data"] = {k: plain[k] if k in FORGOTTEN else v for k, v in data.items()}
        return answer


MUTANT = SensitiveFieldPlain
