"""Notes: annotations and reflections on a person's memories."""
