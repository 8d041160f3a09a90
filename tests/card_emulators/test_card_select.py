"""SELECT: by FID with a real COS's current-DF rules, by path, by parent; FCI and GET RESPONSE."""

from __future__ import annotations

from ce_helpers import hx, run

from card_emulators.engine import SW


def test_select_mf_and_ddf1_answer_61xx_then_fci(card):
    data, status = run(card, "00A40000023F00")
    assert status == 0x6106 and data == b""
    data, status = run(card, "00A4000002DDF1")
    assert status == 0x6106
    data, status = run(card, "00C0000006")
    assert (data, status) == (hx("6F048302DDF1"), SW.OK)


def test_select_with_le_returns_fci_at_once(card):
    assert run(card, "00A4000002DDF100") == (hx("6F048302DDF1"), SW.OK)


def test_select_p2_0c_returns_no_fci(card):
    assert run(card, "00A4000C02DDF1") == (b"", SW.OK)


def test_get_response_le_rules(card):
    run(card, "00A4000002DDF1")
    assert run(card, "00C0000010")[1] == 0x6C06  # more than available: exact length
    assert run(card, "00C0000002") == (hx("6F04"), 0x6104)  # part, then 61 rest
    assert run(card, "00C0000004") == (hx("8302DDF1"), SW.OK)
    assert run(card, "00C0000004")[1] == SW.CONDITIONS  # nothing pending any more


def test_pending_response_is_dropped_by_any_other_command(card):
    run(card, "00A4000002DDF1")
    run(card, "0084000008")
    assert run(card, "00C0000006")[1] == SW.CONDITIONS


def test_ef_under_current_df_only(card):
    assert run(card, "00A4000002EF05")[1] == SW.FILE_NOT_FOUND  # EF05 is under DDF1, not MF
    run(card, "00A4000002DDF1")
    assert run(card, "00A4000002EF05") == (b"", SW.OK)
    assert card.current_ef.path_text == "3F00/DDF1/EF05"


def test_child_sibling_parent_and_mf(card):
    run(card, "00A4000002DDF1")
    run(card, "00A4000002DF01")
    assert card.current_df.path_text == "3F00/DDF1/DF01"
    run(card, "00A4000002DF02")  # sibling DF
    assert card.current_df.path_text == "3F00/DDF1/DF02"
    run(card, "00A4000002DDF1")  # parent
    assert card.current_df.path_text == "3F00/DDF1"
    run(card, "00A4030000")  # P1=03 parent
    assert card.current_df is card.mf
    assert run(card, "00A4000002DF02")[1] == SW.FILE_NOT_FOUND  # a grandchild is not selectable by FID
    run(card, "00A4000002DDF1")
    run(card, "00A4000002DF02")
    assert run(card, "00A4000002DF02")[1] == 0x6106  # the current DF itself
    run(card, "00A40000023F00")
    assert card.current_df is card.mf


def test_select_by_path_from_mf_and_current(card):
    assert run(card, "00A4080004DDF1EF06") == (b"", SW.OK)
    assert card.current_ef.path_text == "3F00/DDF1/EF06"
    assert card.current_df.path_text == "3F00/DDF1"
    assert run(card, "00A4080006DDF1DF03EE02")[1] == SW.OK
    run(card, "00A40000023F00")
    run(card, "00A4000002DDF1")
    assert run(card, "00A4090004DF02EF07")[1] == SW.OK
    assert card.current_ef.path_text == "3F00/DDF1/DF02/EF07"
    assert run(card, "00A4080004DDF1EF99")[1] == SW.FILE_NOT_FOUND
    assert run(card, "00A4080003DDF1EF")[1] == SW.WRONG_LENGTH


def test_select_child_df_and_ef_by_type(card):
    run(card, "00A4000002DDF1")
    assert run(card, "00A4010002EF05")[1] == SW.FILE_NOT_FOUND  # P1=01 wants a DF
    assert run(card, "00A4020002EF05")[1] == SW.OK
    assert run(card, "00A4020002DF01")[1] == SW.FILE_NOT_FOUND  # P1=02 wants an EF


def test_select_errors(card):
    assert run(card, "00A4000002ABCD")[1] == SW.FILE_NOT_FOUND
    assert run(card, "00A4000102DDF1")[1] == SW.WRONG_P1P2
    assert run(card, "00A4070002DDF1")[1] == SW.WRONG_P1P2
    assert run(card, "00A4000001DD")[1] == SW.WRONG_LENGTH
    assert run(card, "00A4040000")[1] == SW.WRONG_LENGTH
    assert run(card, "00A4040005A000000001")[1] == SW.FILE_NOT_FOUND


def test_reset_and_power_cycle_return_to_mf(card):
    run(card, "00A4080004DDF1EF05")
    card.reset()
    assert card.current_df is card.mf and card.current_ef is None
    assert run(card, "00B2010400")[1] == SW.NO_CURRENT_EF
