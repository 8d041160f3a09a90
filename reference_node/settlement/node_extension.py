"""Registers the TEST-ONLY SettlementService with the node (loaded by ``reference_node.extensions``)."""

from __future__ import annotations

from reference_node.server import register_service
from reference_node.settlement import service

register_service("SettlementService", service.METHODS)
