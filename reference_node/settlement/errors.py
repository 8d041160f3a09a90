"""Settlement codes (4970-4979, inside reference_node's 4xxx range). Validation and permission
failures reuse the node's own codes (41xx, 42xx)."""

from __future__ import annotations

from ehc.errors import define

L = "reference_node"
DISABLED = define(
    "NODE_SETTLEMENT_DISABLED",
    4970,
    L,
    "this node serves no simulated settlement (TEST-ONLY, --test-settlement)",
)
CARD_REFUSED = define(
    "NODE_SETTLEMENT_CARD_REFUSED", 4971, L, "payment refused: the holder's card is suspended or cancelled"
)
ORDER_UNKNOWN = define(
    "NODE_SETTLEMENT_ORDER_UNKNOWN", 4972, L, "no order with this id for this organisation"
)
ALREADY_PAID = define(
    "NODE_SETTLEMENT_ALREADY_PAID", 4973, L, "order already paid: a second payment would charge twice"
)
NOT_SETTLED = define(
    "NODE_SETTLEMENT_NOT_SETTLED",
    4974,
    L,
    "refund refused: no settled payment with this id for this organisation",
)
REFUND_EXCEEDS = define(
    "NODE_SETTLEMENT_REFUND_EXCEEDS", 4975, L, "refund refused: refunds would exceed the amount paid"
)
CONFLICT = define(
    "NODE_SETTLEMENT_CONFLICT", 4976, L, "request id already used for a different settlement request"
)
DEFER_REFUSED = define(
    "NODE_SETTLEMENT_DEFER_REFUSED",
    4977,
    L,
    "treat-first-pay-later refused: the profile does not enable it or the person is not flagged",
)
AMOUNT_MISMATCH = define(
    "NODE_SETTLEMENT_AMOUNT_MISMATCH", 4978, L, "amount paid differs from the order's amount"
)
