"""The memory fields of a user's matrix rows as numpy masks, for the vector filter's memory part
(memory types, tags, app, source conversation, occurred_at, attributes, importance ceiling), and
the card evolution state any item may carry.

Built once per matrix: each value maps to the rows that hold it (an inverted index of row
numbers, so a filter costs a few array writes rather than a Python pass over every row).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from dotline.ports.vectors import VectorFilter

Mask = npt.NDArray[np.bool_]
_Index = dict[str, npt.NDArray[np.intp]]


@dataclass(frozen=True)
class MemoryFacets:
    """Which rows hold each value of each memory field."""

    size: int
    values: dict[str, _Index]  # field -> value -> row numbers
    occurred: npt.NDArray[np.float64]  # POSIX seconds, NaN where unknown

    @classmethod
    def build(cls, rows: Sequence[dict[str, Any]]) -> MemoryFacets:
        """From the matrix's rows (item columns; missing fields count as unknown)."""
        occurred = [row.get("occurred_at") for row in rows]
        return cls(
            size=len(rows),
            values={name: _inverted(rows, column) for name, column in _FIELDS.items()},
            occurred=np.asarray(
                [np.nan if at is None else at.timestamp() for at in occurred], dtype=np.float64
            ),
        )

    def extended(self, rows: Sequence[dict[str, Any]]) -> MemoryFacets:
        """These facets with `rows` after the ones they were built from (a patched matrix's)."""
        more = MemoryFacets.build(rows)
        values: dict[str, _Index] = {}
        for name, index in self.values.items():
            merged = dict(index)
            for value, group in more.values[name].items():
                shifted = group + self.size
                held = merged.get(value)
                merged[value] = shifted if held is None else np.concatenate((held, shifted))
            values[name] = merged
        return MemoryFacets(
            size=self.size + more.size,
            values=values,
            occurred=np.concatenate((self.occurred, more.occurred)),
        )

    def mask(self, where: VectorFilter, importance: npt.NDArray[np.float64]) -> Mask:
        """The rows passing the filter's memory part."""
        keep = np.ones(self.size, dtype=bool)
        for name, wanted, every in (
            ("memory_type", where.memory_types, False),
            ("tags", where.tags_any, False),
            ("tags", where.tags_all, True),
            ("app_id", None if where.app_id is None else [str(where.app_id)], False),
            ("conversation", _one(where.source_conversation_id), False),
            ("attributes", where.attribute_pairs, True),
            ("evolution", where.evolution_states, False),
        ):
            if wanted is not None:
                keep &= self._holding(name, wanted, every=every)
        if where.max_importance is not None:
            keep &= importance <= where.max_importance  # NaN (unknown) never passes
        for bound, passes in ((where.occurred_after, np.greater), (where.occurred_before, np.less)):
            if bound is not None:
                keep &= passes(self.occurred, bound.timestamp())
        return keep

    def _holding(self, name: str, wanted: Iterable[str], *, every: bool) -> Mask:
        """Rows holding any (or every) wanted value of the field."""
        index = self.values[name]
        counts = np.zeros(self.size, dtype=np.intp)
        needed = 0
        for value in set(wanted):
            needed += 1
            rows = index.get(value)
            if rows is not None:
                counts[rows] += 1
        return counts >= needed if every else counts > 0


def filters_memory_fields(where: VectorFilter) -> bool:
    """Whether the filter has a memory part (else the facets need not be built)."""
    return any(getattr(where, name) is not None for name in MEMORY_FILTER_FIELDS)


MEMORY_FILTER_FIELDS = (
    "max_importance", "memory_types", "tags_any", "tags_all", "app_id",
    "source_conversation_id", "occurred_after", "occurred_before", "attribute_pairs",
    "evolution_states",
)  # fmt: skip
_FIELDS = {
    "memory_type": "memory_type",
    "tags": "tags",
    "app_id": "app_id",
    "conversation": "source_conversation_id",
    "attributes": "attribute_pairs",
    "evolution": "evolution_state",
}


def _inverted(rows: Sequence[dict[str, Any]], column: str) -> _Index:
    """value -> the rows holding it, grouped by numpy (a sort), not a dict append per value."""
    values: list[str] = []
    owners: list[int] = []
    for i, row in enumerate(rows):
        held = row.get(column)
        if held is None:
            continue
        held = [str(v) for v in held] if isinstance(held, list | tuple) else [str(held)]
        values += held
        owners += [i] * len(held)
    if not values:
        return {}
    unique, inverse = np.unique(np.asarray(values), return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    groups = np.split(
        np.asarray(owners, dtype=np.intp)[order], np.cumsum(np.bincount(inverse))[:-1]
    )
    return {str(value): group for value, group in zip(unique, groups, strict=True)}


def _one(value: Any) -> list[str] | None:
    return None if value is None else [str(value)]
