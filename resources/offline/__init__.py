"""Labelled test doubles (an OpenAI-compatible model server, a shop API) for offline runs and tests."""
