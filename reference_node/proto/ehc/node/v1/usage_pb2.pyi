from reference_node.proto.ehc.node.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class UsageRecord(_message.Message):
    __slots__ = ("request_id", "time", "org_code", "org_name", "use_city", "scene", "medical_step", "department", "card_type", "channel", "payment_category", "visit_type", "ehcid", "card_number", "atr", "sam_number", "terminal_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    ORG_CODE_FIELD_NUMBER: _ClassVar[int]
    ORG_NAME_FIELD_NUMBER: _ClassVar[int]
    USE_CITY_FIELD_NUMBER: _ClassVar[int]
    SCENE_FIELD_NUMBER: _ClassVar[int]
    MEDICAL_STEP_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    CARD_TYPE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    VISIT_TYPE_FIELD_NUMBER: _ClassVar[int]
    EHCID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ATR_FIELD_NUMBER: _ClassVar[int]
    SAM_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TERMINAL_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    time: str
    org_code: str
    org_name: str
    use_city: str
    scene: str
    medical_step: str
    department: str
    card_type: str
    channel: str
    payment_category: str
    visit_type: str
    ehcid: str
    card_number: str
    atr: str
    sam_number: str
    terminal_id: str
    def __init__(self, request_id: _Optional[str] = ..., time: _Optional[str] = ..., org_code: _Optional[str] = ..., org_name: _Optional[str] = ..., use_city: _Optional[str] = ..., scene: _Optional[str] = ..., medical_step: _Optional[str] = ..., department: _Optional[str] = ..., card_type: _Optional[str] = ..., channel: _Optional[str] = ..., payment_category: _Optional[str] = ..., visit_type: _Optional[str] = ..., ehcid: _Optional[str] = ..., card_number: _Optional[str] = ..., atr: _Optional[str] = ..., sam_number: _Optional[str] = ..., terminal_id: _Optional[str] = ...) -> None: ...

class ReportAck(_message.Message):
    __slots__ = ("request_id", "accepted", "duplicate", "error", "usage_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    USAGE_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    accepted: bool
    duplicate: bool
    error: _common_pb2.ErrorInfo
    usage_id: str
    def __init__(self, request_id: _Optional[str] = ..., accepted: _Optional[bool] = ..., duplicate: _Optional[bool] = ..., error: _Optional[_Union[_common_pb2.ErrorInfo, _Mapping]] = ..., usage_id: _Optional[str] = ...) -> None: ...

class QueryUsageRequest(_message.Message):
    __slots__ = ("org_code", "ehcid", "from_time", "to_time", "limit")
    ORG_CODE_FIELD_NUMBER: _ClassVar[int]
    EHCID_FIELD_NUMBER: _ClassVar[int]
    FROM_TIME_FIELD_NUMBER: _ClassVar[int]
    TO_TIME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    org_code: str
    ehcid: str
    from_time: str
    to_time: str
    limit: int
    def __init__(self, org_code: _Optional[str] = ..., ehcid: _Optional[str] = ..., from_time: _Optional[str] = ..., to_time: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class QueryUsageResponse(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[UsageRecord]
    def __init__(self, records: _Optional[_Iterable[_Union[UsageRecord, _Mapping]]] = ...) -> None: ...
