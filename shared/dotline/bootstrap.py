"""The composition root: builds what the settings choose, lazily and once per container.

Each backend has one production adapter and one embedded default; the settings pick one. Adapters
are imported inside the property that builds them, so a function that never touches Weaviate
never imports its SDK.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from dotline.auth import TokenVerifier
from dotline.db import Database
from dotline.observability import traced

if TYPE_CHECKING:
    from collections.abc import Callable

    from upstash_redis import Redis

    from dotline.growth_rules import GrowthConfig
    from dotline.ports.auth_admin import AuthAdmin
    from dotline.ports.broadcasts import Broadcasts
    from dotline.ports.cache import Cache, RateLimits
    from dotline.ports.embeddings import Embedder
    from dotline.ports.graph import GraphStore
    from dotline.ports.ingestion_queue import IngestionQueue
    from dotline.ports.insight_synthesis import InsightSynthesizer
    from dotline.ports.language_model import LanguageModel, Reranker
    from dotline.ports.objects import ObjectStore
    from dotline.ports.vectors import VectorStore
    from dotline.settings import Settings


@dataclass(frozen=True)
class GrowthStores:
    """What a use case applying the growth rules needs: the database, the cache, and the growth
    configuration in force when the bundle was made."""

    db: Database
    cache: Cache
    config: GrowthConfig


@dataclass(frozen=True)
class SearchStores:
    """What a search reads: the database's text channel, the vectors with their embedder, the
    graph, the growth configuration in force (called only by a growth filter, so a search
    without one builds no cache client), and the language model that reranks the head of the
    ranking when one is configured (the local engine's reranker did not improve the embedded
    ranking: it stays out)."""

    db: Database
    embedder: Embedder
    vectors: VectorStore
    graph: GraphStore
    growth_config: Callable[[], GrowthConfig]
    reranker: Reranker | None = None


@dataclass(frozen=True)
class InsightStores:
    """What an insight cycle reads and writes: the database, the graph, the model that writes
    the insights, the cache it announces them through, and the growth configuration."""

    db: Database
    graph: GraphStore
    model: InsightSynthesizer
    cache: Cache
    config: GrowthConfig


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
        """Supabase Auth's admin API at SUPABASE_URL through supabase-py (locally the stack's
        emulation on 54321)."""
        from dotline.adapters.supabase_auth_admin import SupabaseAuthAdmin

        return traced(SupabaseAuthAdmin.from_settings(self.settings), "auth")

    @cached_property
    def broadcasts(self) -> Broadcasts:
        """Private broadcasts through Supabase Realtime's REST API at SUPABASE_URL (locally the
        stack's Realtime face on 54321)."""
        from dotline.adapters.supabase_realtime import SupabaseRealtimeBroadcasts

        return traced(SupabaseRealtimeBroadcasts.from_settings(self.settings), "realtime")

    @cached_property
    def redis(self) -> Redis:
        """Upstash Redis over REST (imported on first use)."""
        from dotline.adapters.upstash_redis import redis_from_settings

        return redis_from_settings(self.settings)

    @cached_property
    def cache(self) -> Cache:
        """Cache, realtime state and pub/sub, on Redis."""
        from dotline.adapters.upstash_cache import UpstashCache

        return traced(UpstashCache(self.redis), "redis")

    @cached_property
    def rate_limits(self) -> RateLimits:
        """Sliding-window limits per user and per IP, on Redis."""
        from dotline.adapters.upstash_rate_limits import UpstashRateLimits

        return traced(UpstashRateLimits(self.redis), "redis")

    @cached_property
    def graph(self) -> GraphStore:
        """Neo4j when NEO4J_URI is set, else tables in Postgres."""
        if self.settings.neo4j_uri:
            from dotline.adapters.neo4j_graph import Neo4jGraph

            return traced(Neo4jGraph.from_settings(self.settings), "graph")
        from dotline.adapters.postgres_graph import PostgresGraph

        return traced(PostgresGraph(self.db), "graph")

    @cached_property
    def vectors(self) -> VectorStore:
        """Weaviate when WEAVIATE_URL is set, else vectors in Postgres searched in-process."""
        if self.settings.weaviate_url:
            from dotline.adapters.weaviate_vectors import WeaviateVectors

            return traced(WeaviateVectors.from_settings(self.settings), "vectors")
        from dotline.adapters.postgres_vectors import PostgresVectors

        return traced(PostgresVectors(self.db), "vectors")

    @cached_property
    def embedder(self) -> Embedder:
        """An OpenAI-compatible endpoint when EMBEDDINGS_URL is set, else WordLlama in-process."""
        if self.settings.embeddings_url:
            from dotline.adapters.openai_embeddings import OpenAIEmbedder

            return traced(OpenAIEmbedder.from_settings(self.settings), "embeddings")
        from dotline.adapters.wordllama_embeddings import WordLlamaEmbedder

        return traced(WordLlamaEmbedder(), "embeddings")

    @cached_property
    def language_model(self) -> LanguageModel:
        """An OpenAI-compatible endpoint when LLM_URL is set, else the deterministic local engine."""
        if self.settings.llm_url:
            from dotline.adapters.openai_language_model import OpenAILanguageModel

            return traced(OpenAILanguageModel.from_settings(self.settings), "language_model")
        from dotline.adapters.local_language_model import LocalLanguageModel

        return traced(LocalLanguageModel(), "language_model")

    @cached_property
    def objects(self) -> ObjectStore:
        """The media bucket on S3 (boto3 imported on first use; S3_ENDPOINT_URL for moto)."""
        from dotline.adapters.s3_objects import S3Objects

        return traced(S3Objects.from_settings(self.settings), "s3")

    def growth_config(self) -> GrowthConfig:
        """The growth configuration in force now: the packaged one, or Redis's override when it
        carries a higher version (read on every call, so a published override applies at once)."""
        from dotline.growth_rules import current_config

        return current_config(self.cache)

    def growth_stores(self) -> GrowthStores:
        """The database and cache with the growth configuration in force now."""
        return GrowthStores(self.db, self.cache, self.growth_config())

    def search_stores(self) -> SearchStores:
        """The stores a search reads."""
        reranker = self.language_model if self.settings.llm_url else None
        return SearchStores(
            self.db, self.embedder, self.vectors, self.graph, self.growth_config, reranker=reranker
        )

    def insight_stores(self) -> InsightStores:
        """The stores of an insight cycle, with the growth configuration in force now."""
        return InsightStores(
            self.db, self.graph, self.language_model, self.cache, self.growth_config()
        )

    @cached_property
    def ingestion_queue(self) -> IngestionQueue | None:
        """The SQS queue of ingestion requests (INGESTION_QUEUE_URL), or None: schedule alone."""
        from dotline.adapters.sqs_ingestion_queue import SqsIngestionQueue

        queue = SqsIngestionQueue.from_settings(self.settings)
        return traced(queue, "sqs") if queue is not None else None

    @property
    def backends(self) -> dict[str, str]:
        """Which backend serves each port, read from the settings (nothing is built to tell)."""
        s = self.settings
        return {
            "graph": "neo4j" if s.neo4j_uri else "postgres (embedded)",
            "vectors": "weaviate" if s.weaviate_url else "postgres + numpy (embedded)",
            "embeddings": "openai-compatible" if s.embeddings_url else "wordllama (embedded)",
            "language_model": "openai-compatible" if s.llm_url else "local engine (embedded)",
            "cache": "upstash redis (REST)",
            "objects": "s3-compatible endpoint" if s.s3_endpoint_url else "s3",
            "auth_admin": "supabase auth admin",
            "broadcasts": "supabase realtime (REST)",
        }

    def close(self) -> None:
        """Let go of what was built (this thread's database connection, clients, drivers)."""
        for built in list(vars(self).values()):
            close = getattr(built, "close", None)
            if built is not self.settings and callable(close):
                try:
                    close()
                except Exception:  # noqa: S112 - best effort: the settings moved on
                    continue


