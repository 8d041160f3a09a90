"""Card images are user input: whatever JSON a file holds, load_card answers a card or
EhcError(CARD_BAD_IMAGE) — never OverflowError / TypeError / KeyError / a huge allocation (REL-F4)."""

from __future__ import annotations

import copy
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from card_emulators.engine.image_check import DEFAULT_LIMITS, ImageLimits, check_image
from card_emulators.personalise import load_card
from ehc.errors import EhcError

JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.sampled_from([0, -1, 255, 256, 0x7FFF, 0x8000, 2**31, 2**63, 10**30])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([1e308, -1e308, 3.0, 0.5])
    | st.text(max_size=40)
    | st.sampled_from(["", "00", "ZZ", "3F00", "free", "auth:ZZ", "auth:123456789", "FF" * 40])
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def image(_template_card, _template_psam, tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("img") / "card.json"
    _template_card.save(path)
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def psam_image(_template_psam, tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("img") / "psam.json"
    _template_psam.save(path)
    return json.loads(path.read_text(encoding="utf-8"))


def _load(tmp_path, document: object, name: str = "card.json"):
    path = tmp_path / name
    # allow_nan: Python's json writes and reads NaN / Infinity, so a user's file can hold them
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return load_card(path)


def _mutate(data, document: object) -> object:
    """Replace one value (leaf or subtree) somewhere in ``document`` by an arbitrary JSON value."""
    if isinstance(document, dict) and document and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(document)))
        return {**document, key: _mutate(data, document[key])}
    if isinstance(document, list) and document and data.draw(st.booleans()):
        i = data.draw(st.integers(0, len(document) - 1))
        return [*document[:i], _mutate(data, document[i]), *document[i + 1 :]]
    if isinstance(document, dict) and document and data.draw(st.booleans()):  # or drop a key
        key = data.draw(st.sampled_from(sorted(document)))
        return {k: v for k, v in document.items() if k != key}
    return data.draw(JSON_VALUES)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_mutated_card_image_loads_or_is_refused_with_card_bad_image(image, tmp_path, data):
    mutated = _mutate(data, image)
    try:
        card = _load(tmp_path, mutated)
    except EhcError as err:
        assert err.code.name == "CARD_BAD_IMAGE", err
        return
    card.powerUp()  # replays a (possibly mutated) journal: must not crash either
    card.save(tmp_path / "again.json")
    assert load_card(tmp_path / "again.json").nvm.regions == card.nvm.regions


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=JSON_VALUES)
def test_arbitrary_json_is_refused_with_card_bad_image(tmp_path, document):
    with pytest.raises(EhcError) as err:
        _load(tmp_path, document)
    assert err.value.code.name == "CARD_BAD_IMAGE"


def _entry(img: dict, kind: str) -> dict:
    return next(f for f in img["files"] if f["type"] == kind)


ABSURD = [1e308, 10**30, -1, True, "3", 3.0, math.inf]


@pytest.mark.parametrize("value", ABSURD, ids=repr)
@pytest.mark.parametrize(
    "where",
    [
        "transparent.size",
        "records.size",
        "cyclic.pointer",
        "key.max_tries",
        "key.tries_left",
        "pin.max_tries",
        "pin.puk_max_tries",
        "sfi",
        "journal.commit_flag",
    ],
)
def test_every_numeric_field_is_bounded_and_named(image, tmp_path, where, value):
    img = copy.deepcopy(image)
    if where == "transparent.size":
        target, key, field = _entry(img, "transparent"), "size", ".size"
    elif where == "records.size":
        target, key, field = _entry(img, "records")["records"][0], "size", ".size"
    elif where == "cyclic.pointer":
        target, key, field = _entry(img, "cyclic")["newest_and_count"], 0, "newest_and_count[0]"
    elif where.startswith("key."):
        target = next(f for f in img["files"] if f.get("keys"))["keys"][0]
        key = field = where.split(".")[1]
    elif where.startswith("pin."):
        target = next(f for f in img["files"] if f.get("pins"))["pins"][0]
        key = field = where.split(".")[1]
    elif where == "sfi":
        target, key, field = _entry(img, "records"), "sfi", ".sfi"
    else:
        target, key, field = img["journal"], "commit_flag", "commit_flag"
    target[key] = value
    with pytest.raises(EhcError) as err:
        _load(tmp_path, img)
    assert err.value.code.name == "CARD_BAD_IMAGE"
    assert field in err.value.detail["field"], err.value.detail


def test_unmodified_images_pass_the_check(image, psam_image):
    check_image(image)
    check_image(psam_image)


def test_content_of_another_length_than_its_size_is_refused(image, tmp_path):
    img = copy.deepcopy(image)
    entry = _entry(img, "transparent")
    entry["hex"] = entry["hex"] + "00"
    with pytest.raises(EhcError) as err:
        _load(tmp_path, img)
    assert err.value.detail["field"].endswith(".hex")


def test_bounds_are_configurable(image):
    size = _entry(image, "transparent")["size"]
    with pytest.raises(EhcError) as err:
        check_image(image, ImageLimits(max_transparent_size=size - 1))
    assert err.value.detail["field"].endswith(".size")
    with pytest.raises(EhcError):
        check_image(image, ImageLimits(max_total_bytes=1000))
    assert DEFAULT_LIMITS.max_transparent_size == 0x7FFF


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.json"
    with path.open("wb") as fh:
        fh.truncate(DEFAULT_LIMITS.max_image_bytes + 1)  # sparse: costs no disk
    with pytest.raises(EhcError) as err:
        load_card(path)
    assert "too large" in err.value.message


def test_deeply_nested_json_is_refused(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(EhcError) as err:
        load_card(path)
    assert err.value.code.name == "CARD_BAD_IMAGE"
