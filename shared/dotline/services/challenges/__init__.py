"""Challenges: the challenge catalogue and a person's progress (challenges); state and trophies are its internals."""
