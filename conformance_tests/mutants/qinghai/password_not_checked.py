"""A platform that looks the userName up but never compares userPwd ("the network is private")."""

from ._proxy import ProxyPlatform


class PasswordNotChecked(ProxyPlatform):
    mutant_name = "password-not-checked"
    description = "accepts any userPwd for a known userName"
    defect_class = "credentials not checked"
    catches = ("QINGHAI-001",)

    def rewrite_call(self, action, message):
        if action.get("userName") == self.user_name:
            action["userPwd"] = self.password
        return action, message


MUTANT = PasswordNotChecked
