"""conformance_tests."""
