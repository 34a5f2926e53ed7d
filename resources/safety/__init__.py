"""Filters applied before text leaves for a model: PII redaction and prompt-injection screening."""
