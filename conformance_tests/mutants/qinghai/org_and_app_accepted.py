"""A platform that reads orgId when present and ignores appCode: both at once are accepted."""

from ._proxy import ProxyPlatform


class OrgAndAppAccepted(ProxyPlatform):
    mutant_name = "org-and-app-accepted"
    description = "accepts an action carrying both orgId and appCode (orgId wins)"
    defect_class = "orgId / appCode exclusivity not enforced"
    catches = ("QINGHAI-004",)

    def rewrite_call(self, action, message):
        if action.get("orgId") and action.get("appCode"):
            del action["appCode"]
        return action, message


MUTANT = OrgAndAppAccepted
