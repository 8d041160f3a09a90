"""JSON Schema of protobuf messages (proto field names), for the gateway's OpenAPI document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor

if TYPE_CHECKING:
    from google._upb import _message as upb  # the C implementation's descriptors: the same API

_SCALARS = {
    FieldDescriptor.TYPE_STRING: {"type": "string"},
    FieldDescriptor.TYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.TYPE_INT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_INT64: {"type": "string", "format": "int64"},
    FieldDescriptor.TYPE_BYTES: {"type": "string", "format": "byte"},
}


def message_schema(desc: Descriptor | upb.Descriptor, components: dict[str, Any]) -> dict[str, Any]:
    """A $ref to ``desc`` in ``components`` (filled recursively)."""
    name = desc.full_name.replace(".", "_")
    if name not in components:
        components[name] = {}  # placeholder against recursion
        props: dict[str, Any] = {}
        for f in desc.fields:
            if f.type == FieldDescriptor.TYPE_MESSAGE and f.message_type is not None:
                item = message_schema(f.message_type, components)
            elif f.type == FieldDescriptor.TYPE_ENUM and f.enum_type is not None:
                item = {"type": "string", "enum": [v.name for v in f.enum_type.values]}
            else:
                item = dict(_SCALARS.get(f.type, {"type": "string"}))
            # protobuf >= 7 (pyproject): is_repeated; FieldDescriptor.label is gone
            props[f.name] = {"type": "array", "items": item} if f.is_repeated else item
        components[name] = {"type": "object", "title": desc.full_name, "properties": props}
    return {"$ref": f"#/components/schemas/{name}"}
