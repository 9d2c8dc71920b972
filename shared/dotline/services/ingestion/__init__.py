"""Ingestion: ended conversations become memories, concepts and links (ingestion); writes are the rows it stores."""
