from reference_node.proto.ehc.node.v1 import common_pb2 as _common_pb2
from reference_node.proto.ehc.node.v1 import main_index_pb2 as _main_index_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OrderStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_STATUS_UNSPECIFIED: _ClassVar[OrderStatus]
    ORDER_OPEN: _ClassVar[OrderStatus]
    ORDER_PAID: _ClassVar[OrderStatus]
    ORDER_DEFERRED: _ClassVar[OrderStatus]
ORDER_STATUS_UNSPECIFIED: OrderStatus
ORDER_OPEN: OrderStatus
ORDER_PAID: OrderStatus
ORDER_DEFERRED: OrderStatus

class Holder(_message.Message):
    __slots__ = ("medium", "identifier", "document_type", "issuer")
    MEDIUM_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    ISSUER_FIELD_NUMBER: _ClassVar[int]
    medium: _main_index_pb2.Medium
    identifier: str
    document_type: str
    issuer: str
    def __init__(self, medium: _Optional[_Union[_main_index_pb2.Medium, str]] = ..., identifier: _Optional[str] = ..., document_type: _Optional[str] = ..., issuer: _Optional[str] = ...) -> None: ...

class CreateOrderRequest(_message.Message):
    __slots__ = ("request_id", "context", "holder", "category", "amount_cents", "bill_number", "defer")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_CENTS_FIELD_NUMBER: _ClassVar[int]
    BILL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    DEFER_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    context: _common_pb2.TerminalContext
    holder: Holder
    category: str
    amount_cents: int
    bill_number: str
    defer: bool
    def __init__(self, request_id: _Optional[str] = ..., context: _Optional[_Union[_common_pb2.TerminalContext, _Mapping]] = ..., holder: _Optional[_Union[Holder, _Mapping]] = ..., category: _Optional[str] = ..., amount_cents: _Optional[int] = ..., bill_number: _Optional[str] = ..., defer: _Optional[bool] = ...) -> None: ...

class Order(_message.Message):
    __slots__ = ("order_id", "status", "category", "amount_cents", "paid_cents", "refunded_cents", "main_index", "ehcid", "bill_number", "org_code", "created_at", "deferred", "duplicate", "payment_id")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_CENTS_FIELD_NUMBER: _ClassVar[int]
    PAID_CENTS_FIELD_NUMBER: _ClassVar[int]
    REFUNDED_CENTS_FIELD_NUMBER: _ClassVar[int]
    MAIN_INDEX_FIELD_NUMBER: _ClassVar[int]
    EHCID_FIELD_NUMBER: _ClassVar[int]
    BILL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ORG_CODE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    DEFERRED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    status: OrderStatus
    category: str
    amount_cents: int
    paid_cents: int
    refunded_cents: int
    main_index: str
    ehcid: str
    bill_number: str
    org_code: str
    created_at: str
    deferred: bool
    duplicate: bool
    payment_id: str
    def __init__(self, order_id: _Optional[str] = ..., status: _Optional[_Union[OrderStatus, str]] = ..., category: _Optional[str] = ..., amount_cents: _Optional[int] = ..., paid_cents: _Optional[int] = ..., refunded_cents: _Optional[int] = ..., main_index: _Optional[str] = ..., ehcid: _Optional[str] = ..., bill_number: _Optional[str] = ..., org_code: _Optional[str] = ..., created_at: _Optional[str] = ..., deferred: _Optional[bool] = ..., duplicate: _Optional[bool] = ..., payment_id: _Optional[str] = ...) -> None: ...

class PayRequest(_message.Message):
    __slots__ = ("request_id", "context", "order_id", "amount_cents", "method")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_CENTS_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    context: _common_pb2.TerminalContext
    order_id: str
    amount_cents: int
    method: str
    def __init__(self, request_id: _Optional[str] = ..., context: _Optional[_Union[_common_pb2.TerminalContext, _Mapping]] = ..., order_id: _Optional[str] = ..., amount_cents: _Optional[int] = ..., method: _Optional[str] = ...) -> None: ...

