"""Supervision reuses the node's validation and permission codes (41xx, 42xx); its own code is
for a scanner-bench run id that does not exist (gRPC FAILED_PRECONDITION, REST 404)."""

from __future__ import annotations

from ehc.errors import define
from reference_node.errors import FIELD_BAD_FORMAT, FORBIDDEN_ADMIN_ONLY

BAD_PERIOD = FIELD_BAD_FORMAT
BAD_INPUT = FIELD_BAD_FORMAT
FORBIDDEN = FORBIDDEN_ADMIN_ONLY
BENCH_RUN_UNKNOWN = define(
    "NODE_SUPERVISION_BENCH_RUN_UNKNOWN", 4950, "reference_node", "no scanner bench run with that id"
)
# the weekly notice PDF embeds a CJK TrueType font; without one it cannot print Chinese (REST 503)
NOTICE_FONT_MISSING = define(
    "NODE_SUPERVISION_NOTICE_FONT_MISSING",
    4951,
    "reference_node",
    "no CJK TrueType font for the weekly notice PDF (install fonts-wqy-microhei or set EHC_NOTICE_FONT)",
)
