"""The language model port: a chat completion grounded in what the caller hands it, the
extraction of memories, concepts and facts from a conversation (ingestion), and the reranking
of search candidates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal, Protocol
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from dotline.ports.insight_synthesis import InsightSynthesizer

# How a system note carrying the person's context package begins (`services.dialogue.session`
# writes it; an engine may speak to it on a conversation's first turn, never cite it).
CONTEXT_NOTE_PREFIX = "Since their last conversations, the insight cycle noted:"


class ChatMessage(BaseModel):
    """One turn of the prompt."""

    role: Literal["system", "user", "assistant"]
    content: str


class Completion(BaseModel):
    """What the model answered, and what it cost."""

    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float
    confidence: float | None = None


ConceptType = Literal[
    "person", "place", "organization", "activity", "topic", "emotion", "goal", "value"
]  # fmt: skip
# Facts whose predicate holds one value at a time: a newer value replaces the older one.
SINGLE_VALUED_PREDICATES = frozenset(
    {"lives_in", "works_at", "works_as", "age", "relationship_status"}
)
MAX_NAME_CHARS = 120
MAX_TAG_CHARS = 64
MAX_MEMORY_CHARS = 20_000
MAX_CONCEPTS = 30  # per memory, as for emotions, tags and facts below
MAX_EMOTIONS = MAX_TAGS = MAX_FACTS = 10
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_CHARS)
]
Predicate = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{0,47}$")]
Unit = Annotated[float, Field(ge=0, le=1)]


class Turn(BaseModel):
    """One message of the conversation being ingested."""

    message_id: UUID
    role: Literal["system", "user", "assistant"]
    content: str
    created_at: datetime


class ExtractedConcept(BaseModel):
    """A person, place, topic, feeling, ... a memory involves; `relationship` for people."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    type: ConceptType
    relationship: Name | None = None


class ExtractedFact(BaseModel):
    """Something the person states about themselves: (predicate, value), affirmed or denied.

    A single-valued predicate (SINGLE_VALUED_PREDICATES, `favourite_*`) holds one value; any other
    holds per value, so only the opposite polarity of the same value contradicts it.
    """

    model_config = ConfigDict(extra="forbid")

    predicate: Predicate
    value: Name
    polarity: bool = True

    @property
    def key(self) -> str:
        """What a contradicting fact has in common with this one."""
        single = self.predicate in SINGLE_VALUED_PREDICATES or self.predicate.startswith(
            "favourite_"
        )
        return self.predicate if single else f"{self.predicate}:{self.value.casefold()}"


class ExtractedMemory(BaseModel):
    """One memory unit drawn from one of the person's turns."""

    model_config = ConfigDict(extra="forbid")

    message_id: UUID
    title: Name
    content: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MEMORY_CHARS)
    ]
    importance: Unit
    sentiment: Annotated[float, Field(ge=-1, le=1)]
    concepts: list[ExtractedConcept] = Field(default_factory=list, max_length=MAX_CONCEPTS)
    emotions: list[Name] = Field(default_factory=list, max_length=MAX_EMOTIONS)
    tags: list[
        Annotated[
            str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TAG_CHARS)
        ]
    ] = Field(default_factory=list, max_length=MAX_TAGS)
    facts: list[ExtractedFact] = Field(default_factory=list, max_length=MAX_FACTS)


class Extraction(BaseModel):
    """What a conversation says worth remembering; `model` names the extractor."""

    model_config = ConfigDict(extra="forbid")

    model: str
    memories: list[ExtractedMemory] = Field(default_factory=list)


class Extractor(Protocol):
    """Reads memories, concepts and facts out of a conversation (a language model's second job)."""

    def extract(self, turns: Sequence[Turn]) -> Extraction:
        """Memories from the person's (`user`) turns only, each naming the turn it came from.

        Other turns are context. Same turns, same answer for a deterministic extractor.
        """


class RerankPassage(BaseModel):
    """A search candidate as a reranker reads it: its words, and the turn after it if known."""

    text: str
    follower: str = ""


class Reranker(Protocol):
    """Orders search candidates by how well they answer a query (a language model's third job)."""

    def rerank(self, query: str, passages: Sequence[RerankPassage]) -> list[float]:
        """One relevance per passage, in their order, in [0, 1]: higher answers the query better.

        ServiceUnavailable when the model cannot answer; same input, same answer when local."""


class LanguageModel(Extractor, InsightSynthesizer, Reranker, Protocol):
    """Answers a conversation, extracts what it says, synthesizes a cycle's insights and reranks
    search candidates."""

    def complete(
        self, messages: Sequence[ChatMessage], *, max_tokens: int = 512, temperature: float = 0.3
    ) -> Completion:
        """The next assistant turn for `messages`."""
