"""Governance shared by every workflow: the sensor that keeps the audit trail current.

Approval gates and their `approved_items_sensor`s live in each workflow's own module.
"""

from sensors.audit import finished_runs_audit_sensor

assets: list = []
asset_checks: list = []
jobs: list = []
schedules: list = []
sensors = [finished_runs_audit_sensor]
