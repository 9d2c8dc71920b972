"""Persona: the persona analysis (persona), skills (skills) and tag clusters (tag_clusters)."""
