"""Dialogue: a message in a conversation and the assistant's reply (dialogue); context and prompt are its internals."""
