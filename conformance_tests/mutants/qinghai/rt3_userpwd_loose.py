"""A platform that compares userPwd after toLowerCase() (a support ticket said some HIS send it in
upper case): a userPwd that is not the one the document defines is served."""

from ._proxy import ProxyPlatform


class UserPwdLoose(ProxyPlatform):
    mutant_name = "rt3-userpwd-loose"
    description = "accepts userPwd in any case"
    defect_class = "credential compared loosely"
    catches = ("QINGHAI-001",)

    def rewrite_call(self, action, message):
        sent = action.get("userPwd")
        if isinstance(sent, str) and sent != self.password and sent.lower() == self.password:
            action["userPwd"] = self.password
        return action, message


MUTANT = UserPwdLoose
