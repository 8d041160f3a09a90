"""A platform that helps the hospital debug: a refused registration quotes the ID number in desc."""

from ._proxy import ProxyPlatform


class LeaksIdInDesc(ProxyPlatform):
    mutant_name = "leaks-id-in-desc"
    description = "quotes the id_number of a refused registration in desc"
    defect_class = "ID number quoted in desc"
    catches = ("QINGHAI-011",)

    def __init__(self, *args):
        super().__init__(*args)
        self.last_number = ""

    def rewrite_call(self, action, message):
        self.last_number = message.get("id_number", "")
        return action, message

    def rewrite_answer(self, action, answer):
        if answer.get("result") == "failure" and self.last_number:
            answer["desc"] = f"{answer.get('desc', '')} (id_number {self.last_number})"
        return answer


MUTANT = LeaksIdInDesc
