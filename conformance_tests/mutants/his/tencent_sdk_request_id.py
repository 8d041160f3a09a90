"""HIS mutant tencent-sdk-request-id: a Tencent-route HIS whose SDK wrapper fills ``commonIn`` itself
and mints a fresh ``requestId`` on every POST, so a reportHISData retried after a lost answer is a
new use at the platform."""

from __future__ import annotations

from conformance_tests.drivers.reference_his import His


class SdkRequestIdPerPost(His):
    def call_platform(self, operation: str, req: dict, request_id: str | None = None) -> dict:
        # "the SDK takes care of commonIn": the usage record id never reaches the envelope
        return super().call_platform(operation, req, None)


class MUTANT:
    mutant_name = "tencent-sdk-request-id"
    description = (
        "Tencent envelope: the SDK wrapper mints a new commonIn.requestId per POST, so a reportHISData "
        "retried after a lost answer carries a new id and the platform counts the use twice"
    )
    defect_class = "retries"
    catches = ("HIS-012",)
    profile = "national"
    api = "tencent"  # the adapter runs it against the kit's Tencent sandbox URL

    @staticmethod
    def his_class() -> type[His]:
        return SdkRequestIdPerPost
