"""The insight synthesis port (V11's InsightEngine, phase 2): a cycle's compiled material in, the
insight summary and proactive prompts out. The language model adapters implement it."""

from __future__ import annotations

from typing import Annotated, Protocol

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000)]
Theme = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
MAX_PROMPTS = 5
MAX_THEMES = 10


class DimensionMove(BaseModel):
    """How far one growth dimension moved during the cycle, and its total so far."""

    dim_key: str
    label: str
    cycle_delta: float
    total: float


class CentralConcept(BaseModel):
    """A node the person's graph turns around: PageRank and betweenness over their subgraph."""

    node_id: str
    name: str
    pagerank: float
    betweenness: float


class ConceptCommunity(BaseModel):
    """A cluster of closely linked nodes (Louvain), named by its most central members."""

    names: list[str]
    size: int


class InsightBrief(BaseModel):
    """What the cycle compiled (phase 1): activity since the last cycle and the graph's shape."""

    conversations: int
    messages: int
    conversation_titles: list[str] = Field(default_factory=list)
    memories: list[str] = Field(default_factory=list, description="titles, most important first")
    growth: list[DimensionMove] = Field(default_factory=list)
    central_concepts: list[CentralConcept] = Field(default_factory=list)
    communities: list[ConceptCommunity] = Field(default_factory=list)


class InsightSynthesis(BaseModel):
    """What the model made of a brief: a titled summary, its themes, prompts to offer next."""

    model_config = ConfigDict(extra="ignore")

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    summary: Line
    themes: list[Theme] = Field(default_factory=list, max_length=MAX_THEMES)
    prompts: list[Line] = Field(default_factory=list, max_length=MAX_PROMPTS)
    model: str = ""


class InsightSynthesizer(Protocol):
    """Turns a cycle's compiled material into an insight summary and proactive prompts."""

    def synthesize_insights(self, brief: InsightBrief) -> InsightSynthesis:
        """A summary grounded only in `brief`, at most MAX_PROMPTS prompts; same brief, same answer
        for a deterministic model."""
