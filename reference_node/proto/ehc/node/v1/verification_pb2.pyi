from reference_node.proto.ehc.node.v1 import common_pb2 as _common_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class VerifyQrRequest(_message.Message):
    __slots__ = ("qr_text", "context")
    QR_TEXT_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    qr_text: str
    context: _common_pb2.TerminalContext
    def __init__(self, qr_text: _Optional[str] = ..., context: _Optional[_Union[_common_pb2.TerminalContext, _Mapping]] = ...) -> None: ...

class VerifyChipCardRequest(_message.Message):
    __slots__ = ("card_number", "atr", "issuer_signature", "signed_data", "context")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ATR_FIELD_NUMBER: _ClassVar[int]
    ISSUER_SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    SIGNED_DATA_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    atr: str
    issuer_signature: bytes
    signed_data: bytes
    context: _common_pb2.TerminalContext
    def __init__(self, card_number: _Optional[str] = ..., atr: _Optional[str] = ..., issuer_signature: _Optional[bytes] = ..., signed_data: _Optional[bytes] = ..., context: _Optional[_Union[_common_pb2.TerminalContext, _Mapping]] = ...) -> None: ...

class VerifyResponse(_message.Message):
    __slots__ = ("person", "card", "flags", "code_type", "valid_until", "surplus_num", "verification_id")
    PERSON_FIELD_NUMBER: _ClassVar[int]
    CARD_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    CODE_TYPE_FIELD_NUMBER: _ClassVar[int]
    VALID_UNTIL_FIELD_NUMBER: _ClassVar[int]
    SURPLUS_NUM_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    person: _common_pb2.Person
    card: _common_pb2.Card
    flags: _common_pb2.PointOfCareFlags
    code_type: _common_pb2.CodeType
    valid_until: str
    surplus_num: int
    verification_id: str
    def __init__(self, person: _Optional[_Union[_common_pb2.Person, _Mapping]] = ..., card: _Optional[_Union[_common_pb2.Card, _Mapping]] = ..., flags: _Optional[_Union[_common_pb2.PointOfCareFlags, _Mapping]] = ..., code_type: _Optional[_Union[_common_pb2.CodeType, str]] = ..., valid_until: _Optional[str] = ..., surplus_num: _Optional[int] = ..., verification_id: _Optional[str] = ...) -> None: ...
