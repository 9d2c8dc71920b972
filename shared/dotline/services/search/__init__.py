"""Search: a person's search over memories and concepts (search); channels, graph and ranking are its internals."""
