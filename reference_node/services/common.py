"""Checks shared by the services: terminal context (who may act: ``services.authz``)."""

from __future__ import annotations

from ehc.spec import codes
from reference_node import validation as v
from reference_node.node import Caller
from reference_node.proto.ehc.node.v1 import common_pb2 as c
from reference_node.services.authz import check_identity, require_admin, require_org


def check_context(
    caller: Caller, ctx: c.TerminalContext, *, point_of_care: bool = False
) -> c.TerminalContext:
    """Validate a TerminalContext and hold the terminal to its own organisation.

    Empty terminal_id / org_code are filled from the credential; a different value is refused
    with PERMISSION_DENIED / NODE_CONTEXT_MISMATCH (``authz.check_identity``). At the point of care
    (verification) use-city, channel and medical step are required.
    """
    out = c.TerminalContext()
    out.CopyFrom(ctx)
    v.token(ctx.terminal_id, "context.terminal_id", required=False, max_len=32)
    v.token(ctx.org_code, "context.org_code", required=False, max_len=32)
    check_identity(caller, ctx.terminal_id, ctx.org_code)
    out.terminal_id = ctx.terminal_id or caller.terminal_id
    out.org_code = ctx.org_code or caller.org_code
    v.text(ctx.org_name, "context.org_name", required=False, max_len=100)
    v.area(ctx.use_city, "context.use_city", required=point_of_care)
    v.code(ctx.channel, "context.channel", codes.CHANNELS, required=point_of_care)
    v.code(ctx.medical_step, "context.medical_step", codes.MEDICAL_STEPS, required=point_of_care)
    if ctx.scene:
        v.scene_or_step(ctx.scene, "context.scene")
    v.department(ctx.department, "context.department")
    v.time14(ctx.time, "context.time", required=False)
    return out


__all__ = ["check_context", "require_admin", "require_org"]
