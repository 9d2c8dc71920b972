"""Bulk imports of history: a past transcript (sessions of timed turns) or a batch of memories.

A body is validated whole before anything is stored: pydantic names a bad value by its place
(`sessions.3.turns.12.timestamp`), then the checks a field cannot make alone (turns in time
order, a session's start and end around its turns, the item limit) name the first item they
refuse in the same way.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4, uuid5

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from dotline.errors import InvalidRequest, PayloadTooLarge, invalid_body
from dotline.models.instants import Instant
from dotline.models.memories import Content, Kind, Tags, Title

MAX_ITEMS = 1_000  # turns and memories of one import, all sessions together
MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_FUTURE = timedelta(minutes=5)  # a client clock slightly ahead, not a date to come
TITLE_CHARS = 80
# Derives an import id from an Idempotency-Key or from the content, per person.
_IMPORT_NAMESPACE = UUID("2f0c4a55-6a3b-4f7e-9a52-9d0f3c1e7b21")

ImportKind = Literal["transcript", "memories"]
ImportStatus = Literal["pending", "running", "done", "failed"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _not_ahead(value: datetime) -> datetime:
    if value > datetime.now(UTC) + MAX_FUTURE:
        raise ValueError("is in the future: an import holds what already happened")
    return value


PastInstant = Annotated[Instant, AfterValidator(_not_ahead)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ImportTurn(_Strict):
    """One turn of a past conversation, at the time it was said."""

    role: Literal["user", "assistant", "system"] = Field(
        description="`user` for the person importing (their turns become memories)"
    )
    speaker: Name | None = Field(default=None, description="Who spoke, as the source named them")
    text: Content
    timestamp: PastInstant


class ImportSession(_Strict):
    """One past conversation: its turns in time order; started and ended default to the first
    and last turn's times."""

    title: Title | None = None
    external_id: Name | None = Field(default=None, description="The source's id for the session")
    started_at: PastInstant | None = None
    ended_at: PastInstant | None = None
    turns: Annotated[list[ImportTurn], Field(min_length=1)]


class ImportMemory(_Strict):
    """One memory, with when it happened."""

    content: Content
    occurred_at: PastInstant
    title: Title | None = Field(default=None, description="Defaults to the content's first words")
    memory_type: Kind = "memory"
    tags: Tags = Field(default_factory=list)


class ImportRequest(_Strict):
    """Either `sessions` (a transcript) or `memories`, up to 1,000 turns or memories."""

    import_id: UUID | None = Field(
        default=None,
        description="Your id for this import: sending it again answers the first import. "
        "Without it the Idempotency-Key header, else the content itself, identifies it.",
    )
    sessions: Annotated[list[ImportSession], Field(min_length=1)] | None = None
    memories: Annotated[list[ImportMemory], Field(min_length=1)] | None = None

    @property
    def kind(self) -> ImportKind:
        return "transcript" if self.sessions is not None else "memories"

    @classmethod
    def from_json(cls, body: str | None) -> ImportRequest:
        """The validated import: PayloadTooLarge past the limits, else InvalidRequest naming the
        first bad field."""
        if body is not None and len(body.encode()) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"An import body holds at most {MAX_BODY_BYTES} bytes.")
        try:
            request = cls.model_validate_json(body or "")
        except ValidationError as exc:
            raise invalid_body(exc) from None
        request._check_whole()
        return request

    def _check_whole(self) -> None:
        if (self.sessions is None) == (self.memories is None):
            raise _field("body", "send either sessions (a transcript) or memories, not both")
        items = len(self.memories or ()) + sum(len(s.turns) for s in self.sessions or ())
        if items > MAX_ITEMS:
            raise PayloadTooLarge(
                f"An import holds at most {MAX_ITEMS} turns or memories; this one has {items}. "
                "Split it into several imports.",
                items=items,
                max_items=MAX_ITEMS,
            )
        for index, session in enumerate(self.sessions or ()):
            _check_session(f"sessions.{index}", session)

    def import_key(self, user_id: UUID, idempotency_key: str | None) -> UUID:
        """The import's id: the client's, else one derived from its Idempotency-Key, else from
        its content (so the same history sent twice is one import)."""
        if self.import_id is not None:
            return self.import_id
        if idempotency_key:
            return uuid5(_IMPORT_NAMESPACE, f"{user_id}:key:{idempotency_key}")
        return uuid5(_IMPORT_NAMESPACE, f"{user_id}:content:{self.content_hash()}")

    def content_hash(self) -> str:
        """SHA-256 of what is imported (not of the id): tells a replay from a reused id."""
        content = self.model_dump_json(exclude={"import_id"})
        return hashlib.sha256(content.encode()).hexdigest()

    def document(self) -> dict[str, Any]:
        """What private.record_import stores, with a fresh id per conversation and memory."""
        if self.sessions is not None:
            return {"sessions": [_session_row(s) for s in self.sessions]}
        return {"memories": [_memory_row(m) for m in self.memories or ()]}


