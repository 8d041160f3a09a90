"""HIS mutant signing-without-node: the family-doctor module signs residents from the card number
alone (the village doctor "knows the family"): the node is never asked who holds the card, and the
signing is reported under the number read."""

from __future__ import annotations

from conformance_tests.drivers.reference_his import CARD_TYPES, His


class SigningWithoutNode(His):
    def service(self, req: dict) -> dict:
        patient = req.get("patient") or {}
        if req.get("service") != "family_doctor" or patient.get("medium", "").startswith("ehc-qr"):
            return super().service(req)
        scene = self.service_scene("family_doctor", req)
        who = {"main_index": "", "ehcid": "", "poverty": False, "card_number": patient["identifier"],
               "card_type": CARD_TYPES[patient["medium"]]}  # fmt: skip
        reported = self.report_service(who, "family_doctor", scene, req)
        return {"patient": {"main_index": ""}, "service": "family_doctor", "scene": scene,
                "reported": reported, **self.service_result("family_doctor", req, who)}  # fmt: skip


class MUTANT:
    mutant_name = "signing-without-node"
    description = "signs a resident with a family doctor from the card number alone, without asking the node"
    defect_class = "public-service identification"
    catches = ("HIS-PUB-005",)
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return SigningWithoutNode
