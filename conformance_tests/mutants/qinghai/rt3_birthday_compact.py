"""A platform that answers dates the way its database prints them: birthday yyyyMMdd (the
document's yyyy-MM-dd is what the hospital system parses), so a patient's age is read wrong or the
HIS rejects the record."""

from ._proxy import ProxyPlatform


class BirthdayCompact(ProxyPlatform):
    mutant_name = "rt3-birthday-compact"
    description = "answers birthday as yyyyMMdd"
    defect_class = "date field in the wrong format"
    catches = ("QINGHAI-013",)

    def rewrite_answer(self, action, answer):
        data = answer.get("data")
        if isinstance(data, dict) and isinstance(data.get("birthday"), str):
            data["birthday"] = data["birthday"].replace("-", "")
        return answer


MUTANT = BirthdayCompact
