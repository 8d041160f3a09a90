"""The error registry: stable names and numbers, clashes refused, codes serialise cleanly."""

import pytest

from ehc import errors


@pytest.fixture(autouse=True)
def isolated_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Codes defined here must not leak into the kit's registry (docs/errors.md is compared to it)."""
    monkeypatch.setattr(errors, "_REGISTRY", dict(errors._REGISTRY))
    monkeypatch.setattr(errors, "_BY_NUMBER", dict(errors._BY_NUMBER))


def test_define_is_idempotent_for_identical_codes() -> None:
    a = errors.define("TEST_SAME", 1991, "test", "same")
    assert errors.define("TEST_SAME", 1991, "test", "same") is not None
    assert errors.lookup("TEST_SAME") == a == errors.lookup(1991) == errors.lookup("1991")


def test_redefining_a_name_with_other_values_is_refused() -> None:
    errors.define("TEST_NAME_CLASH", 1992, "test", "one")
    with pytest.raises(RuntimeError, match="redefined"):
        errors.define("TEST_NAME_CLASH", 1993, "test", "one")


def test_reusing_a_number_is_refused() -> None:
    errors.define("TEST_NUM_A", 1994, "test", "a")
    with pytest.raises(RuntimeError, match="1994"):
        errors.define("TEST_NUM_B", 1994, "test", "b")


def test_error_to_dict_has_code_number_message_and_string_detail() -> None:
    err = errors.EhcError(errors.ID_BAD_CHECKSUM, number_masked="110105********002X", position=17)
    d = err.to_dict()
    assert d["code"] == "ID_BAD_CHECKSUM" and d["number"] == 1007
    assert d["message"] == errors.ID_BAD_CHECKSUM.meaning
    assert d["detail"] == {"number_masked": "110105********002X", "position": 17}
    assert str(err).startswith("ID_BAD_CHECKSUM:")


def test_all_codes_sorted_and_numbers_in_package_ranges() -> None:
    codes = errors.all_codes()
    assert [c.number for c in codes] == sorted(c.number for c in codes)
    for c in codes:
        assert 1000 <= c.number < 8000, c
        assert c.name.isupper() and " " not in c.name


def test_ehc_errors_explains_one_code_by_number_or_name():
    from click.testing import CliRunner

    from ehc.id_cli import errors_command

    runner = CliRunner()
    by_number = runner.invoke(errors_command, ["2002"])
    assert by_number.exit_code == 0 and by_number.output.startswith("2002 QR_BAD_LENGTH"), by_number.output
    by_name = runner.invoke(errors_command, ["node_card_suspended", "--json"])
    assert by_name.exit_code == 0 and '"number": 4302' in by_name.output
    ambiguous = runner.invoke(errors_command, ["QR"])
    assert ambiguous.exit_code == 2 and "give a number or a full name" in ambiguous.output
    assert runner.invoke(errors_command, ["99999"]).exit_code == 2
