"""Catalog: product copy, prices and stock synced to the shop exactly once (see `workflow`)."""
