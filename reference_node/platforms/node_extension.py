"""Registers the platform front doors with the gateway (loaded by ``reference_node.extensions``).

Each envelope is served only when the node's configuration names it (``NodeConfig.apis``,
``ehc node serve --api tencent``): a node speaks no envelope it was not asked to.
"""

from __future__ import annotations

from typing import Any

from reference_node.auth import Authenticator
from reference_node.gateway.app import register_http
from reference_node.node import Node


def _routers(node: Node, auth: Authenticator) -> Any:
    from fastapi import APIRouter

    router = APIRouter()
    apis = getattr(node.config, "apis", ())
    if "tencent" in apis:
        from .tencent import TencentFrontDoor

        router.include_router(TencentFrontDoor(node, auth).router())
    if "qinghai" in apis:
        from .qinghai import QinghaiFrontDoor

        router.include_router(QinghaiFrontDoor(node, auth).router())
    if "sichuan" in apis:
        from .sichuan import SichuanFrontDoor

        router.include_router(SichuanFrontDoor(node, auth).router())
    return router


register_http(_routers)
