"""One user's items as a numpy matrix of unit rows, searched by cosine in-process: exactly, or
through a reduced copy of the rows (vector_projection.py) once they are too many to scan.

The embedded vector store loads a user's rows into a `VectorMatrix` once and reuses it until the
user's version moves, then patches it with the items changed since (`VectorMatrix.patched`: a
changed item's old row is masked dead, its new row appended; the vectors grow in place, so a
patch costs the rows it adds); `MatrixCache` bounds how many bytes of them a container keeps.
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
PATCH_MOST = 2000  # items changed since the held version that a patch takes; more: load whole
DEAD_SHARE = 0.1  # past this share of dead rows (replaced or deleted items), load whole
GROWTH = 1.25  # a grown vector buffer's room: a quarter more rows than it holds
KEY = np.dtype("S16")  # an item id's 16 bytes
# Picking a search's candidates from the coarse scores: a threshold from every SAMPLE_STRIDE-th
# score, set to keep SAMPLE_MARGIN times the candidates wanted, leaves a few thousand rows to
# partition instead of every row (at 100k rows, 0.15 ms instead of 1.2 ms).
SAMPLE_STRIDE = 16
SAMPLE_MARGIN = 1.5


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
    live: npt.NDArray[np.bool_] | None = None  # None: every row; else False where replaced or gone
    buffers: dict[int, _Buffer] | None = None  # dimensions -> the room the matrix grows into
    reduced_buffers: dict[int, _Buffer] | None = None  # dimensions -> the same for reduced rows

    @classmethod
    def build(
        cls, version: int, records: list[dict[str, Any]], previous: VectorMatrix | None = None
    ) -> VectorMatrix:
        """From rows holding the item columns and `vector` as float32 bytes; a `previous`
        matrix of the same user lends its projections."""
        by_dims = _unit_rows_by_dims(records)
        matrices = {dims: rows for dims, (_, rows) in by_dims.items()}
        row_ids = {dims: ids for dims, (ids, _) in by_dims.items()}
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
            created=_created(records),
            importance=_importance(records),
        )

    @cached_property
    def facets(self) -> MemoryFacets:
        """The memory fields' masks, built on the first search filtering on them."""
        return MemoryFacets.build(self.rows)

    @cached_property
    def keys(self) -> npt.NDArray[np.bytes_]:
        """Each row's item id (16 bytes), to find the rows of changed items."""
        return np.asarray([row["item_id"].bytes for row in self.rows], dtype=KEY)

    def patched(
        self, version: int, changed: set[UUID], records: list[dict[str, Any]]
    ) -> VectorMatrix | None:
        """This matrix at `version`: the rows of the `changed` items masked dead and `records`
        (those of them that still exist, as `build` takes them) appended. None when a whole
        load serves better: too many dead rows, a new vector length, a projection to refit or
        a matrix newly past the exact-scan size."""
        size = len(self.rows)
        gone = np.isin(self.keys, np.asarray([u.bytes for u in changed], dtype=KEY))
        live = np.ones(size, dtype=bool) if self.live is None else self.live.copy()
        live[gone] = False
        dead = size - int(np.count_nonzero(live))
        if dead > DEAD_SHARE * (size + len(records)):
            return None
        grouped = _unit_rows_by_dims(records)
        if not grouped.keys() <= self.matrices.keys():
            return None
        matrices, row_ids = dict(self.matrices), dict(self.row_ids)
        reduced, buffers, reduced_buffers = (
            dict(self.reduced), dict(self.buffers or {}), dict(self.reduced_buffers or {})
        )  # fmt: skip
        for dims, (ids, added) in grouped.items():
            rows = self.matrices[dims].shape[0] + added.shape[0]
            crossed = rows >= EXACT_BELOW and dims not in self.reduced
            kept = self.reduced.get(dims)
            if crossed or (kept is not None and not kept.projection.fits_rows(rows)):
                return None
            buffers[dims], matrices[dims] = _Buffer.of(self, dims).extended(
                self.matrices[dims], added
            )
            row_ids[dims] = np.concatenate((self.row_ids[dims], size + ids))
            if kept is not None:
                reduced_buffers[dims], more = _Buffer.of(self, dims, reduced=True).extended(
                    kept.rows, kept.projection.reduce(added)
                )
                reduced[dims] = ReducedRows(kept.projection, more)
        fresh = _type_masks([r["source_entity_type"] for r in records])
        types = {
            kind: np.concatenate(
                (
                    self.types.get(kind, np.zeros(size, bool)),
                    fresh.get(kind, np.zeros(len(records), bool)),
                )
            )
            for kind in self.types.keys() | fresh.keys()
        }
        matrix = VectorMatrix(
            version=version,
            rows=self.rows + records,
            matrices=matrices,
            row_ids=row_ids,
            reduced=reduced,
            types=types,
            created=np.concatenate((self.created, _created(records))),
            importance=np.concatenate((self.importance, _importance(records))),
            live=np.concatenate((live, np.ones(len(records), dtype=bool))),
            buffers=buffers,
            reduced_buffers=reduced_buffers,
        )
        added_keys = np.asarray([r["item_id"].bytes for r in records], dtype=KEY)
        matrix.__dict__["keys"] = np.concatenate((self.keys, added_keys))
        if "facets" in self.__dict__:  # built: extended by the new rows rather than rebuilt
            matrix.__dict__["facets"] = self.facets.extended(records)
        return matrix

    @property
    def nbytes(self) -> int:
        """Roughly what this matrix holds in memory (vectors, with the room their buffers keep
        to grow, plus ~0.5 KiB of metadata a row)."""
        reduced = {dims: r.rows for dims, r in self.reduced.items()}
        return (
            _held_bytes(self.matrices, self.buffers)
            + _held_bytes(reduced, self.reduced_buffers)
            + 512 * len(self.rows)
        )

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
        if self.live is not None:
            keep = self.live if keep is None else keep & self.live
        keep = None if keep is None else keep[ids]
        reduced = None if exact else self.reduced.get(query.size)
        if reduced is None:
            # Every row's cosine, then the filter on the scores: copying the filtered matrix
            # costs more than the dot products of the rows it drops (docs/measurements.md).
            return self._ranked(ids, _cosines(matrix, query), keep, limit)
        coarse = _cosines(reduced.rows, reduced.projection.query(query))
        positions = None if keep is None else np.flatnonzero(keep)
        if positions is not None:
            if positions.size == 0:
                return []
            coarse = coarse[positions]
        picked = _highest(coarse, CANDIDATES + limit)
        # In row order: the exact rescore then reads the matrix front to back.
        candidates = np.sort(picked if positions is None else positions[picked])
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


