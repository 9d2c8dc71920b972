"""Bulk import of history (POST /v1/imports): see `history`."""
