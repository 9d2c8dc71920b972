"""Coaching apps: the apps a person uses (apps) and their administration (admin)."""
