"""Memories: a person's memories (memories), which are live (liveness) and re-embedding stale ones (reembedding)."""
