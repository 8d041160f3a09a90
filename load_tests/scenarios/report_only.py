"""report-only: the WRITE path alone — usage reports (``Report``) and nothing else.

HIS systems upload usage records of residents drawn uniformly from the whole seeded population,
at the scenes of a hospital day (``actors.JOURNEY``); every record has a fresh request id, so each
one is a new row. Its ratio to the echo is the usage-report path's.
"""

from __future__ import annotations

from load_tests.actors import HisUsageReporter


class ReportingHis(HisUsageReporter):
    weight = 1


USER_CLASSES = [ReportingHis]
