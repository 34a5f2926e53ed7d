"""Returns triage: the day's returns feed to a checked routing table (see `workflow`)."""
