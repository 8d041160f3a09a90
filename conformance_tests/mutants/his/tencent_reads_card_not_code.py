"""HIS mutant tencent-reads-card-not-code: a Tencent-route HIS that saves a call per patient: it
takes the healthCardId out of the code text and reads the card (getHealthCardByHealthCardId)
instead of verifying the code (verifyQRCode), and never looks at the card's status."""

from __future__ import annotations

from conformance_tests.drivers.reference_his import His


class ReadsCardNotCode(His):
    def ask_platform(self, patient: dict, scene: str) -> dict:
        if not patient["medium"].startswith("ehc-qr"):
            return super().ask_platform(patient, scene)
        text = patient["qr_text"]
        ehcid = text.split(":")[0]  # "the id is right there in the code"
        card = self.call_platform("getHealthCardByHealthCardId", {"healthCardId": ehcid})["card"]
        self.qr_of_card[ehcid] = text
        return {"main_index": card["phid"], "ehcid": ehcid, "poverty": None, "card_type": "11"}


class MUTANT:
    mutant_name = "tencent-reads-card-not-code"
    description = (
        "Tencent envelope: reads the card by the healthCardId in the code text instead of verifying "
        "the code, ignoring its status: suspended and cancelled cards go on being used"
    )
    defect_class = "node refusal"
    catches = ("HIS-016", "HIS-001")
    profile = "national"
    api = "tencent"

    @staticmethod
    def his_class() -> type[His]:
        return ReadsCardNotCode
