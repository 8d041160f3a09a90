from reference_node.proto.ehc.node.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RegisterRequest(_message.Message):
    __slots__ = ("application_mode", "name", "document_type", "document_number", "sex", "nation", "birth_date", "phone", "address", "area_code", "poverty_relief", "social_security_card_number", "family_id", "request_id", "context", "priority_groups")
    APPLICATION_MODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SEX_FIELD_NUMBER: _ClassVar[int]
    NATION_FIELD_NUMBER: _ClassVar[int]
    BIRTH_DATE_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    AREA_CODE_FIELD_NUMBER: _ClassVar[int]
    POVERTY_RELIEF_FIELD_NUMBER: _ClassVar[int]
    SOCIAL_SECURITY_CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    FAMILY_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_GROUPS_FIELD_NUMBER: _ClassVar[int]
    application_mode: str
    name: str
    document_type: str
    document_number: str
    sex: str
    nation: str
    birth_date: str
    phone: str
    address: str
    area_code: str
    poverty_relief: bool
    social_security_card_number: str
    family_id: str
    request_id: str
    context: _common_pb2.TerminalContext
    priority_groups: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, application_mode: _Optional[str] = ..., name: _Optional[str] = ..., document_type: _Optional[str] = ..., document_number: _Optional[str] = ..., sex: _Optional[str] = ..., nation: _Optional[str] = ..., birth_date: _Optional[str] = ..., phone: _Optional[str] = ..., address: _Optional[str] = ..., area_code: _Optional[str] = ..., poverty_relief: _Optional[bool] = ..., social_security_card_number: _Optional[str] = ..., family_id: _Optional[str] = ..., request_id: _Optional[str] = ..., context: _Optional[_Union[_common_pb2.TerminalContext, _Mapping]] = ..., priority_groups: _Optional[_Iterable[str]] = ...) -> None: ...

class RegisterResponse(_message.Message):
    __slots__ = ("person", "card", "qr_text", "person_created", "card_created")
    PERSON_FIELD_NUMBER: _ClassVar[int]
    CARD_FIELD_NUMBER: _ClassVar[int]
    QR_TEXT_FIELD_NUMBER: _ClassVar[int]
    PERSON_CREATED_FIELD_NUMBER: _ClassVar[int]
    CARD_CREATED_FIELD_NUMBER: _ClassVar[int]
    person: _common_pb2.Person
    card: _common_pb2.Card
    qr_text: str
    person_created: bool
    card_created: bool
    def __init__(self, person: _Optional[_Union[_common_pb2.Person, _Mapping]] = ..., card: _Optional[_Union[_common_pb2.Card, _Mapping]] = ..., qr_text: _Optional[str] = ..., person_created: _Optional[bool] = ..., card_created: _Optional[bool] = ...) -> None: ...

class RegisterChunk(_message.Message):
    __slots__ = ("records", "bindings")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    BINDINGS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[RegisterRequest]
    bindings: _containers.RepeatedCompositeFieldContainer[BindFamilyRequest]
    def __init__(self, records: _Optional[_Iterable[_Union[RegisterRequest, _Mapping]]] = ..., bindings: _Optional[_Iterable[_Union[BindFamilyRequest, _Mapping]]] = ...) -> None: ...

class RegisterBatchItem(_message.Message):
    __slots__ = ("index", "request_id", "ok", "error", "main_index", "ehcid", "person_created")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    MAIN_INDEX_FIELD_NUMBER: _ClassVar[int]
    EHCID_FIELD_NUMBER: _ClassVar[int]
    PERSON_CREATED_FIELD_NUMBER: _ClassVar[int]
    index: int
    request_id: str
    ok: bool
    error: _common_pb2.ErrorInfo
    main_index: str
    ehcid: str
    person_created: bool
    def __init__(self, index: _Optional[int] = ..., request_id: _Optional[str] = ..., ok: _Optional[bool] = ..., error: _Optional[_Union[_common_pb2.ErrorInfo, _Mapping]] = ..., main_index: _Optional[str] = ..., ehcid: _Optional[str] = ..., person_created: _Optional[bool] = ...) -> None: ...

