"""Shadow runs: a partition's recorded inputs through a candidate prompt or model, side effects off, compared."""
