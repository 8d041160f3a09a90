"""Supervision: the seeds' KPIs (issuance coverage, e-card and legacy-card shares of outpatient
visits), red/yellow/blue ratings against a profile's targets, the "two reds" escalation list,
CSV export, the dashboard and the scanner test bench. Definitions: docs/supervision.md.
"""