class RegisterBatchResult(_message.Message):
    __slots__ = ("items", "accepted_so_far", "rejected_so_far", "bindings", "bound_so_far")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_SO_FAR_FIELD_NUMBER: _ClassVar[int]
    REJECTED_SO_FAR_FIELD_NUMBER: _ClassVar[int]
    BINDINGS_FIELD_NUMBER: _ClassVar[int]
    BOUND_SO_FAR_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[RegisterBatchItem]
    accepted_so_far: int
    rejected_so_far: int
    bindings: _containers.RepeatedCompositeFieldContainer[RegisterBatchItem]
    bound_so_far: int
    def __init__(self, items: _Optional[_Iterable[_Union[RegisterBatchItem, _Mapping]]] = ..., accepted_so_far: _Optional[int] = ..., rejected_so_far: _Optional[int] = ..., bindings: _Optional[_Iterable[_Union[RegisterBatchItem, _Mapping]]] = ..., bound_so_far: _Optional[int] = ...) -> None: ...

class RegisterNewbornRequest(_message.Message):
    __slots__ = ("birth_certificate", "document_type", "name", "sex", "nation", "birth_date", "area_code", "guardian_document_type", "guardian_document_number", "guardian_main_index", "application_mode", "relation", "context")
    BIRTH_CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SEX_FIELD_NUMBER: _ClassVar[int]
    NATION_FIELD_NUMBER: _ClassVar[int]
    BIRTH_DATE_FIELD_NUMBER: _ClassVar[int]
    AREA_CODE_FIELD_NUMBER: _ClassVar[int]
    GUARDIAN_DOCUMENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    GUARDIAN_DOCUMENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    GUARDIAN_MAIN_INDEX_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_MODE_FIELD_NUMBER: _ClassVar[int]
    RELATION_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    birth_certificate: str
    document_type: str
    name: str
    sex: str
    nation: str
    birth_date: str
    area_code: str
    guardian_document_type: str
    guardian_document_number: str
    guardian_main_index: str
    application_mode: str
    relation: str
    context: _common_pb2.TerminalContext
    def __init__(self, birth_certificate: _Optional[str] = ..., document_type: _Optional[str] = ..., name: _Optional[str] = ..., sex: _Optional[str] = ..., nation: _Optional[str] = ..., birth_date: _Optional[str] = ..., area_code: _Optional[str] = ..., guardian_document_type: _Optional[str] = ..., guardian_document_number: _Optional[str] = ..., guardian_main_index: _Optional[str] = ..., application_mode: _Optional[str] = ..., relation: _Optional[str] = ..., context: _Optional[_Union[_common_pb2.TerminalContext, _Mapping]] = ...) -> None: ...

class UpgradeTemporaryRequest(_message.Message):
    __slots__ = ("ehcid", "document_type", "document_number", "context")
    EHCID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    ehcid: str
    document_type: str
    document_number: str
    context: _common_pb2.TerminalContext
    def __init__(self, ehcid: _Optional[str] = ..., document_type: _Optional[str] = ..., document_number: _Optional[str] = ..., context: _Optional[_Union[_common_pb2.TerminalContext, _Mapping]] = ...) -> None: ...

class GetQrCodeRequest(_message.Message):
    __slots__ = ("ehcid", "code_type", "lifetime_seconds", "max_verifications", "context")
    EHCID_FIELD_NUMBER: _ClassVar[int]
    CODE_TYPE_FIELD_NUMBER: _ClassVar[int]
    LIFETIME_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MAX_VERIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    ehcid: str
    code_type: _common_pb2.CodeType
    lifetime_seconds: int
    max_verifications: int
    context: _common_pb2.TerminalContext
    def __init__(self, ehcid: _Optional[str] = ..., code_type: _Optional[_Union[_common_pb2.CodeType, str]] = ..., lifetime_seconds: _Optional[int] = ..., max_verifications: _Optional[int] = ..., context: _Optional[_Union[_common_pb2.TerminalContext, _Mapping]] = ...) -> None: ...

class GetQrCodeResponse(_message.Message):
    __slots__ = ("qr_text", "code_type", "valid_until", "surplus_num", "ehcid")
    QR_TEXT_FIELD_NUMBER: _ClassVar[int]
    CODE_TYPE_FIELD_NUMBER: _ClassVar[int]
    VALID_UNTIL_FIELD_NUMBER: _ClassVar[int]
    SURPLUS_NUM_FIELD_NUMBER: _ClassVar[int]
    EHCID_FIELD_NUMBER: _ClassVar[int]
    qr_text: str
    code_type: _common_pb2.CodeType
    valid_until: str
    surplus_num: int
    ehcid: str
    def __init__(self, qr_text: _Optional[str] = ..., code_type: _Optional[_Union[_common_pb2.CodeType, str]] = ..., valid_until: _Optional[str] = ..., surplus_num: _Optional[int] = ..., ehcid: _Optional[str] = ...) -> None: ...

