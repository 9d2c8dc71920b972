"""The memory fields of a user's matrix rows as numpy masks, for the vector filter's memory part
(memory types, tags, app, source conversation, occurred_at, attributes, importance ceiling).

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
        fields: dict[str, dict[str, list[int]]] = {name: {} for name in _FIELDS}
        for i, row in enumerate(rows):
            for name, column in _FIELDS.items():
                for value in _values(row.get(column)):
                    fields[name].setdefault(value, []).append(i)
        occurred = [row.get("occurred_at") for row in rows]
        return cls(
            size=len(rows),
            values={
                name: {v: np.asarray(ids, dtype=np.intp) for v, ids in index.items()}
                for name, index in fields.items()
            },
            occurred=np.asarray(
                [np.nan if at is None else at.timestamp() for at in occurred], dtype=np.float64
            ),
        )

    def mask(self, where: VectorFilter, importance: npt.NDArray[np.float64]) -> Mask | None:
        """The rows passing the filter's memory part (None: it has none)."""
        keep = np.ones(self.size, dtype=bool)
        restricted = False
        for name, wanted, every in (
            ("memory_type", where.memory_types, False),
            ("tags", where.tags_any, False),
            ("tags", where.tags_all, True),
            ("app_id", None if where.app_id is None else [str(where.app_id)], False),
            ("conversation", _one(where.source_conversation_id), False),
            ("attributes", where.attribute_pairs, True),
        ):
            if wanted is not None:
                keep &= self._holding(name, wanted, every=every)
                restricted = True
        if where.max_importance is not None:
            keep &= importance <= where.max_importance  # NaN (unknown) never passes
            restricted = True
        for bound, passes in ((where.occurred_after, np.greater), (where.occurred_before, np.less)):
            if bound is not None:
                keep &= passes(self.occurred, bound.timestamp())
                restricted = True
        return keep if restricted else None

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


_FIELDS = {
    "memory_type": "memory_type",
    "tags": "tags",
    "app_id": "app_id",
    "conversation": "source_conversation_id",
    "attributes": "attribute_pairs",
}


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


def _one(value: Any) -> list[str] | None:
    return None if value is None else [str(value)]
