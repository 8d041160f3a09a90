"""A client of the Qinghai QWB 002-2017 SOAP envelope (zeep), as a hospital's system calls it.

It reads the WSDL the node serves (``<base>/qinghai/RHCMessageServer?wsdl``), builds the ``action``
XML (msgGuid, msgCreateTime in UTC+8, userName/userPwd from the terminal's secret), encrypts the
sensitive fields when asked, and parses (and decrypts) the ``<response>``. Used by the kit's tests.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from .qinghai_envelope import (
    PATH,
    SENSITIVE_FIELDS,
    action_xml,
    build_flat,
    decrypt_field,
    encrypt_field,
    field_key,
    parse_response,
    user_pwd,
)

BEIJING = dt.timezone(dt.timedelta(hours=8))


class QinghaiClient:
    def __init__(
        self,
        base_url: str,
        user_name: str,
        secret: bytes,
        org_id: str,
        *,
        encryption: bool = False,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        import zeep
        from zeep.transports import Transport

        self.wsdl = base_url.rstrip("/") + PATH + "?wsdl"
        self.soap = zeep.Client(self.wsdl, transport=Transport(timeout=timeout, operation_timeout=timeout))
        self.user_name = user_name
        self.password = user_pwd(secret)
        self.key = field_key(secret)
        self.org_id = org_id
        self.encryption = encryption
        self.clock = clock

    def create_time(self) -> str:
        return dt.datetime.fromtimestamp(self.clock(), BEIJING).strftime("%Y-%m-%d %H:%M:%S")

    def action(self, business: str, *, msg_guid: str | None = None, **overrides: Any) -> str:
        """A fresh ``action`` document (keyword overrides for tests that alter one field)."""
        args: dict[str, Any] = {
            "business": business,
            "msg_guid": msg_guid or uuid.uuid4().hex,
            "create_time": self.create_time(),
            "user_name": self.user_name,
            "password": self.password,
            "org_id": self.org_id,
            "encryption": self.encryption,
        }
        args.update(overrides)
        return action_xml(**args)

    def message(self, fields: Mapping[str, str], *, encryption: bool | None = None) -> str:
        encrypt = self.encryption if encryption is None else encryption
        return build_flat(
            "message",
            {
                k: encrypt_field(self.key, v) if encrypt and k in SENSITIVE_FIELDS and v else v
                for k, v in fields.items()
            },
        )

    def raw(self, action: str, message: str) -> str:
        """One SOAP call with the two strings as given; the answer string."""
        return self.soap.service.RHCMessageServer(action, message)

    def call(
        self, business: str, fields: Mapping[str, str], *, msg_guid: str | None = None
    ) -> dict[str, Any]:
        """``{"result", "desc", "resultCode", "data"}``; encrypted answer fields decrypted."""
        answer = parse_response(self.raw(self.action(business, msg_guid=msg_guid), self.message(fields)))
        data = answer.get("data")
        if self.encryption and isinstance(data, dict):
            answer["encrypted_data"] = dict(data)
            answer["data"] = {
                k: decrypt_field(self.key, v) if k in SENSITIVE_FIELDS and isinstance(v, str) and v else v
                for k, v in data.items()
            }
        return answer


__all__ = ["QinghaiClient"]
