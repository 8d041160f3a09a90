"""Error codes of the conformance kit (5xxx)."""

from __future__ import annotations

from ehc.errors import define

CATALOGUE_INVALID = define(
    "CATALOGUE_INVALID", 5001, "conformance", "requirements catalogue is invalid (see detail)"
)
PROFILE_UNKNOWN = define("PROFILE_UNKNOWN", 5002, "conformance", "no such conformance profile")
PROFILE_INVALID = define("PROFILE_INVALID", 5003, "conformance", "conformance profile is invalid")
DECLARATION_INVALID = define(
    "DECLARATION_INVALID", 5004, "conformance", "vendor declaration (conformance statement) is invalid"
)
WAIVERS_INVALID = define("WAIVERS_INVALID", 5005, "conformance", "waiver file is invalid")
REQUIREMENT_UNKNOWN = define(
    "REQUIREMENT_UNKNOWN", 5006, "conformance", "a test names a requirement id that is not in the catalogue"
)
ADAPTER_UNKNOWN = define("ADAPTER_UNKNOWN", 5007, "conformance", "no such DUT adapter")
ADAPTER_UNAVAILABLE = define(
    "ADAPTER_UNAVAILABLE", 5008, "conformance", "the DUT adapter cannot be started (component missing)"
)
REPORT_INVALID = define("REPORT_INVALID", 5009, "conformance", "report directory is incomplete or malformed")
REPORT_TAMPERED = define(
    "REPORT_TAMPERED", 5010, "conformance", "report signature or file digests do not verify"
)
LAB_KEY_INVALID = define("LAB_KEY_INVALID", 5011, "conformance", "lab key file cannot be read")
DRIVER_PROTOCOL = define(
    "DRIVER_PROTOCOL", 5012, "conformance", "terminal driver violated the JSON-lines protocol"
)
REPLAY_INVALID = define("REPLAY_INVALID", 5013, "conformance", "replay directory has no usable report")
DUT_SPEC_INVALID = define(
    "DUT_SPEC_INVALID",
    5030,
    "conformance",
    "the device to certify is named wrongly (syntax, unreadable file)",
)
DUT_UNREACHABLE = define(
    "DUT_UNREACHABLE", 5031, "conformance", "the device to certify does not answer (node, reader, driver)"
)
DEMO_STAGE_FAILED = define("DEMO_STAGE_FAILED", 5090, "conformance", "a stage of ehc demo failed")