class CardActionRequest(_message.Message):
    __slots__ = ("ehcid", "reason", "context")
    EHCID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    ehcid: str
    reason: str
    context: _common_pb2.TerminalContext
    def __init__(self, ehcid: _Optional[str] = ..., reason: _Optional[str] = ..., context: _Optional[_Union[_common_pb2.TerminalContext, _Mapping]] = ...) -> None: ...

class CardResponse(_message.Message):
    __slots__ = ("card", "person")
    CARD_FIELD_NUMBER: _ClassVar[int]
    PERSON_FIELD_NUMBER: _ClassVar[int]
    card: _common_pb2.Card
    person: _common_pb2.Person
    def __init__(self, card: _Optional[_Union[_common_pb2.Card, _Mapping]] = ..., person: _Optional[_Union[_common_pb2.Person, _Mapping]] = ...) -> None: ...

class ModifyRequest(_message.Message):
    __slots__ = ("ehcid", "name", "phone", "address", "area_code", "set_poverty_relief", "poverty_relief", "context", "set_priority_groups", "priority_groups")
    EHCID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    AREA_CODE_FIELD_NUMBER: _ClassVar[int]
    SET_POVERTY_RELIEF_FIELD_NUMBER: _ClassVar[int]
    POVERTY_RELIEF_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    SET_PRIORITY_GROUPS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_GROUPS_FIELD_NUMBER: _ClassVar[int]
    ehcid: str
    name: str
    phone: str
    address: str
    area_code: str
    set_poverty_relief: bool
    poverty_relief: bool
    context: _common_pb2.TerminalContext
    set_priority_groups: bool
    priority_groups: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, ehcid: _Optional[str] = ..., name: _Optional[str] = ..., phone: _Optional[str] = ..., address: _Optional[str] = ..., area_code: _Optional[str] = ..., set_poverty_relief: _Optional[bool] = ..., poverty_relief: _Optional[bool] = ..., context: _Optional[_Union[_common_pb2.TerminalContext, _Mapping]] = ..., set_priority_groups: _Optional[bool] = ..., priority_groups: _Optional[_Iterable[str]] = ...) -> None: ...

class BindFamilyRequest(_message.Message):
    __slots__ = ("guardian_ehcid", "member_ehcid", "relation", "context")
    GUARDIAN_EHCID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_EHCID_FIELD_NUMBER: _ClassVar[int]
    RELATION_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    guardian_ehcid: str
    member_ehcid: str
    relation: str
    context: _common_pb2.TerminalContext
    def __init__(self, guardian_ehcid: _Optional[str] = ..., member_ehcid: _Optional[str] = ..., relation: _Optional[str] = ..., context: _Optional[_Union[_common_pb2.TerminalContext, _Mapping]] = ...) -> None: ...

class FamilyResponse(_message.Message):
    __slots__ = ("main_index", "members")
    MAIN_INDEX_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    main_index: str
    members: _containers.RepeatedCompositeFieldContainer[_common_pb2.FamilyMember]
    def __init__(self, main_index: _Optional[str] = ..., members: _Optional[_Iterable[_Union[_common_pb2.FamilyMember, _Mapping]]] = ...) -> None: ...

class GetCardRequest(_message.Message):
    __slots__ = ("ehcid",)
    EHCID_FIELD_NUMBER: _ClassVar[int]
    ehcid: str
    def __init__(self, ehcid: _Optional[str] = ...) -> None: ...

class QueryRequest(_message.Message):
    __slots__ = ("main_index", "document_type", "document_number")
    MAIN_INDEX_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    main_index: str
    document_type: str
    document_number: str
    def __init__(self, main_index: _Optional[str] = ..., document_type: _Optional[str] = ..., document_number: _Optional[str] = ...) -> None: ...

class QueryResponse(_message.Message):
    __slots__ = ("person", "cards", "family")
    PERSON_FIELD_NUMBER: _ClassVar[int]
    CARDS_FIELD_NUMBER: _ClassVar[int]
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    person: _common_pb2.Person
    cards: _containers.RepeatedCompositeFieldContainer[_common_pb2.Card]
    family: _containers.RepeatedCompositeFieldContainer[_common_pb2.FamilyMember]
    def __init__(self, person: _Optional[_Union[_common_pb2.Person, _Mapping]] = ..., cards: _Optional[_Iterable[_Union[_common_pb2.Card, _Mapping]]] = ..., family: _Optional[_Iterable[_Union[_common_pb2.FamilyMember, _Mapping]]] = ...) -> None: ...
