"""A platform whose msgGuid check remembers only the account's previous call (one column
last_guid on the account row): a msgGuid replayed after any other call is served again."""

import uuid

from ._proxy import ProxyPlatform


class GuidLastOnly(ProxyPlatform):
    mutant_name = "rt3-guid-last-only"
    description = "remembers only the account's last msgGuid"
    defect_class = "replay memory of one"
    catches = ("QINGHAI-002",)

    def __init__(self, *args):
        super().__init__(*args)
        self.seen: set[str] = set()
        self.last = ""

    def rewrite_call(self, action, message):
        guid = action.get("msgGuid", "")
        if guid and guid in self.seen and guid != self.last and action.get("bussinessCode") != "RHC_E0009":
            action["msgGuid"] = uuid.uuid4().hex
        if guid:
            self.seen.add(guid)
            self.last = guid
        return action, message


MUTANT = GuidLastOnly
