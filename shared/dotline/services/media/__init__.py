"""Media: uploads and reads (media) and processing stored objects (processing)."""
