"""A reduced copy of one matrix of unit rows: approximate nearest neighbours for a person whose
matrix is too big to scan within a search's budget.

The rows' principal components (a sample's covariance's eigenvectors) span most of their variance in a fraction of
the dimensions. A search scores every row in that projection (a third of the bytes to read),
keeps the best `candidates`, and scores those exactly: the recall of the full scan at about a
third of its cost. A projection fitted once is reused while the rows have not doubled since:
a patched matrix (vector_matrix.py) projects only the rows a write added, a matrix loaded whole
projects its rows again, and neither fits anew.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

EXACT_BELOW = 20_000  # rows: below this a scan of every row fits the budget (docs/capacity.md)
KEPT_VARIANCE = 0.95  # the share of the rows' variance the projection keeps
MAX_SHARE = 0.25  # at most this share of the dimensions (the bytes a search reads)
FIT_ROWS = 4096
CANDIDATES = 2000  # rows scored exactly: recall@50 ~0.98 at 100k (bench_search.py)
SEED = 20


@dataclass(frozen=True)
class Projection:
    """A mean and principal axes, fitted on a sample of `fitted_rows` rows."""

    mean: npt.NDArray[np.float32]  # dims
    axes: npt.NDArray[np.float32]  # dims x reduced
    fitted_rows: int

    @classmethod
    def fit(cls, matrix: npt.NDArray[np.float32]) -> Projection:
        """The axes keeping KEPT_VARIANCE of a sample of the rows' variance."""
        rows, dims = matrix.shape
        rng = np.random.default_rng(SEED)
        sample = matrix[np.sort(rng.choice(rows, min(rows, FIT_ROWS), replace=False))]
        mean = sample.mean(axis=0)
        centred = (sample - mean).astype(np.float64)
        # The covariance's eigenvectors: an SVD of the sample took ~50 s on a busy 2-core
        # machine (LAPACK's threads), eigh of dims x dims well under a second.
        variance, axes = np.linalg.eigh(centred.T @ centred)
        variance, axes = variance[::-1], axes[:, ::-1]  # largest first
        share = np.cumsum(variance) / max(float(variance.sum()), 1e-12)
        kept = min(int(np.searchsorted(share, KEPT_VARIANCE)) + 1, max(1, int(dims * MAX_SHARE)))
        return cls(mean.astype(np.float32), np.ascontiguousarray(axes[:, :kept], np.float32), rows)

    def fits(self, matrix: npt.NDArray[np.float32]) -> bool:
        """Whether these axes still serve `matrix` (same dimensions, not doubled since)."""
        return bool(self.axes.shape[0] == matrix.shape[1] and self.fits_rows(matrix.shape[0]))

    def fits_rows(self, rows: int) -> bool:
        """Whether these axes still serve that many rows (not doubled since the fit)."""
        return self.fitted_rows * 2 >= rows

    def reduce(self, matrix: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """The rows in the projection (ranking by their dot product with a reduced query ranks
        by the full one, up to what the dropped axes held)."""
        return np.ascontiguousarray((matrix - self.mean) @ self.axes, dtype=np.float32)

    def query(self, query: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """The query in the projection."""
        return np.ascontiguousarray(query @ self.axes, dtype=np.float32)


@dataclass(frozen=True)
class ReducedRows:
    """One matrix's rows in a projection, to pick the candidates a search scores exactly."""

    projection: Projection
    rows: npt.NDArray[np.float32]  # matrix rows x reduced

    @classmethod
    def build(
        cls, matrix: npt.NDArray[np.float32], previous: Projection | None = None
    ) -> ReducedRows:
        """The matrix reduced, by `previous`'s axes while they fit, else by new ones."""
        projection = previous if previous is not None and previous.fits(matrix) else None
        projection = projection or Projection.fit(matrix)
        return cls(projection, projection.reduce(matrix))

    @property
    def nbytes(self) -> int:
        """What the reduced rows hold in memory."""
        return int(self.rows.nbytes)
