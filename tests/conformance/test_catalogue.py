"""The requirements catalogue: shipped content and the loader's validation."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conformance_tests.catalogue import REQUIREMENTS_DIR, load_catalogue
from ehc.errors import EhcError


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def test_shipped_catalogue_has_at_least_100_requirements(catalogue):
    assert len(catalogue) >= 100


@pytest.mark.parametrize(
    "prefix",
    [
        "ID-",
        "QR-TEXT-",
        "QR-DYN-",
        "QR-EHCID-",
        "CARD-FILE-",
        "CARD-ITEM-",
        "CARD-APDU-",
        "CARD-AUTH-",
        "PSAM-",
        "NODE-REG-",
        "NODE-VERIFY-",
        "NODE-TEMP-",
        "NODE-EMPI-",
        "NODE-USAGE-",
        "TERM-",
        "HIS-",
        "SUP-",
        "SEC-",
    ],
)
def test_every_required_area_is_covered(catalogue, prefix):
    assert any(r.id.startswith(prefix) for r in catalogue), f"no requirement in area {prefix}"


def test_full_process_steps_each_have_a_his_requirement(catalogue):
    texts = " ".join(r.text for r in catalogue if "his" in r.roles)
    for step in ("挂号", "排队", "就诊", "收费", "检验", "检查", "取药", "住院", "体检"):
        assert step in texts, f"no HIS requirement for {step}"


def test_main_index_resolution_from_every_medium(catalogue):
    media = {m for r in catalogue if r.id.startswith("NODE-EMPI-") for m in r.media}
    assert {"id-card", "ssc", "resident-card", "bank-card", "citizen-card", "wallet-code"} <= media


def test_sources_cite_the_digest_or_existing_seeds(catalogue):
    for r in catalogue:
        for seed in re.findall(r"seed (\d{3})", r.source):
            assert seed in {"000", "001", "002", "003", "004"}, f"{r.id} cites unknown seed {seed}"
        assert re.search(r"DIGEST|seed \d{3}|ISO|GB|WS/T|kit rule|DESIGN", r.source), f"{r.id}: {r.source}"


def test_confirmed_and_assumed_are_both_used(catalogue):
    statuses = {r.status for r in catalogue}
    assert statuses == {"confirmed", "assumed"}


def _copy_catalogue(tmp_path: Path) -> Path:
    target = tmp_path / "requirements"
    shutil.copytree(REQUIREMENTS_DIR, target)
    return target


def test_duplicate_ids_are_rejected(tmp_path):
    d = _copy_catalogue(tmp_path)
    (d / "extra.toml").write_text(
        '[[requirement]]\nid = "QR-TEXT-001"\ntext = "dup"\nsource = "DIGEST §1.3"\nlevel = "must"\n'
        'roles = ["codec"]\nprofiles = ["national"]\nstatus = "confirmed"\n',
        encoding="utf-8",
    )
    with pytest.raises(EhcError) as err:
        load_catalogue(d)
    assert err.value.code.name == "CATALOGUE_INVALID" and "duplicate id QR-TEXT-001" in err.value.message


def test_every_problem_is_reported_at_once(tmp_path):
    d = _copy_catalogue(tmp_path)
    (d / "extra.toml").write_text(
        '[[requirement]]\nid = "ZZ-001"\ntext = "x"\nsource = ""\nlevel = "may"\n'
        'roles = ["robot"]\nprofiles = ["mars"]\nstatus = "confirmed"\nout_of_scope = "no"\n',
        encoding="utf-8",
    )
    with pytest.raises(EhcError) as err:
        load_catalogue(d)
    message = err.value.message
    for fragment in (
        "'source' is required",
        "level must be",
        "unknown role 'robot'",
        "unknown profile 'mars'",
        "out_of_scope must give a reason",
    ):
        assert fragment in message


def test_malformed_id_is_rejected(tmp_path):
    d = _copy_catalogue(tmp_path)
    (d / "extra.toml").write_text(
        '[[requirement]]\nid = "qr-text-1"\ntext = "x"\nsource = "DIGEST"\nlevel = "must"\n'
        'roles = ["codec"]\nprofiles = ["national"]\nstatus = "confirmed"\n',
        encoding="utf-8",
    )
    with pytest.raises(EhcError, match="does not match AREA-NNN"):
        load_catalogue(d)
