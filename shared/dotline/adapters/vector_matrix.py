"""One user's items as a numpy matrix of unit rows, searched by cosine in-process: exactly, or
through a reduced copy of the rows (vector_projection.py) once they are too many to scan.

The embedded vector store loads a user's rows into a `VectorMatrix` once and reuses it until the
user's version moves; `MatrixCache` bounds how many bytes of them a container keeps.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from uuid import UUID

import numpy as np
import numpy.typing as npt

from dotline.adapters.vector_facets import MemoryFacets, filters_memory_fields
from dotline.adapters.vector_projection import CANDIDATES, EXACT_BELOW, Projection, ReducedRows
from dotline.ports.vectors import VectorFilter, VectorHit

FLOAT32 = np.dtype("<f4")
CACHE_MAX_BYTES = 256 * 1024 * 1024  # a Lambda container's share for cached matrices
# Elements (rows x dimensions) a block of the scan multiplies: 1,024 rows of 256 dimensions, so
# the projection's narrower rows go 4,096 to a call (a quarter of the calls' overhead).
MATVEC_BLOCK_ELEMENTS = 1024 * 256


def to_float32_bytes(vector: Sequence[float]) -> bytes:
    """The vector as little-endian float32 bytes (the stored form); rejects empty or non-finite."""
    array = np.asarray(vector, dtype=FLOAT32)
    if array.ndim != 1 or array.size == 0 or not np.isfinite(array).all():
        raise ValueError("a vector must be a non-empty list of finite numbers")
    return array.tobytes()


def from_float32_bytes(data: bytes) -> list[float]:
    """The stored bytes back as a list of floats."""
    return [float(x) for x in np.frombuffer(data, dtype=FLOAT32)]


def unit(vector: Sequence[float]) -> npt.NDArray[np.float32]:
    """The vector scaled to length 1 (a zero vector stays zero and so matches nothing)."""
    array = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(array))
    return array / norm if norm > 0 else array


@dataclass(frozen=True)
class VectorMatrix:
    """A user's items at one version: unit vectors grouped by length, with their metadata."""

    version: int
    rows: list[dict[str, Any]]  # the items without vectors, in the matrix's row order
    matrices: dict[int, npt.NDArray[np.float32]]  # dimensions -> unit vectors of that length
    row_ids: dict[int, npt.NDArray[np.intp]]  # dimensions -> indexes into rows
    reduced: dict[int, ReducedRows]  # dimensions -> reduced rows, for matrices too big to scan
    types: dict[str, npt.NDArray[np.bool_]]  # source entity type -> its rows
    created: npt.NDArray[np.float64]  # POSIX seconds
    importance: npt.NDArray[np.float64]  # NaN where unknown

    @classmethod
    def build(
        cls, version: int, records: list[dict[str, Any]], previous: VectorMatrix | None = None
    ) -> VectorMatrix:
        """From rows holding the item columns and `vector` as float32 bytes; a `previous`
        matrix of the same user lends its projections."""
        by_dims: dict[int, list[int]] = {}
        vectors = []
        for i, record in enumerate(records):
            vector = np.frombuffer(record.pop("vector"), dtype=FLOAT32)
            vectors.append(vector)
            by_dims.setdefault(vector.size, []).append(i)
        matrices: dict[int, npt.NDArray[np.float32]] = {}
        row_ids: dict[int, npt.NDArray[np.intp]] = {}
        for dims, ids in by_dims.items():
            matrix = np.vstack([vectors[i] for i in ids]).astype(np.float32)
            norms = np.linalg.norm(matrix, axis=1, keepdims=True)
            matrices[dims] = (matrix / np.where(norms > 0, norms, 1)).astype(np.float32, copy=False)
            row_ids[dims] = np.asarray(ids, dtype=np.intp)
        reduced = {
            dims: ReducedRows.build(matrix, previous.projection(dims) if previous else None)
            for dims, matrix in matrices.items()
            if matrix.shape[0] >= EXACT_BELOW
        }
        return cls(
            version=version,
            rows=records,
            matrices=matrices,
            row_ids=row_ids,
            reduced=reduced,
            types=_type_masks([r["source_entity_type"] for r in records]),
            created=np.asarray([r["created_at"].timestamp() for r in records], dtype=np.float64),
            importance=np.asarray(
                [np.nan if r["importance"] is None else r["importance"] for r in records],
                dtype=np.float64,
            ),
        )

    @cached_property
    def facets(self) -> MemoryFacets:
        """The memory fields' masks, built on the first search filtering on them."""
        return MemoryFacets.build(self.rows)

    @property
    def nbytes(self) -> int:
        """Roughly what this matrix holds in memory (vectors plus ~0.5 KiB of metadata a row)."""
        vectors = sum(m.nbytes for m in self.matrices.values())
        return vectors + sum(r.nbytes for r in self.reduced.values()) + 512 * len(self.rows)

    def projection(self, dims: int) -> Projection | None:
        """The projection of this matrix's rows of that length, if it has one."""
        reduced = self.reduced.get(dims)
        return None if reduced is None else reduced.projection

    def search(
        self, vector: Sequence[float], limit: int, where: VectorFilter | None, exact: bool = False
    ) -> list[VectorHit]:
        """The `limit` rows nearest `vector` among those passing `where`, best first; scanning
        every row when `exact` or the matrix is small, else through its reduced rows."""
        query = unit(vector)
        matrix = self.matrices.get(query.size)
        if matrix is None or limit <= 0:
            return []
        ids = self.row_ids[query.size]
        keep = None if where is None else self._passing(where)
        keep = None if keep is None else keep[ids]
        reduced = None if exact else self.reduced.get(query.size)
        if reduced is None:
            # Every row's cosine, then the filter on the scores: copying the filtered matrix
            # costs more than the dot products of the rows it drops (docs/measurements.md).
            return self._ranked(ids, _cosines(matrix, query), keep, limit)
        coarse = _cosines(reduced.rows, reduced.projection.query(query))
        positions = np.arange(ids.size) if keep is None else np.flatnonzero(keep)
        if positions.size == 0:
            return []
        picked = np.argpartition(-coarse[positions], min(positions.size, CANDIDATES + limit) - 1)
        # In row order: the exact rescore then reads the matrix front to back.
        candidates = np.sort(positions[picked[: CANDIDATES + limit]])
        return self._ranked(ids[candidates], _cosines(matrix[candidates], query), None, limit)

    def _ranked(
        self,
        ids: npt.NDArray[np.intp],
        cosines: npt.NDArray[np.float32],
        keep: npt.NDArray[np.bool_] | None,
        limit: int,
    ) -> list[VectorHit]:
        """The best `limit` of these scored rows among those kept (the filter's mask)."""
        if keep is not None and not keep.all():
            ids, cosines = ids[keep], cosines[keep]
        if ids.size == 0:
            return []
        top = _top(cosines, limit)
        return [self._hit(int(ids[i]), float(cosines[i])) for i in top]

    def _passing(self, where: VectorFilter) -> npt.NDArray[np.bool_] | None:
        """The rows the filter keeps; None when it keeps every row (the common search's filter:
        all the indexed types, nothing else), which spares a mask over every row."""
        wanted_types = set(where.source_entity_types or ())
        every_type = where.source_entity_types is None or wanted_types >= self.types.keys()
        if every_type and where == VectorFilter(source_entity_types=where.source_entity_types):
            return None
        keep = np.ones(len(self.rows), dtype=bool)
        if not every_type:
            wanted = np.zeros(len(self.rows), dtype=bool)
            for kind in wanted_types & self.types.keys():
                wanted |= self.types[kind]
            keep &= wanted
        if where.created_after is not None:
            keep &= self.created > where.created_after.timestamp()
        if where.created_before is not None:
            keep &= self.created < where.created_before.timestamp()
        if where.min_importance is not None:
            keep &= self.importance >= where.min_importance  # NaN (unknown) never passes
        if filters_memory_fields(where):
            keep &= self.facets.mask(where, self.importance)
        return keep

    def _hit(self, row: int, cosine: float) -> VectorHit:
        record = self.rows[row]
        return VectorHit(
            item_id=record["item_id"],
            source_entity_type=record["source_entity_type"],
            source_entity_id=record["source_entity_id"],
            title=record["title"],
            text=record["text"],
            importance=record["importance"],
            created_at=record["created_at"],
            evolution_state=record.get("evolution_state"),
            score=min(1.0, max(0.0, (cosine + 1.0) / 2.0)),
        )


