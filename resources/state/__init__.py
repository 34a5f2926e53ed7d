"""aiwf's own state: the SQL store (SQLite or Postgres), AIWF_HOME, Parquet tables, quarantine, checkpoints."""
