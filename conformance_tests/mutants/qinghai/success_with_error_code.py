"""A platform whose result says "the call was processed": "success" with the business refusal's
code in resultCode (only envelope errors are "failure")."""

from ._proxy import ProxyPlatform


class SuccessWithErrorCode(ProxyPlatform):
    mutant_name = "success-with-error-code"
    description = "answers result success with a business error resultCode"
    defect_class = "result success on a refusal"
    catches = ("QINGHAI-006",)

    def rewrite_answer(self, action, answer):
        code = answer.get("resultCode", "")
        if code.isdigit() and int(code) >= 1100:
            answer["result"] = "success"
        return answer


MUTANT = SuccessWithErrorCode
