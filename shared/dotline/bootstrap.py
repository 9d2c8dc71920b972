"""The composition root: builds what the settings choose, lazily and once per container.

Each backend has one production adapter and one embedded default; the settings pick one. Adapters
are imported inside the property that builds them, so a function that never touches Weaviate
never imports its SDK.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from dotline.auth import TokenVerifier
from dotline.db import Database

if TYPE_CHECKING:
    from upstash_redis import Redis

    from dotline.ports.auth_admin import AuthAdmin
    from dotline.ports.cache import Cache, RateLimits
    from dotline.ports.embeddings import Embedder
    from dotline.ports.graph import GraphStore
    from dotline.ports.language_model import LanguageModel
    from dotline.ports.objects import ObjectStore
    from dotline.ports.vectors import VectorStore
    from dotline.settings import Settings


@dataclass
class Deps:
    """Everything a service may be handed; each piece is built on first use and then reused."""

    settings: Settings

    @cached_property
    def db(self) -> Database:
        """The system of record (no connection is opened until the first transaction)."""
        return Database(self.settings)

    @cached_property
    def tokens(self) -> TokenVerifier:
        """Verifies callers' access tokens."""
        return TokenVerifier(self.settings)

    @cached_property
    def auth_admin(self) -> AuthAdmin:
        """Supabase Auth's admin API at SUPABASE_URL (locally the stack's emulation on 54321)."""
        from dotline.adapters.gotrue_admin import GoTrueAdmin

        return GoTrueAdmin.from_settings(self.settings)

    @cached_property
    def redis(self) -> Redis:
        """Upstash Redis over REST (imported on first use)."""
        from dotline.adapters.upstash_redis import redis_from_settings

        return redis_from_settings(self.settings)

    @cached_property
    def cache(self) -> Cache:
        """Cache, realtime state and pub/sub, on Redis."""
        from dotline.adapters.upstash_cache import UpstashCache

        return UpstashCache(self.redis)

    @cached_property
    def rate_limits(self) -> RateLimits:
        """Sliding-window limits per user and per IP, on Redis."""
        from dotline.adapters.upstash_rate_limits import UpstashRateLimits

        return UpstashRateLimits(self.redis)

    @cached_property
    def graph(self) -> GraphStore:
        """Neo4j when NEO4J_URI is set, else tables in Postgres."""
        if self.settings.neo4j_uri:
            from dotline.adapters.neo4j_graph import Neo4jGraph

            return Neo4jGraph.from_settings(self.settings)
        from dotline.adapters.postgres_graph import PostgresGraph

        return PostgresGraph(self.db)

    @cached_property
    def vectors(self) -> VectorStore:
        """Weaviate when WEAVIATE_URL is set, else vectors in Postgres searched in-process."""
        if self.settings.weaviate_url:
            from dotline.adapters.weaviate_vectors import WeaviateVectors

            return WeaviateVectors.from_settings(self.settings)
        from dotline.adapters.postgres_vectors import PostgresVectors

        return PostgresVectors(self.db)

    @cached_property
    def embedder(self) -> Embedder:
        """An OpenAI-compatible endpoint when EMBEDDINGS_URL is set, else WordLlama in-process."""
        if self.settings.embeddings_url:
            from dotline.adapters.openai_embeddings import OpenAIEmbedder

            return OpenAIEmbedder.from_settings(self.settings)
        from dotline.adapters.wordllama_embeddings import WordLlamaEmbedder

        return WordLlamaEmbedder()

    @cached_property
    def language_model(self) -> LanguageModel:
        """An OpenAI-compatible endpoint when LLM_URL is set, else the deterministic local engine."""
        if self.settings.llm_url:
            from dotline.adapters.openai_language_model import OpenAILanguageModel

            return OpenAILanguageModel.from_settings(self.settings)
        from dotline.adapters.local_language_model import LocalLanguageModel

        return LocalLanguageModel()

    @cached_property
    def objects(self) -> ObjectStore:
        """The media bucket on S3 (boto3 imported on first use; S3_ENDPOINT_URL for moto)."""
        from dotline.adapters.s3_objects import S3Objects

        return S3Objects.from_settings(self.settings)


_deps: Deps | None = None
# The local gateway runs a function's containers as threads: the first requests must not each
# build their own (two database connections, two embedders, two matrix caches).
_deps_lock = threading.Lock()


def deps() -> Deps:
    """This container's dependencies, built once."""
    global _deps  # the one process-wide cache; tests replace it through use()
    if _deps is None:
        # pydantic-settings with the settings, on the first request rather than at import.
        from dotline.settings import get_settings

        with _deps_lock:
            if _deps is None:
                _deps = Deps(settings=get_settings())
    return _deps


def use(replacement: Deps | None) -> None:
    """Swap the container's dependencies (tests; None to rebuild from settings next time)."""
    global _deps
    _deps = replacement
