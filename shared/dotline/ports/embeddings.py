"""The embeddings port: text to vectors, with the model version every stored vector records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Embedder(Protocol):
    """Turns texts into unit-length vectors of a fixed size."""

    @property
    def model_version(self) -> str:
        """Names the model and its revision; stored beside every vector."""

    @property
    def dimensions(self) -> int:
        """The length of every vector this embedder returns."""

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One L2-normalised vector per text, in order."""
