"""Concrete workflows and the one Definitions that loads them."""

import warnings

# Dagster marks features this project uses on purpose (partitioned asset checks, sensor owners) as preview or beta,
# once per process that loads the definitions: the UI's code server, the daemon, every run and step worker. Nothing
# an operator can act on, so the notices are hidden wherever `pipelines` is imported (no dagster import needed).
warnings.filterwarnings("ignore", message=r".* is currently in (preview|beta)")
