"""The embeddings port in-process with WordLlama, from the weights inside its wheel (no network).

`WordLlama.load` looks for `<package>/weights/l2_supercat_256.safetensors` and
`<package>/tokenizers/l2_supercat_tokenizer_config.json` first, then in `cache_dir`, and only
then downloads; with the package folder as cache dir and downloads disabled, a missing file is a
FileNotFoundError at load time, never a request. The model loads on the first `embed`, once per
container (about 0.8 s to import, 1.7 s with loading, on the dev machine).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import metadata
from typing import TYPE_CHECKING

from dotline.errors import ServiceUnavailable

if TYPE_CHECKING:
    from wordllama.inference import WordLlamaInference  # type: ignore[import-untyped]

CONFIG = "l2_supercat"
DIMENSIONS = 256
BATCH_SIZE = 64
_IMPORT_LOCK = threading.Lock()  # every embedder of the process imports wordllama through it


class WordLlamaEmbedder:
    """Static token embeddings averaged and L2-normalised; deterministic and CPU-cheap."""

    def __init__(self) -> None:
        self._model: WordLlamaInference | None = None
        self._lock = threading.Lock()
        self._version = f"wordllama-{CONFIG}-{DIMENSIONS}@{_package_version()}"

    @property
    def model_version(self) -> str:
        """Names the model and its revision; stored beside every vector."""
        return self._version

    @property
    def dimensions(self) -> int:
        """The length of every vector this embedder returns."""
        return DIMENSIONS

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One L2-normalised vector per text, in order; a text with no tokens gets e₀."""
        if not texts:
            return []
        import numpy as np

        vectors = self._loaded().embed(list(texts), norm=False, batch_size=BATCH_SIZE)
        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        empty = norms[:, 0] == 0
        vectors = vectors / np.where(norms > 0, norms, 1)
        vectors[empty, 0] = 1.0  # unit length as promised; matches nothing in particular
        return [[float(x) for x in row] for row in vectors]

    def _loaded(self) -> WordLlamaInference:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = _load()
        return self._model


def _load() -> WordLlamaInference:
    with _root_logging_kept():
        import wordllama  # type: ignore[import-untyped]  # ships no py.typed
        from wordllama import WordLlama

    package_dir = wordllama.__path__[0]
    return WordLlama.load(CONFIG, cache_dir=package_dir, dim=DIMENSIONS, disable_download=True)


@contextmanager
def _root_logging_kept() -> Iterator[None]:
    """Undo what importing wordllama does to the root logger: `logging.basicConfig(level=INFO)`
    in two of its modules gave a process without handlers of its own (the local gateway, a
    script) a root handler at INFO, so every library's INFO line (httpx's per request) went to
    stderr and each line of ours a second time. Lambda's runtime has its root handler already,
    which makes basicConfig a no-op there."""
    with _IMPORT_LOCK:  # one import at a time, so no other snapshot sees what this one undoes
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        try:
            yield
        finally:
            for handler in list(root.handlers):
                if handler not in handlers:
                    root.removeHandler(handler)
            root.setLevel(level)


def _package_version() -> str:
    try:
        return metadata.version("wordllama")
    except metadata.PackageNotFoundError as exc:
        # WordLlama is the local profile's (a dev dependency group): the Lambda layer has none.
        raise ServiceUnavailable(
            "No embedder: EMBEDDINGS_URL is not set and WordLlama is not installed."
        ) from exc
