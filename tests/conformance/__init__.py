"""Conformance suite: the same behaviours checked on every runtime that can show them."""
