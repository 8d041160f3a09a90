"""HIS mutant tencent-ecard-for-every-card: a Tencent-route HIS that, once registerHealthCard has
answered the holder's e-card code for an ID card / social security card / resident card, reports
every use of that visit with the code and card type 11 ("the platform only knows e-cards")."""

from __future__ import annotations

from conformance_tests.drivers.reference_his import His


class EcardForEveryCard(His):
    def ask_platform(self, patient: dict, scene: str) -> dict:
        who = super().ask_platform(patient, scene)
        who.pop("card_number", None)  # the card actually read is forgotten
        who["card_type"] = "11"
        return who


class MUTANT:
    mutant_name = "tencent-ecard-for-every-card"
    description = (
        "Tencent envelope: reports an ID-card, social-security-card or resident-card visit as an e-card "
        "use (qrCodeText from registerHealthCard, cardType 11) instead of the card read"
    )
    defect_class = "reporter identity"
    catches = ("HIS-017", "HIS-015")
    profile = "national"
    api = "tencent"

    @staticmethod
    def his_class() -> type[His]:
        return EcardForEveryCard
