"""`ehc card scan / wedge-check / simulate / parse`: the non-chip readers from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from card_emulators.cli import card as card_cli
from fixtures.population import PopulationConfig, generate
from qr_codec import image as qr_image

CODE = "0123456789ABCDEF" * 4 + ":1"


def _person_file(tmp_path: Path) -> tuple[Path, dict]:
    person = next(p for p in generate(PopulationConfig(count=10, seed=3)) if p.id_type == "01")
    path = tmp_path / "p.json"
    path.write_text(person.to_json(), encoding="utf-8")
    return path, json.loads(person.to_json())


def test_scan_prints_the_read_and_types_like_a_wedge(tmp_path: Path) -> None:
    image = tmp_path / "code.png"
    image.write_bytes(qr_image.render_png(CODE))
    runner = CliRunner()
    out = runner.invoke(card_cli, ["scan", str(image)])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == {
        "medium": "11",
        "identifier": CODE,
        "kind": "static",
        "source": "camera",
        "codes_in_image": 1,
    }
    typed = runner.invoke(card_cli, ["scan", str(image), "--wedge", "--enter", "CRLF", "--caps-lock"])
    assert typed.stdout_bytes == (CODE.lower() + "\r\n").encode()
    checked = runner.invoke(card_cli, ["wedge-check", "--expected-enter", "CR"], input=typed.stdout_bytes)
    assert checked.exit_code == 1
    assert json.loads(checked.output.splitlines()[0])["faults"] == [
        "WEDGE_CAPS_INVERTED",
        "WEDGE_WRONG_TERMINATOR",
    ]
    clean = runner.invoke(card_cli, ["wedge-check", "--expected-enter", "CR"], input=CODE + "\r")
    assert clean.exit_code == 0 and json.loads(clean.output)["faults"] == []


def test_scan_of_a_blank_image_fails_with_code(tmp_path: Path) -> None:
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("L", (100, 100), 255).save(blank)
    out = CliRunner().invoke(card_cli, ["scan", str(blank)])
    assert out.exit_code == 1 and "QR_NOT_FOUND" in out.output


def test_simulate_then_parse_each_reader_kind(tmp_path: Path) -> None:
    person_file, person = _person_file(tmp_path)
    runner = CliRunner()
    for kind, medium in (("idcard", "20"), ("ssc", "30"), ("idcard-block", "20")):
        target = tmp_path / f"{kind}.out"
        made = runner.invoke(card_cli, ["simulate", kind, "--person", str(person_file), "-o", str(target)])
        assert made.exit_code == 0, made.output
        parsed = runner.invoke(card_cli, ["parse", kind, str(target)])
        assert parsed.exit_code == 0, parsed.output
        result = json.loads(parsed.output)
        assert result["medium"] == medium and result["identifier"] == person["id_number"]
    assert len((tmp_path / "idcard-block.out").read_bytes()) == 256
    line = runner.invoke(card_cli, ["simulate", "ssc", "--person", str(person_file)]).output
    assert line.count("|") == 11 and line.endswith("|\n")


def test_parse_rejects_malformed_outputs(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("a|b|c\n")
    out = CliRunner().invoke(card_cli, ["parse", "ssc", str(bad)])
    assert out.exit_code == 1 and "SSC_BAD_RECORD" in out.output
    block = tmp_path / "bad.bin"
    block.write_bytes(b"\xff" * 255)
    out = CliRunner().invoke(card_cli, ["parse", "idcard-block", str(block)])
    assert out.exit_code == 1 and "IDCARD_BAD_RECORD" in out.output


def test_read_saves_the_photo(tmp_path: Path) -> None:
    from card_emulators.personalise import CardKeys, new_psam, personalise_user_card
    from ehc.gm import SM2PrivateKey
    from ehc.spec.model import Person

    person_file, person = _person_file(tmp_path)
    keys, issuer = CardKeys.test_only(b"cli-photo"), SM2PrivateKey.generate()
    photo = bytes(range(256)) * 3
    card_path = tmp_path / "c.json"
    personalise_user_card(Person.from_dict(person), keys, issuer, photo=photo).save(card_path)
    new_psam(keys).save(tmp_path / "c.psam.json")
    out = CliRunner().invoke(
        card_cli, ["read", "--emulated", str(card_path), "--photo", str(tmp_path / "photo.bin")]
    )
    assert out.exit_code == 0, out.output
    assert (tmp_path / "photo.bin").read_bytes() == photo
    result = json.loads(out.output)
    assert result["photo_bytes"] == len(photo) and result["signature_valid"] is None  # no key given
