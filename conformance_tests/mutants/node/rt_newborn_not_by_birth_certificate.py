"""A vendor whose main index looks people up by ID number only: a newborn registered on the
出生医学证明 number gets a card, but the birth certificate is not a medium of its index, so a
clinic that presents the child's birth certificate (before any ID number exists) is told the
person is unknown. The child is found only through the guardian's account."""

from __future__ import annotations

import grpc

from reference_node.proto.ehc.node.v1 import common_pb2, main_index_pb2

from ._proxy import Call, Refusal, VendorNode

_BIRTH = main_index_pb2.MEDIUM_BIRTH_CERTIFICATE


def _unknown() -> Refusal:
    message = "no person with this medium"
    info = common_pb2.ErrorInfo(code="NODE_PERSON_UNKNOWN", number=4501, message=message)
    trailers = (
        ("ehc-error-code", info.code),
        ("ehc-error-number", str(info.number)),
        ("ehc-error-bin", info.SerializeToString()),
    )
    return Refusal(grpc.StatusCode.NOT_FOUND, f"{info.code} (4501): {message}", trailers)


class NewbornNotByBirthCertificate(VendorNode):
    mutant_name = "rt-newborn-not-by-birth-certificate"
    description = "a newborn's card cannot be found by the birth-certificate number (index by ID number only)"
    defect_class = "newborn cards: birth-certificate medium not resolved"
    catches = ("NODE-TEMP-003",)
    profile = "hunan-hengyang"

    def on_request(self, call: Call) -> None:
        req = call.request
        if call.name == "Resolve" and (
            req.medium == _BIRTH
            or (req.medium == main_index_pb2.MEDIUM_DOCUMENT and req.document_type == "08")
        ):
            raise _unknown()


MUTANT = NewbornNotByBirthCertificate
