"""A platform that logs msgGuid for tracing but never refuses a repeated one."""

import uuid

from ._proxy import ProxyPlatform


class GuidReplayAccepted(ProxyPlatform):
    mutant_name = "guid-replay-accepted"
    description = "answers a replayed msgGuid again"
    defect_class = "message replay not refused"
    catches = ("QINGHAI-002",)

    def __init__(self, *args):
        super().__init__(*args)
        self.seen: set[str] = set()

    def rewrite_call(self, action, message):
        guid = action.get("msgGuid", "")
        if guid in self.seen and action.get("bussinessCode") != "RHC_E0009":
            action["msgGuid"] = uuid.uuid4().hex
        self.seen.add(guid)
        return action, message


MUTANT = GuidReplayAccepted
