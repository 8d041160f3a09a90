"""Scenarios over the Tencent HealthCardOpenAPI envelope (``--api tencent``): the same three
paths as over gRPC — verify-only (verifyQRCode of static codes), report-only (reportHISData) and
the outpatient mix (verify, then report) — for a HIS that integrates through the open platform.
Dynamic codes are left out: getDynamicQRCode renders a PNG per call, which is not the read path.
"""

from __future__ import annotations

from load_tests.tencent_user import TencentOutpatient, TencentReporter, TencentVerifier


class EnvelopeVerifier(TencentVerifier):
    weight = 1


class EnvelopeReporter(TencentReporter):
    weight = 1


class EnvelopeOutpatient(TencentOutpatient):
    weight = 1


BY_SCENARIO = {
    "verify-only": [EnvelopeVerifier],
    "report-only": [EnvelopeReporter],
    "outpatient-peak": [EnvelopeOutpatient],
}
