"""Typed models of the kit's TOML files (issue #17): pydantic checks, kit error codes.

Profiles (``ehc/profiles``), declarations, waivers and the requirement catalogue
(``conformance_tests``) are described by pydantic v2 models instead of hand-written checks. A
model never leaks a pydantic traceback: :func:`validate` turns every problem pydantic found into
one line naming the file, the field path (``claims.roles[1]``), what was expected and what was
given (masked when it looks like an identifier), and raises the caller's kit error code with
them all (up to 20), followed by what to do next.

Models are strict (a string is not a number, ``"1"`` is not ``1``) and refuse unknown fields, so a
typo in a key fails loudly instead of silently dropping a claim or a parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo
from pydantic_core import PydanticCustomError

from ehc.errors import EhcError, ErrorCode
from ehc.spec.identifiers import mask_id

__all__ = ["FileModel", "kit_problem", "problems", "shown", "validate", "MAX_SHOWN"]

MAX_SHOWN = 20  # problems listed in one message; the count of all is in the error's detail

M = TypeVar("M", bound=BaseModel)


class FileModel(BaseModel):
    """Base of every file model: strict types, unknown fields refused, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def context_of(info: ValidationInfo) -> dict[str, Any]:
    """The validation context of a validator: :func:`validate` always passes one (a dict)."""
    return info.context if isinstance(info.context, dict) else {}


def kit_problem(message: str) -> PydanticCustomError:
    """An error a validator raises with the kit's own wording (shown as is, after the field path)."""
    return PydanticCustomError("ehc", message)


_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "date_type": "a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "a date (YYYY-MM-DD)",
}
_COMPARISON = {
    "greater_than": (">", "gt"),
    "greater_than_equal": (">=", "ge"),
    "less_than": ("<", "lt"),
    "less_than_equal": ("<=", "le"),
}
_DIGITS = re.compile(r"[0-9A-Za-z]*[0-9][0-9A-Za-z]*")


def shown(value: Any) -> str:
    """What the file gave, short; runs of 6+ digits masked (an ID number must not reach a message)."""
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return _DIGITS.sub(
        lambda m: mask_id(m.group()) if sum(c.isdigit() for c in m.group()) >= 6 else m.group(), text
    )


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _fields_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """Field names of the (sub)model at ``loc`` (for "allowed here:"), [] when not a model."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []
        current = _model_of(fields[part].annotation)
    fields = getattr(current, "model_fields", None)
    return [f.alias or name for name, f in fields.items()] if fields else []


def _model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def problems(exc: ValidationError, model: type[BaseModel], where: str = "") -> list[str]:
    """One line per problem: ``where: field.path: what was expected, what was given``."""
    out: list[str] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path = _path(loc) or "entry"
        kind = err["type"]
        ctx = err.get("ctx") or {}
        given = err.get("input")
        if kind == "missing":
            text = f"{path} is required"
        elif kind == "extra_forbidden":
            allowed = _fields_at(model, loc[:-1])
            text = f"unknown field {path!r}" + (f" (allowed here: {', '.join(allowed)})" if allowed else "")
        elif kind in _EXPECTED:
            text = f"{path} must be {_EXPECTED[kind]}, not {shown(given)}"
        elif kind == "literal_error":
            text = f"{path} must be {ctx.get('expected')}, not {shown(given)}"
        elif kind == "too_short":
            text = f"{path} must have at least {ctx.get('min_length')} item(s)"
        elif kind == "string_too_short":
            text = f"{path} must have at least {ctx.get('min_length')} character(s)"
        elif kind == "string_too_long":
            text = f"{path} must have at most {ctx.get('max_length')} characters"
        elif kind == "string_pattern_mismatch":
            text = f"{path} {shown(given)} does not match {ctx.get('pattern')}"
        elif kind in _COMPARISON:
            op, key = _COMPARISON[kind]
            text = f"{path} must be {op} {ctx.get(key)}, not {shown(given)}"
        elif kind == "ehc":
            # the kit's own wording usually names the field already ("level must be ...")
            last = str(loc[-1]) if loc and isinstance(loc[-1], str) else ""
            named = not loc or (last and re.search(rf"(?<![\w-]){re.escape(last)}(?![\w-])", err["msg"]))
            msg = str(err["msg"])
            if named and last and msg.startswith(f"{last} "):  # "expires must be ..." at waiver[0]
                text = f"{path} {msg[len(last) + 1 :]}"
            else:
                parent = _path(loc[:-1]) if named else path
                text = f"{parent}: {msg}" if parent else msg
        else:  # any other pydantic check: its message, with the field path and the value given
            text = f"{path}: {err['msg']} (given {shown(given)})"
        out.append(f"{where}: {text}" if where else text)
    return out


def validate(
    model: type[M],
    data: Any,
    code: ErrorCode,
    where: str,
    *,
    context: Mapping[str, Any] | None = None,
    hint: str = "",
) -> M:
    """``model`` from parsed ``data``, or ``EhcError(code)`` listing every problem (never pydantic's)."""
    try:
        return model.model_validate(data, context=dict(context or {}))
    except ValidationError as exc:
        lines = problems(exc, model, where)
        raise error(code, lines, hint) from None


def error(code: ErrorCode, lines: list[str], hint: str = "") -> EhcError:
    """The kit error for ``lines`` (the first MAX_SHOWN joined; the count in the detail)."""
    message = "; ".join(lines[:MAX_SHOWN])
    if len(lines) > MAX_SHOWN:
        message += f"; and {len(lines) - MAX_SHOWN} more"
    if hint:
        message += f". {hint}"
    return EhcError(code, message, problems=len(lines))
