"""A vendor whose main index is partitioned by city: a citizen ID (or social-security number)
is looked up only in the partition of the node's own city (the first four digits of the number).
Residents born elsewhere — migrant workers, students, everyone registered with an ID issued in
another province — are registered fine, but a Resolve by their ID card answers not-found. A test
generator that draws local ID numbers never meets one."""

from __future__ import annotations

import grpc

from reference_node.proto.ehc.node.v1 import main_index_pb2

from . import _rt3
from ._proxy import Call, VendorNode

_BY_ID = (main_index_pb2.MEDIUM_CITIZEN_ID, main_index_pb2.MEDIUM_SOCIAL_SECURITY_CARD)


class EmpiLocalIdsOnly(VendorNode):
    mutant_name = "rt3-empi-local-ids-only"
    description = "Resolve by citizen ID / social-security number finds only IDs issued in the node's city"
    defect_class = "main index partitioned by the ID's area: non-local residents not found"
    catches = ("NODE-EMPI-002", "NODE-EMPI-003", "NODE-EMPI-006")

    def on_request(self, call: Call) -> None:
        if call.name != "Resolve" or call.request.medium not in _BY_ID:
            return
        city = self.identities["terminal"].org_code[:4]  # the node's city (its organisations' prefix)
        number = call.request.identifier
        looks_like_id = len(number) == 18 and number[:17].isdigit()
        if looks_like_id and not number.startswith(city):
            raise _rt3.refusal(
                grpc.StatusCode.NOT_FOUND, "NODE_MEDIUM_UNKNOWN", 4502, "no person for this medium"
            )


MUTANT = EmpiLocalIdsOnly
