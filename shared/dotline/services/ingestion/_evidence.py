"""A statement the person has made before joins that memory as one more source, not a copy.

Detection is a hash of the normalised words (`private.statement_key`: case, accents, punctuation
and spacing do not count) looked up in one btree index of the person's sources, so its cost does
not grow with the corpus. Only a live, current memory of the same type is joined: a changed fact
("I live in Bristol" after "I live in Cardiff") has other words and stays apart, for supersession
to handle. Similarity (trigrams, the vectors) was not used: a changed fact is one word away from
the old one, and the memory's embedding does not exist yet when it is first written. A per-person
transaction lock (taken by `private.place_statement`) makes two ingestions of one person place
their statements one after the other, so neither writes a second copy nor loses a source.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from dotline.db import Transaction

_PLACE = """
select private.place_statement(
  %(user_id)s, %(memory_id)s, %(memory_type)s, %(conversation_id)s, %(message_id)s, %(said_at)s,
  %(title)s, %(content)s) as memory_id
"""
_OWN_SOURCE = """
insert into public.memory_sources
  (memory_id, user_id, conversation_id, message_id, said_at, title, content, statement_key)
values (%(memory_id)s, %(user_id)s, %(conversation_id)s, %(message_id)s, %(said_at)s, %(title)s,
        %(content)s, private.statement_key(%(content)s))
on conflict (user_id, message_id) do nothing
"""


def place_statements(
    tx: Transaction, statements: Sequence[tuple[UUID, dict[str, Any]]], insert_memory: str
) -> tuple[int, dict[UUID, UUID]]:
    """Write each (message id, memory row) as a new memory with its source, or as one more source
    of the memory already saying it. Returns how many memories are new, and for each statement
    that lives in another memory (merged now or by an earlier run) that memory's id."""
    created = 0
    merged: dict[UUID, UUID] = {}
    for message_id, row in statements:
        params = {**row, "message_id": message_id}
        placed = tx.execute(_PLACE, params).fetchone()
        joined = placed["memory_id"] if placed else None
        if joined is None:
            created += max(0, tx.execute(insert_memory, params).rowcount)
            tx.execute(_OWN_SOURCE, params)
        elif joined != row["memory_id"]:
            merged[message_id] = joined
    return created, merged
