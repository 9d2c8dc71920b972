"""Lifecycle: retention (retention), erasure of a person (erasure) and their data export (export)."""
