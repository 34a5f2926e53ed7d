"""Sensors: the triggers that launch workflows."""
