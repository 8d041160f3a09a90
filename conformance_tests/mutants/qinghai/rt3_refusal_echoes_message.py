"""A platform that, 'to help the hospital debug', echoes the refused message's fields back in the
refusal's <data> — desc is clean, but the plain id_number and name travel back in the answer."""

from ._proxy import ProxyPlatform


class RefusalEchoesMessage(ProxyPlatform):
    mutant_name = "rt3-refusal-echoes-message"
    description = "a refusal answers the request's fields (id_number, name) in data"
    defect_class = "holder data in a refusal"
    catches = ("QINGHAI-006", "QINGHAI-011")

    def __init__(self, *args):
        super().__init__(*args)
        self.last: dict[str, str] = {}

    def rewrite_call(self, action, message):
        self.last = {k: v for k, v in message.items() if k in ("id_number", "name") and v}
        return action, message

    def rewrite_answer(self, action, answer):
        if answer.get("result") == "failure" and self.last:
            answer["data"] = dict(self.last)
        return answer


MUTANT = RefusalEchoesMessage
