"""Scenario files: the YAML format, its model and its loader."""
