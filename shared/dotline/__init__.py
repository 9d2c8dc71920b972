"""dotline: the shared package (Lambda layer) behind every function."""
