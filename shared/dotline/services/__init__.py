"""Use cases: plain functions whose dependencies are arguments."""
