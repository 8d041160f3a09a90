"""outpatient-rest: the outpatient peak through the node's REST gateway (HIS integrating over HTTP).

Windows 3 and kiosks 4 as in outpatient-peak, presenting static codes, chip cards and the same
6 % of invalid codes (dynamic codes are left to the gRPC scenario: the REST path is what an HIS
without a gRPC stack uses). Each successful read is followed by a usage report over HTTP.
"""

from __future__ import annotations

from load_tests.rest_user import RestTerminal

PROTOCOL = "http"


class RestWindow(RestTerminal):
    weight = 3
    role = "window"
    scenes = ("0101012", "0101051")


class RestKiosk(RestTerminal):
    weight = 4
    role = "kiosk"
    scenes = ("0101019", "0101051", "0101081")


USER_CLASSES = [RestWindow, RestKiosk]
