from reference_node.proto.ehc.node.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Medium(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEDIUM_UNSPECIFIED: _ClassVar[Medium]
    MEDIUM_CITIZEN_ID: _ClassVar[Medium]
    MEDIUM_SOCIAL_SECURITY_CARD: _ClassVar[Medium]
    MEDIUM_RESIDENT_HEALTH_CARD: _ClassVar[Medium]
    MEDIUM_EHC_QR: _ClassVar[Medium]
    MEDIUM_EHCID: _ClassVar[Medium]
    MEDIUM_BIRTH_CERTIFICATE: _ClassVar[Medium]
    MEDIUM_HOSPITAL_CARD: _ClassVar[Medium]
    MEDIUM_CITIZEN_CARD: _ClassVar[Medium]
    MEDIUM_BANK_CARD_TOKEN: _ClassVar[Medium]
    MEDIUM_DOCUMENT: _ClassVar[Medium]
    MEDIUM_LINKED_CODE: _ClassVar[Medium]
MEDIUM_UNSPECIFIED: Medium
MEDIUM_CITIZEN_ID: Medium
MEDIUM_SOCIAL_SECURITY_CARD: Medium
MEDIUM_RESIDENT_HEALTH_CARD: Medium
MEDIUM_EHC_QR: Medium
MEDIUM_EHCID: Medium
MEDIUM_BIRTH_CERTIFICATE: Medium
MEDIUM_HOSPITAL_CARD: Medium
MEDIUM_CITIZEN_CARD: Medium
MEDIUM_BANK_CARD_TOKEN: Medium
MEDIUM_DOCUMENT: Medium
MEDIUM_LINKED_CODE: Medium

class ResolveRequest(_message.Message):
    __slots__ = ("medium", "identifier", "document_type", "issuer", "atr", "context")
    MEDIUM_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    ISSUER_FIELD_NUMBER: _ClassVar[int]
    ATR_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    medium: Medium
    identifier: str
    document_type: str
    issuer: str
    atr: str
    context: _common_pb2.TerminalContext
    def __init__(self, medium: _Optional[_Union[Medium, str]] = ..., identifier: _Optional[str] = ..., document_type: _Optional[str] = ..., issuer: _Optional[str] = ..., atr: _Optional[str] = ..., context: _Optional[_Union[_common_pb2.TerminalContext, _Mapping]] = ...) -> None: ...

class ResolveResponse(_message.Message):
    __slots__ = ("person", "remote", "cards", "followed_merge")
    PERSON_FIELD_NUMBER: _ClassVar[int]
    REMOTE_FIELD_NUMBER: _ClassVar[int]
    CARDS_FIELD_NUMBER: _ClassVar[int]
    FOLLOWED_MERGE_FIELD_NUMBER: _ClassVar[int]
    person: _common_pb2.Person
    remote: _common_pb2.RemoteRef
    cards: _containers.RepeatedCompositeFieldContainer[_common_pb2.Card]
    followed_merge: bool
    def __init__(self, person: _Optional[_Union[_common_pb2.Person, _Mapping]] = ..., remote: _Optional[_Union[_common_pb2.RemoteRef, _Mapping]] = ..., cards: _Optional[_Iterable[_Union[_common_pb2.Card, _Mapping]]] = ..., followed_merge: _Optional[bool] = ...) -> None: ...

class LinkMediumRequest(_message.Message):
    __slots__ = ("main_index", "remote", "medium", "identifier", "document_type", "issuer", "atr", "context", "card_medium")
    MAIN_INDEX_FIELD_NUMBER: _ClassVar[int]
    REMOTE_FIELD_NUMBER: _ClassVar[int]
    MEDIUM_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    ISSUER_FIELD_NUMBER: _ClassVar[int]
    ATR_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    CARD_MEDIUM_FIELD_NUMBER: _ClassVar[int]
    main_index: str
    remote: _common_pb2.RemoteRef
    medium: Medium
    identifier: str
    document_type: str
    issuer: str
    atr: str
    context: _common_pb2.TerminalContext
    card_medium: str
    def __init__(self, main_index: _Optional[str] = ..., remote: _Optional[_Union[_common_pb2.RemoteRef, _Mapping]] = ..., medium: _Optional[_Union[Medium, str]] = ..., identifier: _Optional[str] = ..., document_type: _Optional[str] = ..., issuer: _Optional[str] = ..., atr: _Optional[str] = ..., context: _Optional[_Union[_common_pb2.TerminalContext, _Mapping]] = ..., card_medium: _Optional[str] = ...) -> None: ...

class LinkMediumResponse(_message.Message):
    __slots__ = ("main_index", "remote", "medium", "changed")
    MAIN_INDEX_FIELD_NUMBER: _ClassVar[int]
    REMOTE_FIELD_NUMBER: _ClassVar[int]
    MEDIUM_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    main_index: str
    remote: _common_pb2.RemoteRef
    medium: Medium
    changed: bool
    def __init__(self, main_index: _Optional[str] = ..., remote: _Optional[_Union[_common_pb2.RemoteRef, _Mapping]] = ..., medium: _Optional[_Union[Medium, str]] = ..., changed: _Optional[bool] = ...) -> None: ...

class MergeRequest(_message.Message):
    __slots__ = ("surviving_main_index", "merged_main_index", "reason", "context")
    SURVIVING_MAIN_INDEX_FIELD_NUMBER: _ClassVar[int]
    MERGED_MAIN_INDEX_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    surviving_main_index: str
    merged_main_index: str
    reason: str
    context: _common_pb2.TerminalContext
    def __init__(self, surviving_main_index: _Optional[str] = ..., merged_main_index: _Optional[str] = ..., reason: _Optional[str] = ..., context: _Optional[_Union[_common_pb2.TerminalContext, _Mapping]] = ...) -> None: ...

class UnmergeRequest(_message.Message):
    __slots__ = ("merge_id", "reason", "context")
    MERGE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    merge_id: str
    reason: str
    context: _common_pb2.TerminalContext
    def __init__(self, merge_id: _Optional[str] = ..., reason: _Optional[str] = ..., context: _Optional[_Union[_common_pb2.TerminalContext, _Mapping]] = ...) -> None: ...

class MergeResponse(_message.Message):
    __slots__ = ("merge_id", "surviving_main_index", "merged_main_index", "active")
    MERGE_ID_FIELD_NUMBER: _ClassVar[int]
    SURVIVING_MAIN_INDEX_FIELD_NUMBER: _ClassVar[int]
    MERGED_MAIN_INDEX_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    merge_id: str
    surviving_main_index: str
    merged_main_index: str
    active: bool
    def __init__(self, merge_id: _Optional[str] = ..., surviving_main_index: _Optional[str] = ..., merged_main_index: _Optional[str] = ..., active: _Optional[bool] = ...) -> None: ...

class GetAuditRequest(_message.Message):
    __slots__ = ("main_index", "limit")
    MAIN_INDEX_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    main_index: str
    limit: int
    def __init__(self, main_index: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class AuditEntry(_message.Message):
    __slots__ = ("time", "action", "main_index", "detail", "terminal_id", "org_code")
    TIME_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    MAIN_INDEX_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    TERMINAL_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_CODE_FIELD_NUMBER: _ClassVar[int]
    time: str
    action: str
    main_index: str
    detail: str
    terminal_id: str
    org_code: str
    def __init__(self, time: _Optional[str] = ..., action: _Optional[str] = ..., main_index: _Optional[str] = ..., detail: _Optional[str] = ..., terminal_id: _Optional[str] = ..., org_code: _Optional[str] = ...) -> None: ...

class GetAuditResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[AuditEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[AuditEntry, _Mapping]]] = ...) -> None: ...
