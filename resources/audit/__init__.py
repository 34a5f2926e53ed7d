"""The hash-chained audit trail of model calls, checks, decisions and side effects."""
