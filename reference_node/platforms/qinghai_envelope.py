"""The Qinghai QWB 002-2017 V1.10 envelope: ``RHCMessageServer(action, message) -> string``.

Pure functions shared by the node's SOAP front door (``qinghai.py``) and every client of the kit
(``qinghai_client.py``, the tests): the ``action`` fields, the password and field-encryption
derivations, the result codes, and XML in/out. XML is parsed with ``defusedxml`` (no DTD, no
entity, no external reference: a bomb or an XXE is a malformed message) and built with lxml — never
by string formatting. Facts and choices: docs/platforms.md "Qinghai QWB 002-2017".
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import padding
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as _safe_fromstring
from lxml import etree

from ehc.gm import sm3, sm4_ecb_decrypt, sm4_ecb_encrypt

#: the SOAP operation and where the node serves it (WSDL at ``PATH?wsdl``)
PATH = "/qinghai/RHCMessageServer"
NAMESPACE = "http://ehc-kit.local/qinghai/rhc"
SERVICE_NAME = "RHCMessageServer"

#: action fields: name -> longest value (public lengths; msgCreateTime is 19 = yyyy-MM-dd HH:mm:ss)
ACTION_FIELDS: dict[str, int] = {
    "msgGuid": 32,
    "msgType": 1,
    "bussinessCode": 9,
    "msgCreateTime": 19,
    "orgId": 32,
    "appCode": 6,
    "userName": 32,
    "userPwd": 32,
    "stdVerCode": 3,
    "encryption": 1,
}
BUSINESS_CODES = tuple(f"RHC_E{n:04d}" for n in range(1, 14))
#: fields encrypted when ``encryption`` is 1, in both directions
SENSITIVE_FIELDS = frozenset({"name", "id_number", "id_card", "cellphone", "address", "guardian_id_number"})

#: result code of the envelope (``resultCode``). 1005 is the platform's (bad credentials); the
#: other 10xx are the kit's choice in the same family (docs/assumptions.md "Qinghai").
SUCCESS = "0"
ENVELOPE_CODES: dict[str, str] = {
    "MALFORMED": "1001",  # action/message not well-formed XML, DTD/entity present, wrong root
    "FIELD_MISSING": "1002",
    "FIELD_TOO_LONG": "1003",
    "FIELD_BAD_FORMAT": "1004",
    "BAD_CREDENTIALS": "1005",  # platform: 认证信息错误
    "TIME_OUT_OF_WINDOW": "1006",
    "GUID_REPLAYED": "1007",
    "ORG_XOR_APP": "1008",
    "DECRYPT_FAILED": "1009",
    "FORBIDDEN": "1010",
    "UNKNOWN_BUSINESS": "1011",
    "NOT_CERTIFIED": "1012",  # 检测备案: no registered PASS certification report (NODE-CERT-001)
    "UNAVAILABLE": "1098",
    "INTERNAL": "1099",
}
#: business reasons: resultCode = business number × 1000 + reason (E0001: + 100, so 1101..1199
#: never meet the envelope's 10xx). 6002 and 6005 are the platform's own examples.
REASONS: dict[str, int] = {
    "FIELD_MISSING": 1,
    "ID_LOWERCASE_X": 2,  # 身份证号中的字母需大写
    "FIELD_TOO_LONG": 3,
    "FIELD_BAD_FORMAT": 4,
    "IMAGE_TOO_LARGE": 5,  # 6005: image over 400 kB (E0001: over 200 kB)
    "DOCUMENT_INVALID": 6,
    "CARD_UNKNOWN": 7,
    "CARD_NOT_USABLE": 8,  # suspended, cancelled, superseded
    "CODE_INVALID": 9,  # expired, used up, not issued, malformed
    "CONFLICT": 10,
    "PERSON_UNKNOWN": 11,
    "FORBIDDEN": 12,
    "REFUSED": 99,
}


def business_number(code: str) -> int:
    """``RHC_E0006`` -> 6."""
    return int(code[5:])


def result_code(business: str, reason: str) -> str:
    """The 4/5-digit ``resultCode`` of a business refusal (``business`` = RHC_E00xx)."""
    n = business_number(business)
    return str(n * 1000 + REASONS[reason] + (100 if n == 1 else 0))


def user_pwd(secret: bytes) -> str:
    """``userPwd`` of a terminal: first 32 lower-case hex of SM3(secret || "qinghai-userPwd")."""
    return sm3(bytes(secret) + b"qinghai-userPwd").hex()[:32]


def field_key(secret: bytes) -> bytes:
    """SM4 key of the sensitive fields: the first 16 bytes of SM3(secret || "qinghai-sm4")."""
    return sm3(bytes(secret) + b"qinghai-sm4")[:16]


def encrypt_field(key: bytes, text: str) -> str:
    """Base64(SM4-ECB(key, PKCS#7(UTF-8 text)))."""
    padder = padding.PKCS7(128).padder()
    data = padder.update(text.encode("utf-8")) + padder.finalize()
    return base64.b64encode(sm4_ecb_encrypt(key, data)).decode("ascii")


def decrypt_field(key: bytes, value: str) -> str:
    """Inverse of :func:`encrypt_field`; ValueError when the value does not decrypt."""
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError("not base64") from None
    if not raw or len(raw) % 16:
        raise ValueError("not whole SM4 blocks")
    unpadder = padding.PKCS7(128).unpadder()
    try:
        data = unpadder.update(sm4_ecb_decrypt(key, raw)) + unpadder.finalize()
        return data.decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise ValueError("bad padding or not UTF-8") from None


class XmlRefused(ValueError):
    """Not a well-formed, DTD-free XML document with the expected flat shape."""


def parse_flat(text: str, root: str) -> dict[str, str]:
    """``<root><k>v</k>…</root>`` -> {k: v}. Refuses DTDs, entities, nesting, attributes-as-data,
    duplicate fields and any other root."""
    if not isinstance(text, str) or not text.strip():
        raise XmlRefused(f"{root} is empty")
    try:
        element = _safe_fromstring(text.encode("utf-8"), forbid_dtd=True)
    except DefusedXmlException:
        raise XmlRefused(f"{root} holds a DTD or entity (refused)") from None
    except Exception:  # noqa: BLE001 - ParseError and friends: any unparsable text
        raise XmlRefused(f"{root} is not well-formed XML") from None
    if element.tag != root:
        raise XmlRefused(f"root element must be <{root}>")
    out: dict[str, str] = {}
    for child in element:
        if not isinstance(child.tag, str) or len(child):
            raise XmlRefused(f"{root} must hold flat fields only")
        if child.tag in out:
            raise XmlRefused(f"{root} field {child.tag[:40]!r} appears twice")
        out[child.tag] = (child.text or "").strip()
    return out


def build_flat(root: str, fields: Mapping[str, Any]) -> str:
    """``{k: v}`` -> ``<root><k>v</k>…</root>`` (built with lxml, text escaped by it). A dict value
    becomes a nested element of its own fields; a list value ``<k><item>…</item></k>`` of flat
    dicts (family members)."""
    return etree.tostring(_element(root, fields), encoding="unicode")


def _element(tag: str, fields: Mapping[str, Any]) -> Any:
    element = etree.Element(tag)
    for key, value in fields.items():
        if isinstance(value, Mapping):
            element.append(_element(key, value))
        elif isinstance(value, list):
            child = etree.SubElement(element, key)
            for item in value:
                child.append(_element("item", item))
        else:
            etree.SubElement(element, key).text = "" if value is None else str(value)
    return element


def check_document(raw: bytes) -> None:
    """A whole SOAP request: well-formed, no DTD, no entity (XmlRefused otherwise)."""
    try:
        _safe_fromstring(raw, forbid_dtd=True)
    except Exception:  # noqa: BLE001 - DefusedXmlException, ParseError, …
        raise XmlRefused("the SOAP request is not well-formed XML or holds a DTD / entity") from None


def soap_fault(text: str) -> bytes:
    """A SOAP 1.1 ``Client`` fault (built with lxml)."""
    env = "http://schemas.xmlsoap.org/soap/envelope/"
    envelope = etree.Element(f"{{{env}}}Envelope", nsmap={"soap": env})
    fault = etree.SubElement(etree.SubElement(envelope, f"{{{env}}}Body"), f"{{{env}}}Fault")
    etree.SubElement(fault, "faultcode").text = "soap:Client"
    etree.SubElement(fault, "faultstring").text = text
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def parse_response(text: str) -> dict[str, Any]:
    """The answer ``<response><result/><desc/><resultCode/><data>…</data></response>`` as a dict
    (``data`` flat, lists of ``item`` as lists of dicts) — for clients."""
    try:
        element = _safe_fromstring(text.encode("utf-8"), forbid_dtd=True)
    except Exception:  # noqa: BLE001
        raise XmlRefused("response is not well-formed XML") from None
    out: dict[str, Any] = {}
    for child in element:
        if child.tag == "data":
            data: dict[str, Any] = {}
            for field in child:
                if len(field):
                    data[field.tag] = [{x.tag: x.text or "" for x in item} for item in field]
                else:
                    data[field.tag] = field.text or ""
            out["data"] = data
        else:
            out[child.tag] = child.text or ""
    return out


def action_xml(
    *,
    business: str,
    msg_guid: str,
    create_time: str,
    user_name: str,
    password: str,
    org_id: str = "",
    app_code: str = "",
    encryption: bool = False,
) -> str:
    """An ``action`` document; exactly one of ``org_id`` / ``app_code`` should be given."""
    fields = {
        "msgGuid": msg_guid,
        "msgType": "1",
        "bussinessCode": business,
        "msgCreateTime": create_time,
        "userName": user_name,
        "userPwd": password,
        "stdVerCode": "1.0",
        "encryption": "1" if encryption else "0",
    }
    if org_id:
        fields["orgId"] = org_id
    if app_code:
        fields["appCode"] = app_code
    return build_flat("action", fields)


__all__ = [
    "PATH",
    "NAMESPACE",
    "SERVICE_NAME",
    "ACTION_FIELDS",
    "BUSINESS_CODES",
    "SENSITIVE_FIELDS",
    "SUCCESS",
    "ENVELOPE_CODES",
    "REASONS",
    "XmlRefused",
    "business_number",
    "result_code",
    "user_pwd",
    "field_key",
    "encrypt_field",
    "decrypt_field",
    "parse_flat",
    "build_flat",
    "parse_response",
    "check_document",
    "soap_fault",
    "action_xml",
]
