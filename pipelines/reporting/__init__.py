"""The reporting library the `workflow_health` asset and `aiwf report` share: figures per workflow and model from
where they are recorded, aggregated in SQL by each table's owner (call_figures.py, state_figures.py) and read from
Dagster (runs.py), placed in workflows (workflow_index.py), combined (report.py), with drift (drift.py), per-day
series (series.py) and a self-contained HTML page with SVG plots (html.py, svg.py). Days are UTC (days.py)."""