def _check_session(path: str, session: ImportSession) -> None:
    previous = session.started_at
    for index, turn in enumerate(session.turns):
        if previous is not None and turn.timestamp < previous:
            what = "the session's started_at" if index == 0 else "the turn before it"
            raise _field(f"{path}.turns.{index}.timestamp", f"is earlier than {what}")
        previous = turn.timestamp
    if session.ended_at is not None and session.ended_at < session.turns[-1].timestamp:
        raise _field(f"{path}.ended_at", "is earlier than the session's last turn")


def _session_row(session: ImportSession) -> dict[str, Any]:
    started = session.started_at or session.turns[0].timestamp
    metadata = {"external_id": session.external_id} if session.external_id else {}
    return {
        "conversation_id": str(uuid4()),
        "title": session.title,
        "started_at": started.isoformat(),
        "ended_at": (session.ended_at or session.turns[-1].timestamp).isoformat(),
        "metadata": metadata,
        "turns": [
            {
                "role": turn.role,
                "content": turn.text,
                "created_at": turn.timestamp.isoformat(),
                "metadata": {"speaker": turn.speaker, "imported": True}
                if turn.speaker
                else {"imported": True},
            }
            for turn in session.turns
        ],
    }


def _memory_row(memory: ImportMemory) -> dict[str, Any]:
    return {
        "memory_id": str(uuid4()),
        "memory_type": memory.memory_type,
        "title": memory.title or _title_of(memory.content),
        "content": memory.content,
        "occurred_at": memory.occurred_at.isoformat(),
        "tags": memory.tags,
    }


def _title_of(content: str) -> str:
    line = " ".join(content.split())
    if len(line) <= TITLE_CHARS:
        return line
    return line[: TITLE_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _field(field: str, message: str) -> InvalidRequest:
    return InvalidRequest(f"{field}: {message}", errors=[{"field": field, "message": message}])


class ImportProgress(BaseModel):
    """How far ingestion got over the import's conversations."""

    total: int = Field(description="Conversations to ingest (0 for memories)")
    ingested: int
    failed: int
    percent: float


class ImportReceipt(BaseModel):
    """An import: what it stored and where ingestion is."""

    import_id: UUID
    kind: ImportKind
    status: ImportStatus
    received_at: datetime
    finished_at: datetime | None = None
    replayed: bool = Field(default=False, description="This id was imported before: nothing new")
    sessions: int
    turns: int
    memories: int
    progress: ImportProgress


def _inline_definitions(schema: dict[str, Any]) -> dict[str, Any]:
    """The model's JSON schema with its `$defs` put in place of each `$ref` (an OpenAPI
    operation cannot reach a schema's own `$defs`); the models here hold no cycle."""
    definitions = schema.pop("$defs", {})

    def inline(value: Any) -> Any:
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(definitions[ref.removeprefix("#/$defs/")])
            return {key: inline(item) for key, item in value.items()}
        if isinstance(value, list):
            return [inline(item) for item in value]
        return value

    return dict(inline(schema))


IMPORT_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": _inline_definitions(ImportRequest.model_json_schema())}
    },
}
