from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CertificationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CERTIFICATION_STATUS_UNSPECIFIED: _ClassVar[CertificationStatus]
    CERTIFICATION_STATUS_PENDING: _ClassVar[CertificationStatus]
    CERTIFICATION_STATUS_CERTIFIED: _ClassVar[CertificationStatus]
    CERTIFICATION_STATUS_REVOKED: _ClassVar[CertificationStatus]

class TerminalRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TERMINAL_ROLE_UNSPECIFIED: _ClassVar[TerminalRole]
    TERMINAL_ROLE_TERMINAL: _ClassVar[TerminalRole]
    TERMINAL_ROLE_ADMIN: _ClassVar[TerminalRole]
CERTIFICATION_STATUS_UNSPECIFIED: CertificationStatus
CERTIFICATION_STATUS_PENDING: CertificationStatus
CERTIFICATION_STATUS_CERTIFIED: CertificationStatus
CERTIFICATION_STATUS_REVOKED: CertificationStatus
TERMINAL_ROLE_UNSPECIFIED: TerminalRole
TERMINAL_ROLE_TERMINAL: TerminalRole
TERMINAL_ROLE_ADMIN: TerminalRole

class Organisation(_message.Message):
    __slots__ = ("code", "name", "level", "area_code")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    AREA_CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    level: str
    area_code: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., level: _Optional[str] = ..., area_code: _Optional[str] = ...) -> None: ...

class GetOrganisationRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class ListOrganisationsRequest(_message.Message):
    __slots__ = ("area_code",)
    AREA_CODE_FIELD_NUMBER: _ClassVar[int]
    area_code: str
    def __init__(self, area_code: _Optional[str] = ...) -> None: ...

class ListOrganisationsResponse(_message.Message):
    __slots__ = ("organisations",)
    ORGANISATIONS_FIELD_NUMBER: _ClassVar[int]
    organisations: _containers.RepeatedCompositeFieldContainer[Organisation]
    def __init__(self, organisations: _Optional[_Iterable[_Union[Organisation, _Mapping]]] = ...) -> None: ...

class Terminal(_message.Message):
    __slots__ = ("terminal_id", "org_code", "terminal_type", "certification_status", "role", "description")
    TERMINAL_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_CODE_FIELD_NUMBER: _ClassVar[int]
    TERMINAL_TYPE_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATION_STATUS_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    terminal_id: str
    org_code: str
    terminal_type: str
    certification_status: CertificationStatus
    role: TerminalRole
    description: str
    def __init__(self, terminal_id: _Optional[str] = ..., org_code: _Optional[str] = ..., terminal_type: _Optional[str] = ..., certification_status: _Optional[_Union[CertificationStatus, str]] = ..., role: _Optional[_Union[TerminalRole, str]] = ..., description: _Optional[str] = ...) -> None: ...

class GetTerminalRequest(_message.Message):
    __slots__ = ("terminal_id",)
    TERMINAL_ID_FIELD_NUMBER: _ClassVar[int]
    terminal_id: str
    def __init__(self, terminal_id: _Optional[str] = ...) -> None: ...

class ListTerminalsRequest(_message.Message):
    __slots__ = ("org_code",)
    ORG_CODE_FIELD_NUMBER: _ClassVar[int]
    org_code: str
    def __init__(self, org_code: _Optional[str] = ...) -> None: ...

class ListTerminalsResponse(_message.Message):
    __slots__ = ("terminals",)
    TERMINALS_FIELD_NUMBER: _ClassVar[int]
    terminals: _containers.RepeatedCompositeFieldContainer[Terminal]
    def __init__(self, terminals: _Optional[_Iterable[_Union[Terminal, _Mapping]]] = ...) -> None: ...

class IssueCredentialRequest(_message.Message):
    __slots__ = ("terminal_id",)
    TERMINAL_ID_FIELD_NUMBER: _ClassVar[int]
    terminal_id: str
    def __init__(self, terminal_id: _Optional[str] = ...) -> None: ...

class Credential(_message.Message):
    __slots__ = ("terminal_id", "secret_hex", "created_at", "revoked")
    TERMINAL_ID_FIELD_NUMBER: _ClassVar[int]
    SECRET_HEX_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    terminal_id: str
    secret_hex: str
    created_at: str
    revoked: bool
    def __init__(self, terminal_id: _Optional[str] = ..., secret_hex: _Optional[str] = ..., created_at: _Optional[str] = ..., revoked: _Optional[bool] = ...) -> None: ...

class TrustLabKeyRequest(_message.Message):
    __slots__ = ("public_key_pem", "label")
    PUBLIC_KEY_PEM_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    public_key_pem: str
    label: str
    def __init__(self, public_key_pem: _Optional[str] = ..., label: _Optional[str] = ...) -> None: ...

class TrustLabKeyResponse(_message.Message):
    __slots__ = ("key_sm3",)
    KEY_SM3_FIELD_NUMBER: _ClassVar[int]
    key_sm3: str
    def __init__(self, key_sm3: _Optional[str] = ...) -> None: ...

class AddCertificateRequest(_message.Message):
    __slots__ = ("files", "terminal_ids")
    class FilesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: bytes
        def __init__(self, key: _Optional[str] = ..., value: _Optional[bytes] = ...) -> None: ...
    FILES_FIELD_NUMBER: _ClassVar[int]
    TERMINAL_IDS_FIELD_NUMBER: _ClassVar[int]
    files: _containers.ScalarMap[str, bytes]
    terminal_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, files: _Optional[_Mapping[str, bytes]] = ..., terminal_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class RevokeCertificateRequest(_message.Message):
    __slots__ = ("cert_id", "reason")
    CERT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    cert_id: str
    reason: str
    def __init__(self, cert_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ListCertificatesRequest(_message.Message):
    __slots__ = ("terminal_id",)
    TERMINAL_ID_FIELD_NUMBER: _ClassVar[int]
    terminal_id: str
    def __init__(self, terminal_id: _Optional[str] = ...) -> None: ...

class CertificateRecord(_message.Message):
    __slots__ = ("cert_id", "terminal_id", "role", "product", "version", "profile", "verdict", "registered_at", "revoked_at", "revoke_reason")
    CERT_ID_FIELD_NUMBER: _ClassVar[int]
    TERMINAL_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_AT_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    REVOKE_REASON_FIELD_NUMBER: _ClassVar[int]
    cert_id: str
    terminal_id: str
    role: str
    product: str
    version: str
    profile: str
    verdict: str
    registered_at: str
    revoked_at: str
    revoke_reason: str
    def __init__(self, cert_id: _Optional[str] = ..., terminal_id: _Optional[str] = ..., role: _Optional[str] = ..., product: _Optional[str] = ..., version: _Optional[str] = ..., profile: _Optional[str] = ..., verdict: _Optional[str] = ..., registered_at: _Optional[str] = ..., revoked_at: _Optional[str] = ..., revoke_reason: _Optional[str] = ...) -> None: ...

class ListCertificatesResponse(_message.Message):
    __slots__ = ("certificates",)
    CERTIFICATES_FIELD_NUMBER: _ClassVar[int]
    certificates: _containers.RepeatedCompositeFieldContainer[CertificateRecord]
    def __init__(self, certificates: _Optional[_Iterable[_Union[CertificateRecord, _Mapping]]] = ...) -> None: ...
