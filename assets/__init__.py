"""Reusable asset factories and verification checks."""