class _Buffer:
    """Room for one person's matrix of one vector length to grow in place: successive patched
    matrices view its first rows, each its own count, and rows are only ever appended past the
    last view, so a matrix still being searched never sees a row change under it. A matrix that
    is not the newest view (two patches of one version) gets a buffer of its own."""

    def __init__(self, rows: npt.NDArray[np.float32], used: int) -> None:
        self._rows = rows
        self._used = used
        self._lock = threading.Lock()

    @classmethod
    def of(cls, matrix: VectorMatrix, dims: int, *, reduced: bool = False) -> _Buffer:
        """The buffer a matrix's rows of that length view (a built matrix's own rows, full)."""
        buffers = matrix.reduced_buffers if reduced else matrix.buffers
        held = (buffers or {}).get(dims)
        if held is not None:
            return held
        rows = matrix.reduced[dims].rows if reduced else matrix.matrices[dims]
        return cls(rows, rows.shape[0])

    @property
    def nbytes(self) -> int:
        return int(self._rows.nbytes)

    def extended(
        self, current: npt.NDArray[np.float32], added: npt.NDArray[np.float32]
    ) -> tuple[_Buffer, npt.NDArray[np.float32]]:
        """`current` (a view of this buffer's first rows) with `added` after it: written in
        place when `current` is the newest view and there is room, else into a new buffer."""
        used, total = current.shape[0], current.shape[0] + added.shape[0]
        with self._lock:
            if self._used == used and self._rows.shape[0] >= total:
                self._rows[used:total] = added
                self._used = total
                return self, self._rows[:total]
        grown = np.empty((max(total, int(total * GROWTH)), current.shape[1]), dtype=np.float32)
        grown[:used] = current
        grown[used:total] = added
        return _Buffer(grown, total), grown[:total]


def _held_bytes(
    arrays: dict[int, npt.NDArray[np.float32]], buffers: dict[int, _Buffer] | None
) -> int:
    """The bytes behind each array: its buffer's, room included, where it grows in one."""
    held = buffers or {}
    return sum(held[d].nbytes if d in held else a.nbytes for d, a in arrays.items())


def _unit_rows_by_dims(
    records: Sequence[dict[str, Any]],
) -> dict[int, tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]]:
    """The records' vectors (float32 bytes, taken out of each record) by their length: the
    records' positions and their unit rows."""
    positions: dict[int, list[int]] = {}
    vectors = []
    for i, record in enumerate(records):
        vector = np.frombuffer(record.pop("vector"), dtype=FLOAT32)
        vectors.append(vector)
        positions.setdefault(vector.size, []).append(i)
    return {
        dims: (np.asarray(ids, dtype=np.intp), _unit_rows(np.vstack([vectors[i] for i in ids])))
        for dims, ids in positions.items()
    }


def _unit_rows(matrix: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    """The rows scaled to length 1, as float32 (a zero row stays zero)."""
    matrix = matrix.astype(np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms > 0, norms, 1)).astype(np.float32, copy=False)


def _created(records: Sequence[dict[str, Any]]) -> npt.NDArray[np.float64]:
    return np.asarray([r["created_at"].timestamp() for r in records], dtype=np.float64)


def _importance(records: Sequence[dict[str, Any]]) -> npt.NDArray[np.float64]:
    return np.asarray(
        [np.nan if r["importance"] is None else r["importance"] for r in records], dtype=np.float64
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


def _highest(scores: npt.NDArray[np.float32], count: int) -> npt.NDArray[np.intp]:
    """Indexes of the `count` highest scores, in no order. Only the scores at or above a
    threshold taken from a sample are partitioned; when that keeps fewer than `count` (an
    unlucky sample), every score is. Either way the same rows, ties aside."""
    if count >= scores.size:
        return np.arange(scores.size)
    sample = scores[::SAMPLE_STRIDE]
    above_in_sample = int(sample.size * count / scores.size * SAMPLE_MARGIN) + 1
    if above_in_sample < sample.size:
        threshold = np.partition(sample, sample.size - above_in_sample)[-above_in_sample]
        kept = np.flatnonzero(scores >= threshold)
        if kept.size >= count:  # then every one of the `count` highest is at least the threshold
            return kept[np.argpartition(scores[kept], kept.size - count)[kept.size - count :]]
    return np.argpartition(scores, scores.size - count)[scores.size - count :]


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
