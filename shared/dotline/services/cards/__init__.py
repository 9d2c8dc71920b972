"""Cards: a person's cards (cards), their growth cache (growth_cache) and the evolution pipeline that keeps them current (pipeline)."""
