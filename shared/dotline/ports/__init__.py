"""Ports: typed Protocols for the swappable backends (graph, vectors, cache, models)."""
