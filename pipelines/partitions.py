"""Partitions shared by the workflows: one partition per day, so backfills and reruns are per day."""

import dagster as dg

daily = dg.DailyPartitionsDefinition(start_date="2026-01-01", end_offset=1)
