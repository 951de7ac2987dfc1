"""The Hadamard matrices behind BRR and Fay replicates.

Which matrix R's ``hadamard(n)`` gives is checked through BRR and Fay golden cases
(10, 15, 17 and 27 strata: Paley orders 12 and 20, Sylvester 16, stored 28); here every
matrix for 1 to 300 strata is checked to be a Hadamard matrix with more rows than strata.
"""

from __future__ import annotations

import numpy as np
import pytest

from amargah.stats.estimation.hadamard import brr_hadamard, paley_hadamard, sylvester_hadamard


@pytest.mark.parametrize("strata", range(1, 301))
def test_matrix_for_any_number_of_strata_is_hadamard(strata: int) -> None:
    matrix = brr_hadamard(strata)
    order = matrix.shape[0]
    assert matrix.shape == (order, order)
    assert order > strata and order % 4 == 0
    # no more than 4 rows beyond what R's choice needs, below 28 strata
    if strata < 28:
        assert order <= strata - strata % 4 + 8
    signs = 2 * matrix - 1
    assert np.array_equal(signs @ signs.T, order * np.eye(order, dtype=np.int64))
    assert set(np.unique(matrix)) <= {0, 1}


def test_constructions() -> None:
    assert np.array_equal(brr_hadamard(10), paley_hadamard(11))
    assert np.array_equal(brr_hadamard(15), sylvester_hadamard(16))
    assert brr_hadamard(27).shape == (28, 28)
    assert brr_hadamard(35).shape == (36, 36)
    # 44 = 43 + 1 (Paley), 64 by doubling
    assert np.array_equal(brr_hadamard(41), paley_hadamard(43))
    assert brr_hadamard(60).shape == (64, 64)
