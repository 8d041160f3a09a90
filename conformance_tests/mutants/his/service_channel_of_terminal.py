"""HIS mutant service-channel-of-terminal: public-service uses are reported under the HIS
terminal's own channel (the staffed window of its configuration), not the channel the patient used
(mini-program, service account, kiosk, app): the node's statistics by channel go wrong."""

from __future__ import annotations

from conformance_tests.drivers.reference_his import His


class ServiceChannelOfTerminal(His):
    def service(self, req: dict) -> dict:
        return super().service({k: v for k, v in req.items() if k != "channel"})


class MUTANT:
    mutant_name = "service-channel-of-terminal"
    description = "reports every public-service use under the terminal's own channel, not the patient's"
    defect_class = "public-service reports"
    catches = ("HIS-PUB-001", "HIS-PUB-002", "HIS-PUB-003", "HIS-PUB-004", "HIS-PUB-005")
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return ServiceChannelOfTerminal
