"""Conformance suites, one package per role. They are ordinary pytest tests run by
``ehc certify`` through the plugin; each test names the requirement ids it verifies and reaches
the device under test only through the ``dut`` fixture (see ``conformance_tests.adapters``)."""
