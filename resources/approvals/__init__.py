"""Approvals: the store of items waiting for a person, the Dagster resource, and the review web app."""