class Payment(_message.Message):
    __slots__ = ("payment_id", "order_id", "amount_cents", "category", "method", "paid_at", "settlement_date", "duplicate")
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_CENTS_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PAID_AT_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_DATE_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    payment_id: str
    order_id: str
    amount_cents: int
    category: str
    method: str
    paid_at: str
    settlement_date: str
    duplicate: bool
    def __init__(self, payment_id: _Optional[str] = ..., order_id: _Optional[str] = ..., amount_cents: _Optional[int] = ..., category: _Optional[str] = ..., method: _Optional[str] = ..., paid_at: _Optional[str] = ..., settlement_date: _Optional[str] = ..., duplicate: _Optional[bool] = ...) -> None: ...

class RefundRequest(_message.Message):
    __slots__ = ("request_id", "context", "payment_id", "amount_cents", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_CENTS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    context: _common_pb2.TerminalContext
    payment_id: str
    amount_cents: int
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., context: _Optional[_Union[_common_pb2.TerminalContext, _Mapping]] = ..., payment_id: _Optional[str] = ..., amount_cents: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class RefundRecord(_message.Message):
    __slots__ = ("refund_id", "payment_id", "order_id", "amount_cents", "category", "refunded_at", "settlement_date", "duplicate")
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_CENTS_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    REFUNDED_AT_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_DATE_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    refund_id: str
    payment_id: str
    order_id: str
    amount_cents: int
    category: str
    refunded_at: str
    settlement_date: str
    duplicate: bool
    def __init__(self, refund_id: _Optional[str] = ..., payment_id: _Optional[str] = ..., order_id: _Optional[str] = ..., amount_cents: _Optional[int] = ..., category: _Optional[str] = ..., refunded_at: _Optional[str] = ..., settlement_date: _Optional[str] = ..., duplicate: _Optional[bool] = ...) -> None: ...

class GetOrderRequest(_message.Message):
    __slots__ = ("order_id", "context")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    context: _common_pb2.TerminalContext
    def __init__(self, order_id: _Optional[str] = ..., context: _Optional[_Union[_common_pb2.TerminalContext, _Mapping]] = ...) -> None: ...

class LedgerRequest(_message.Message):
    __slots__ = ("date", "org_code", "context")
    DATE_FIELD_NUMBER: _ClassVar[int]
    ORG_CODE_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    date: str
    org_code: str
    context: _common_pb2.TerminalContext
    def __init__(self, date: _Optional[str] = ..., org_code: _Optional[str] = ..., context: _Optional[_Union[_common_pb2.TerminalContext, _Mapping]] = ...) -> None: ...

class LedgerEntry(_message.Message):
    __slots__ = ("kind", "reference", "order_id", "amount_cents", "category", "payment_id", "bill_number", "time")
    KIND_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_CENTS_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    BILL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    kind: str
    reference: str
    order_id: str
    amount_cents: int
    category: str
    payment_id: str
    bill_number: str
    time: str
    def __init__(self, kind: _Optional[str] = ..., reference: _Optional[str] = ..., order_id: _Optional[str] = ..., amount_cents: _Optional[int] = ..., category: _Optional[str] = ..., payment_id: _Optional[str] = ..., bill_number: _Optional[str] = ..., time: _Optional[str] = ...) -> None: ...

class Ledger(_message.Message):
    __slots__ = ("date", "org_code", "entries", "payments_cents", "refunds_cents", "deferred_cents")
    DATE_FIELD_NUMBER: _ClassVar[int]
    ORG_CODE_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    PAYMENTS_CENTS_FIELD_NUMBER: _ClassVar[int]
    REFUNDS_CENTS_FIELD_NUMBER: _ClassVar[int]
    DEFERRED_CENTS_FIELD_NUMBER: _ClassVar[int]
    date: str
    org_code: str
    entries: _containers.RepeatedCompositeFieldContainer[LedgerEntry]
    payments_cents: int
    refunds_cents: int
    deferred_cents: int
    def __init__(self, date: _Optional[str] = ..., org_code: _Optional[str] = ..., entries: _Optional[_Iterable[_Union[LedgerEntry, _Mapping]]] = ..., payments_cents: _Optional[int] = ..., refunds_cents: _Optional[int] = ..., deferred_cents: _Optional[int] = ...) -> None: ...

class ReconcileRequest(_message.Message):
    __slots__ = ("date", "context", "entries")
    DATE_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    date: str
    context: _common_pb2.TerminalContext
    entries: _containers.RepeatedCompositeFieldContainer[LedgerEntry]
    def __init__(self, date: _Optional[str] = ..., context: _Optional[_Union[_common_pb2.TerminalContext, _Mapping]] = ..., entries: _Optional[_Iterable[_Union[LedgerEntry, _Mapping]]] = ...) -> None: ...

class Mismatch(_message.Message):
    __slots__ = ("kind", "entry_kind", "reference", "node_amount_cents", "his_amount_cents", "node_category", "his_category", "detail")
    KIND_FIELD_NUMBER: _ClassVar[int]
    ENTRY_KIND_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    NODE_AMOUNT_CENTS_FIELD_NUMBER: _ClassVar[int]
    HIS_AMOUNT_CENTS_FIELD_NUMBER: _ClassVar[int]
    NODE_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    HIS_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    kind: str
    entry_kind: str
    reference: str
    node_amount_cents: int
    his_amount_cents: int
    node_category: str
    his_category: str
    detail: str
    def __init__(self, kind: _Optional[str] = ..., entry_kind: _Optional[str] = ..., reference: _Optional[str] = ..., node_amount_cents: _Optional[int] = ..., his_amount_cents: _Optional[int] = ..., node_category: _Optional[str] = ..., his_category: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class ReconcileReport(_message.Message):
    __slots__ = ("date", "org_code", "node_payments_cents", "node_refunds_cents", "node_deferred_cents", "his_payments_cents", "his_refunds_cents", "his_deferred_cents", "matched", "mismatches", "reconciliation_id")
    DATE_FIELD_NUMBER: _ClassVar[int]
    ORG_CODE_FIELD_NUMBER: _ClassVar[int]
    NODE_PAYMENTS_CENTS_FIELD_NUMBER: _ClassVar[int]
    NODE_REFUNDS_CENTS_FIELD_NUMBER: _ClassVar[int]
    NODE_DEFERRED_CENTS_FIELD_NUMBER: _ClassVar[int]
    HIS_PAYMENTS_CENTS_FIELD_NUMBER: _ClassVar[int]
    HIS_REFUNDS_CENTS_FIELD_NUMBER: _ClassVar[int]
    HIS_DEFERRED_CENTS_FIELD_NUMBER: _ClassVar[int]
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    MISMATCHES_FIELD_NUMBER: _ClassVar[int]
    RECONCILIATION_ID_FIELD_NUMBER: _ClassVar[int]
    date: str
    org_code: str
    node_payments_cents: int
    node_refunds_cents: int
    node_deferred_cents: int
    his_payments_cents: int
    his_refunds_cents: int
    his_deferred_cents: int
    matched: int
    mismatches: _containers.RepeatedCompositeFieldContainer[Mismatch]
    reconciliation_id: str
    def __init__(self, date: _Optional[str] = ..., org_code: _Optional[str] = ..., node_payments_cents: _Optional[int] = ..., node_refunds_cents: _Optional[int] = ..., node_deferred_cents: _Optional[int] = ..., his_payments_cents: _Optional[int] = ..., his_refunds_cents: _Optional[int] = ..., his_deferred_cents: _Optional[int] = ..., matched: _Optional[int] = ..., mismatches: _Optional[_Iterable[_Union[Mismatch, _Mapping]]] = ..., reconciliation_id: _Optional[str] = ...) -> None: ...
