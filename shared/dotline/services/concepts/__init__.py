"""Concepts: a person's concepts (concepts) and merging two into one (merge)."""