logger = logging.getLogger(__name__)
_deps: Deps | None = None
_pinned = False
# The local gateway runs a function's containers as threads: the first requests must not each
# build their own (two database connections, two embedders, two matrix caches).
_deps_lock = threading.Lock()


def deps() -> Deps:
    """This container's dependencies, built once, and again when the settings change (a rotated
    deployment secret: the next transaction connects with the new password). Misconfigured when
    the settings may not serve, before anything is built."""
    current = _deps
    if _pinned and current is not None:
        return current
    # pydantic-settings with the settings, on the first request rather than at import.
    from dotline.settings import get_settings

    settings = get_settings()
    if current is not None and current.settings is settings:
        return current
    return _rebuild(settings)


def _rebuild(settings: Settings) -> Deps:
    global _deps  # the one process-wide cache; tests replace it through use()
    with _deps_lock:
        previous = _deps
        if previous is not None and previous.settings is settings:
            return previous
        built = _deps = Deps(settings=settings)
    logger.info("backends", extra={"backends": built.backends})
    if previous is not None:
        previous.close()
    return built


def use(replacement: Deps | None) -> None:
    """Swap the container's dependencies (tests; None to rebuild from settings next time)."""
    global _deps, _pinned
    _deps = replacement
    _pinned = replacement is not None
