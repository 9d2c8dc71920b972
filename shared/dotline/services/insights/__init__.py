"""Insights: the insight cycle (cycle); compiling and recording are its internals."""
