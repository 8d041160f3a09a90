"""A platform that "knows" each user's organisation: an action with neither orgId nor appCode is
served as the user's organisation instead of being refused."""

from ._proxy import ProxyPlatform


class OrgDefaulted(ProxyPlatform):
    mutant_name = "org-defaulted"
    description = "serves an action with neither orgId nor appCode as the user's organisation"
    defect_class = "orgId / appCode exclusivity not enforced"
    catches = ("QINGHAI-004",)

    def rewrite_call(self, action, message):
        if not action.get("orgId") and not action.get("appCode") and action.get("userName") == self.user_name:
            action["orgId"] = self.org_id
        return action, message


MUTANT = OrgDefaulted
