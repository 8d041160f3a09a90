"""A platform whose replay cache is keyed on the whole call (msgGuid + business code + message), as
an HTTP-level dedup cache would be: the exact same call again is refused, but the same msgGuid with
another message or business code goes through."""

import uuid

from ._proxy import ProxyPlatform


class GuidKeyedWithMessage(ProxyPlatform):
    mutant_name = "rt-guid-keyed-with-message"
    description = "a repeated msgGuid is refused only when the message is the same too"
    defect_class = "message replay check keyed on content"
    catches = ("QINGHAI-002",)

    def __init__(self, *args):
        super().__init__(*args)
        self.seen: dict[str, tuple] = {}

    def rewrite_call(self, action, message):
        guid = action.get("msgGuid", "")
        call = (action.get("bussinessCode"), tuple(sorted(message.items())))
        if guid in self.seen and self.seen[guid] != call and action.get("bussinessCode") != "RHC_E0009":
            action["msgGuid"] = uuid.uuid4().hex
        self.seen.setdefault(guid, call)
        return action, message


MUTANT = GuidKeyedWithMessage
