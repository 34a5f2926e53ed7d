"""Concrete workflows and the one Definitions that loads them."""
