"""HIS mutant signing-card-as-id-number: the family-doctor module looks a resident health card up
by the ID number printed in it ("the card number is the ID number anyway"): the node is asked
about the citizen ID, not the card, so a card that was never issued to — or has been taken from —
that person still signs them."""

from __future__ import annotations

from conformance_tests.drivers.reference_his import His


class SigningCardAsIdNumber(His):
    def service(self, req: dict) -> dict:
        patient = req.get("patient") or {}
        if req.get("service") == "family_doctor" and patient.get("medium") == "resident-card":
            self.as_id = True
            try:
                return super().service(req)
            finally:
                self.as_id = False
        return super().service(req)

    def ask_node(self, patient: dict, scene: str) -> dict:
        if getattr(self, "as_id", False):
            who = super().ask_node({**patient, "medium": "id-card"}, scene)
            return {**who, "card_type": "10"}  # reported as the card read
        return super().ask_node(patient, scene)


class MUTANT:
    mutant_name = "signing-card-as-id-number"
    description = (
        "family-doctor signing: resolves a resident health card at the node as the ID number it carries"
    )
    defect_class = "public-service identification"
    catches = ("HIS-PUB-005",)
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return SigningCardAsIdNumber
