"""Test vectors shipped with the conformance suites (Wycheproof-style JSON)."""
