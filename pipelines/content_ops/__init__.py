"""Content ops: topic briefs to a verified publish queue (see `workflow`)."""
