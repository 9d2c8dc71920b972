"""Mirroring: database changes mirrored into the graph, vectors and cache (mirroring); entities are their mirrored shapes."""
