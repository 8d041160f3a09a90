from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CardStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CARD_STATUS_UNSPECIFIED: _ClassVar[CardStatus]
    CARD_STATUS_NORMAL: _ClassVar[CardStatus]
    CARD_STATUS_SUSPENDED: _ClassVar[CardStatus]
    CARD_STATUS_CANCELLED: _ClassVar[CardStatus]
    CARD_STATUS_SUPERSEDED: _ClassVar[CardStatus]

class CardAttribute(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CARD_ATTRIBUTE_UNSPECIFIED: _ClassVar[CardAttribute]
    CARD_ATTRIBUTE_TEMPORARY: _ClassVar[CardAttribute]
    CARD_ATTRIBUTE_FORMAL: _ClassVar[CardAttribute]

class CodeType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CODE_TYPE_DYNAMIC: _ClassVar[CodeType]
    CODE_TYPE_STATIC: _ClassVar[CodeType]
CARD_STATUS_UNSPECIFIED: CardStatus
CARD_STATUS_NORMAL: CardStatus
CARD_STATUS_SUSPENDED: CardStatus
CARD_STATUS_CANCELLED: CardStatus
CARD_STATUS_SUPERSEDED: CardStatus
CARD_ATTRIBUTE_UNSPECIFIED: CardAttribute
CARD_ATTRIBUTE_TEMPORARY: CardAttribute
CARD_ATTRIBUTE_FORMAL: CardAttribute
CODE_TYPE_DYNAMIC: CodeType
CODE_TYPE_STATIC: CodeType

class TerminalContext(_message.Message):
    __slots__ = ("terminal_id", "org_code", "org_name", "use_city", "channel", "medical_step", "scene", "department", "time")
    TERMINAL_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_CODE_FIELD_NUMBER: _ClassVar[int]
    ORG_NAME_FIELD_NUMBER: _ClassVar[int]
    USE_CITY_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    MEDICAL_STEP_FIELD_NUMBER: _ClassVar[int]
    SCENE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    terminal_id: str
    org_code: str
    org_name: str
    use_city: str
    channel: str
    medical_step: str
    scene: str
    department: str
    time: str
    def __init__(self, terminal_id: _Optional[str] = ..., org_code: _Optional[str] = ..., org_name: _Optional[str] = ..., use_city: _Optional[str] = ..., channel: _Optional[str] = ..., medical_step: _Optional[str] = ..., scene: _Optional[str] = ..., department: _Optional[str] = ..., time: _Optional[str] = ...) -> None: ...

class ErrorInfo(_message.Message):
    __slots__ = ("code", "number", "message", "field")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    code: str
    number: int
    message: str
    field: str
    def __init__(self, code: _Optional[str] = ..., number: _Optional[int] = ..., message: _Optional[str] = ..., field: _Optional[str] = ...) -> None: ...

class RemoteRef(_message.Message):
    __slots__ = ("node_id", "main_index")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    MAIN_INDEX_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    main_index: str
    def __init__(self, node_id: _Optional[str] = ..., main_index: _Optional[str] = ...) -> None: ...

class Person(_message.Message):
    __slots__ = ("main_index", "name", "document_type", "document_number", "sex", "nation", "birth_date", "address", "phone", "area_code", "poverty_relief", "family_id", "remote", "merged_into", "priority_groups")
    MAIN_INDEX_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SEX_FIELD_NUMBER: _ClassVar[int]
    NATION_FIELD_NUMBER: _ClassVar[int]
    BIRTH_DATE_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    AREA_CODE_FIELD_NUMBER: _ClassVar[int]
    POVERTY_RELIEF_FIELD_NUMBER: _ClassVar[int]
    FAMILY_ID_FIELD_NUMBER: _ClassVar[int]
    REMOTE_FIELD_NUMBER: _ClassVar[int]
    MERGED_INTO_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_GROUPS_FIELD_NUMBER: _ClassVar[int]
    main_index: str
    name: str
    document_type: str
    document_number: str
    sex: str
    nation: str
    birth_date: str
    address: str
    phone: str
    area_code: str
    poverty_relief: bool
    family_id: str
    remote: RemoteRef
    merged_into: str
    priority_groups: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, main_index: _Optional[str] = ..., name: _Optional[str] = ..., document_type: _Optional[str] = ..., document_number: _Optional[str] = ..., sex: _Optional[str] = ..., nation: _Optional[str] = ..., birth_date: _Optional[str] = ..., address: _Optional[str] = ..., phone: _Optional[str] = ..., area_code: _Optional[str] = ..., poverty_relief: _Optional[bool] = ..., family_id: _Optional[str] = ..., remote: _Optional[_Union[RemoteRef, _Mapping]] = ..., merged_into: _Optional[str] = ..., priority_groups: _Optional[_Iterable[str]] = ...) -> None: ...

class Card(_message.Message):
    __slots__ = ("ehcid", "main_index", "status", "attribute", "document_type", "application_mode", "issued_at", "area_code", "org_code", "status_reason", "previous_ehcids", "superseded_by")
    EHCID_FIELD_NUMBER: _ClassVar[int]
    MAIN_INDEX_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTE_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_MODE_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    AREA_CODE_FIELD_NUMBER: _ClassVar[int]
    ORG_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_REASON_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_EHCIDS_FIELD_NUMBER: _ClassVar[int]
    SUPERSEDED_BY_FIELD_NUMBER: _ClassVar[int]
    ehcid: str
    main_index: str
    status: CardStatus
    attribute: CardAttribute
    document_type: str
    application_mode: str
    issued_at: str
    area_code: str
    org_code: str
    status_reason: str
    previous_ehcids: _containers.RepeatedScalarFieldContainer[str]
    superseded_by: str
    def __init__(self, ehcid: _Optional[str] = ..., main_index: _Optional[str] = ..., status: _Optional[_Union[CardStatus, str]] = ..., attribute: _Optional[_Union[CardAttribute, str]] = ..., document_type: _Optional[str] = ..., application_mode: _Optional[str] = ..., issued_at: _Optional[str] = ..., area_code: _Optional[str] = ..., org_code: _Optional[str] = ..., status_reason: _Optional[str] = ..., previous_ehcids: _Optional[_Iterable[str]] = ..., superseded_by: _Optional[str] = ...) -> None: ...

class PointOfCareFlags(_message.Message):
    __slots__ = ("poverty_relief", "temporary", "newborn", "suspended", "cancelled")
    POVERTY_RELIEF_FIELD_NUMBER: _ClassVar[int]
    TEMPORARY_FIELD_NUMBER: _ClassVar[int]
    NEWBORN_FIELD_NUMBER: _ClassVar[int]
    SUSPENDED_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    poverty_relief: bool
    temporary: bool
    newborn: bool
    suspended: bool
    cancelled: bool
    def __init__(self, poverty_relief: _Optional[bool] = ..., temporary: _Optional[bool] = ..., newborn: _Optional[bool] = ..., suspended: _Optional[bool] = ..., cancelled: _Optional[bool] = ...) -> None: ...

class FamilyMember(_message.Message):
    __slots__ = ("main_index", "name", "relation", "ehcid")
    MAIN_INDEX_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RELATION_FIELD_NUMBER: _ClassVar[int]
    EHCID_FIELD_NUMBER: _ClassVar[int]
    main_index: str
    name: str
    relation: str
    ehcid: str
    def __init__(self, main_index: _Optional[str] = ..., name: _Optional[str] = ..., relation: _Optional[str] = ..., ehcid: _Optional[str] = ...) -> None: ...
