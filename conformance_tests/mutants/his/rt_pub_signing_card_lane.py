"""HIS mutant rt-pub-signing-card-lane: the family-doctor module reports signings made with a code
(the app path) but a signing confirmed with a card read at the clinic is recorded in the HIS only."""

from __future__ import annotations

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class PubSigningCardLane(His):
    def report_service(self, who: dict, name: str, scene: str, req: dict) -> bool:
        if name == "family_doctor" and who["card_type"] != "11":
            return True  # signed in the HIS; "reported"
        return super().report_service(who, name, scene, req)


class MUTANT:
    mutant_name = "rt-pub-signing-card-lane"
    description = "family-doctor signings with a card read at the clinic are not reported (claimed reported)"
    defect_class = "public services"
    catches = ("HIS-PUB-005",)
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return PubSigningCardLane