def _type_masks(types: list[str]) -> dict[str, npt.NDArray[np.bool_]]:
    """Each type's rows, computed once per matrix: comparing the string column per search cost
    more than the filter it serves."""
    column = np.asarray(types, dtype=np.str_)
    return {kind: column == kind for kind in set(types)}


def _cosines(
    matrix: npt.NDArray[np.float32], query: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """Row-by-query dot products, in blocks small enough that OpenBLAS stays on one thread: its
    thread hand-offs cost little when idle but cause long tails on a busy 1-2 vCPU container
    (docs/measurements.md)."""
    out = np.empty(matrix.shape[0], dtype=np.float32)
    block_rows = max(1, MATVEC_BLOCK_ELEMENTS // max(1, matrix.shape[1]))
    for start in range(0, matrix.shape[0], block_rows):
        stop = start + block_rows
        np.matmul(matrix[start:stop], query, out=out[start:stop])
    return out


def _top(scores: npt.NDArray[np.float32], limit: int) -> npt.NDArray[np.intp]:
    """Indexes of the `limit` highest scores, highest first."""
    if scores.size > limit:
        part = np.argpartition(-scores, limit - 1)[:limit]
        return part[np.argsort(-scores[part], kind="stable")]
    return np.argsort(-scores, kind="stable")


class MatrixCache:
    """The most recently used users' matrices, up to a byte budget (one container's memory)."""

    def __init__(self, max_bytes: int = CACHE_MAX_BYTES) -> None:
        self._max_bytes = max_bytes
        self._entries: OrderedDict[UUID, VectorMatrix] = OrderedDict()
        self._lock = threading.Lock()  # db.Database serves threads; they share this cache

    def get(self, user_id: UUID, version: int) -> VectorMatrix | None:
        """The user's matrix if cached at exactly this version."""
        with self._lock:
            matrix = self._entries.get(user_id)
            if matrix is None or matrix.version != version:
                return None
            self._entries.move_to_end(user_id)
            return matrix

    def latest(self, user_id: UUID) -> VectorMatrix | None:
        """The user's matrix at whatever version it was cached (to lend its index's centroids)."""
        with self._lock:
            return self._entries.get(user_id)

    def put(self, user_id: UUID, matrix: VectorMatrix) -> None:
        """Keep the matrix, evicting the least recently used ones past the budget."""
        with self._lock:
            self._entries[user_id] = matrix
            self._entries.move_to_end(user_id)
            while len(self._entries) > 1 and self._total() > self._max_bytes:
                self._entries.popitem(last=False)

    def forget(self, user_id: UUID) -> None:
        """Drop the user's matrix (after this container changed their items)."""
        with self._lock:
            self._entries.pop(user_id, None)

    def _total(self) -> int:
        return sum(m.nbytes for m in self._entries.values())
