"""Registers supervision with the node (loaded by ``reference_node.extensions`` before the servers
start): the gRPC SupervisionService and the gateway's supervision routes and pages."""

from __future__ import annotations

from reference_node.gateway.app import register_http
from reference_node.server import register_service
from reference_node.supervision import gateway, service

register_service("SupervisionService", service.METHODS)
register_http(gateway.router)
