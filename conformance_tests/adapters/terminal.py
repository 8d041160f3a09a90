"""Adapter of the ``terminal`` role: a terminal driven through the JSON-lines driver protocol.

The kit plays both sides around the terminal: the *lower tester* (QR images, emulated cards, ID
and social-security card reader records) and the *upper tester* (a reference node the terminal
is configured to call, whose records the suite checks). The terminal's vendor supplies a driver
program (``driver:CMD``) that translates protocol requests into actions on the terminal and
reports what the terminal read and sent (docs/certification.md, "Terminal driver protocol").
``reference`` runs the kit's own terminal driver.
"""

from __future__ import annotations

import base64
import itertools
import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from ehc.errors import EhcError
from ehc.gm import sm3

from ..errors import ADAPTER_UNKNOWN, DRIVER_PROTOCOL
from .card import TEST_PERSON
from .node import start_reference

REFERENCE_DRIVER = [sys.executable, "-m", "conformance_tests.drivers.reference_terminal"]


class DriverTerminal:
    def __init__(self, run: Any, command: list[str]) -> None:
        self.log = run.holder
        self.run = run
        self.command = command
        self.node = start_reference(run)  # the upper tester
        self._tmp = tempfile.TemporaryDirectory(prefix="ehc-certify-terminal-")
        self._ids = itertools.count(1)
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
        )
        self.hello = self.request("hello")
        from card_emulators.personalise import CardKeys, new_psam
        from ehc.gm import SM2PrivateKey

        self.keys = CardKeys.test_only("conformance")
        self.issuer = SM2PrivateKey.from_int(0x1234567890ABCDEF)  # TEST-ONLY issuer key
        self.psam_image = Path(self._tmp.name) / "psam.json"
        new_psam(self.keys).save(self.psam_image)
        creds = self.node.terminal.credentials
        self.request(
            "configure",
            node=self.node.target,
            credentials=creds.to_dict(),
            context={"department": "5500"},
            issuer_public_key_hex=self.issuer.public_key.hex(),
            psam_pin="123456",
        )

    def info(self) -> dict[str, Any]:
        return {
            "adapter": "terminal:driver",
            "command": " ".join(self.command[-2:]),
            "driver": json.dumps(self.hello.get("driver", {}), ensure_ascii=False),
        }

    # ------------------------------------------------------------------ protocol
    def request(self, op: str, **fields: Any) -> dict[str, Any]:
        if self.proc.poll() is not None:
            raise EhcError(DRIVER_PROTOCOL, f"driver exited with {self.proc.returncode}")
        message = {"id": next(self._ids), "op": op, **fields}
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(message, ensure_ascii=False) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise EhcError(DRIVER_PROTOCOL, f"driver closed stdout during {op}")
        try:
            answer = json.loads(line)
        except ValueError:
            raise EhcError(DRIVER_PROTOCOL, f"driver answered {op} with non-JSON") from None
        if answer.get("id") != message["id"]:
            raise EhcError(DRIVER_PROTOCOL, f"answer id {answer.get('id')} for request {message['id']}")
        logged = {
            k: (f"<{len(v)} chars>" if k.endswith("_b64") else v)
            for k, v in fields.items()
            if k != "credentials"
        }
        self.log.call(f"driver.{op}", logged, answer)
        return answer

    # ------------------------------------------------------------------ lower tester
    def present_qr_png(self, png: bytes, description: str, scene: str | None = None) -> dict[str, Any]:
        self.log.image(description, sm3(png).hex(), len(png))
        return self.request("present_qr", image_png_b64=base64.b64encode(png).decode("ascii"), scene=scene)

    def present_qr_text(self, text: str, scene: str | None = None, **render: Any) -> dict[str, Any]:
        from qr_codec.image import render_png

        png = render_png(text, **render)
        return self.present_qr_png(png, f"QR {render or 'default'} of {text[:70]}", scene)

    def make_card(self, person: Any, tamper_signature: bool = False) -> Path:
        from card_emulators.personalise import personalise_user_card

        card = personalise_user_card(person, self.keys, self.issuer)
        if tamper_signature:
            ef = card.record_file(0xDDF1, 0xEF05)
            del ef  # the certificate is item 5; flip one byte of it through the public item API
            from card_emulators.personalities.health_layout import RECORD_FILES

            item = next(i for i in RECORD_FILES[(0xDDF1, 0xEF05)] if i.tag == 5)
            raw = bytearray(card.item_raw(0xDDF1, 0xEF05, 5))
            raw[10] ^= 0xFF
            card.put_item(0xDDF1, 0xEF05, item, bytes(raw))
        path = Path(self._tmp.name) / f"card-{next(self._ids)}.json"
        card.save(path)
        return path

    def insert_card(
        self, card_image: Path, scene: str | None = None, faults: list | None = None
    ) -> dict[str, Any]:
        return self.request(
            "insert_card",
            card_image=str(card_image),
            psam_image=str(self.psam_image),
            scene=scene,
            faults=faults or [],
        )

    def last_exchange(self) -> dict[str, Any]:
        return self.request("last_exchange")

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                self.request("bye")
                self.proc.wait(5)
        except Exception:  # noqa: BLE001 - a broken driver is killed below
            pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.node.close()
        self._tmp.cleanup()


def person_for(id_number: str) -> Any:
    from ehc.spec.model import Person

    fields = {
        **TEST_PERSON,
        "person_id": f"T-{id_number[-6:]}",
        "area_code": id_number[:6],
        "sex": "1" if int(id_number[16]) % 2 else "2",  # GB 11643: odd sequence = male
        "birth_date": f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}",
    }
    return Person(**fields, id_number=id_number)


def make(spec: str, run: Any) -> Any:
    if spec == "reference":
        return DriverTerminal(run, REFERENCE_DRIVER)
    if spec.startswith("mutant:"):
        from ..mutants.terminal import make_mutant

        return make_mutant(spec[len("mutant:") :], run)
    command = shlex.split(spec.removeprefix("driver:"))
    if not command:
        raise EhcError(
            ADAPTER_UNKNOWN, f"terminal adapter {spec!r}: use reference, a driver command or mutant:NAME"
        )
    return DriverTerminal(run, command)
