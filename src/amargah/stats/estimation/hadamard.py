"""Hadamard matrices for balanced repeated replication, chosen as R's ``survey`` does.

BRR and Fay replicates come from a 0/1 Hadamard matrix with more rows than the design
has strata: replicate ``r`` puts stratum ``h``'s first PSU in the half-sample when the
matrix holds 1 at row ``h + 1``, column ``r``. Any such matrix balances the
half-samples, but the standard errors of non-linear statistics (means, ratios) depend on
which one is used, so Amargah takes the one R's ``hadamard(n)`` gives for ``n``
strata: of order a multiple of 4 just above ``n``, built by Sylvester's doubling from
orders 4 and 16, by Paley's construction from a prime ``p = 3 (mod 4)`` (order
``p + 1``), or from the matrices of orders 28 and 36 of N. J. A. Sloane's library of
Hadamard matrices (the two R keeps as data), doubled when more rows are needed.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

from amargah.stats.estimation.variance import IntArray

# the matrices of orders 28 and 36 that R's survey keeps (from Sloane's library),
# each row as a hexadecimal number whose bits, first column first, are the entries
_ORDER_28 = (
    "fffffff 9c71c78 83cd378 83b2e66 9a0f8d6 952c5ae 8cd239e 58aa7f0 45b59d4 46cbcac "
    "561774a 4b64e9a 5959b26 2d1eae8 3666b34 2b3b51c 31d74b2 32f89ca 2ced646 ea545e4 "
    "f1632cc f09ce1c e54ad52 e6392b2 e8a792a dffe000 bf81f80 7f8007e"
)
_ORDER_36 = (
    "fffffffff 5c7dc8564 b8fb90ac8 71f721592 e3ee42b24 c7dc8564a 8fb90ac96 1f721592e "
    "3ee42b25c 7dc8564b8 fb90ac970 f721592e2 ee42b25c6 dc8564b8e b90ac971e 721592e3e "
    "e42b25c7c c8564b8fa 90ac971f6 21592e3ee 42b25c7dc 8564b8fb8 0ac971f72 1592e3ee4 "
    "2b25c7dc8 564b8fb90 ac971f720 592e3ee42 b25c7dc84 64b8fb90a c971f7214 92e3ee42a "
    "25c7dc856 4b8fb90ac 971f72158 2e3ee42b2"
)
# R looks for Paley primes up to this bound
_LARGEST_PRIME = 7919


def sylvester_hadamard(order: int) -> IntArray:
    """0/1 Hadamard matrix of a power-of-two order by Sylvester's doubling.

    Entry (i, j) is 1 when the bits that i and j share are even in number; this is the
    matrix R's ``hadamard()`` gives for orders 4 and 16 and their doublings.
    """
    index = np.arange(order)
    bits = np.bitwise_and(index[:, None], index[None, :])
    parity = np.zeros_like(bits)
    while bits.any():
        parity ^= bits & 1
        bits >>= 1
    return (1 - parity).astype(np.int64)


def _from_hex(rows: str, order: int) -> IntArray:
    values = [int(row, 16) for row in rows.split()]
    bits = [[(value >> (order - 1 - j)) & 1 for j in range(order)] for value in values]
    return np.array(bits, dtype=np.int64)


@cache
def _stored() -> tuple[tuple[int, IntArray], ...]:
    """R's stored matrices by order, in R's order."""
    return (
        (4, sylvester_hadamard(4)),
        (16, sylvester_hadamard(16)),
        (28, _from_hex(_ORDER_28, 28)),
        (36, _from_hex(_ORDER_36, 36)),
    )


@cache
def _paley_primes() -> tuple[int, ...]:
    """The primes ``p = 3 (mod 4)`` up to 7919, for which Paley's construction works."""
    sieve = np.ones(_LARGEST_PRIME + 1, dtype=bool)
    sieve[:2] = False
    for i in range(2, math.isqrt(_LARGEST_PRIME) + 1):
        if sieve[i]:
            sieve[i * i :: i] = False
    return tuple(int(p) for p in np.flatnonzero(sieve) if p % 4 == 3)


def paley_hadamard(prime: int) -> IntArray:
    """0/1 Hadamard matrix of order ``prime + 1`` by Paley's first construction.

    Below a first row and column of ones, entry (i, j) is 0 when ``(i + j) mod p`` is
    zero or a quadratic residue of ``p``, and 1 otherwise (``p = 3 mod 4``).
    """
    residues = {0} | {(i * i) % prime for i in range(1, (prime - 1) // 2 + 1)}
    index = np.arange(prime)
    sums = (index[:, None] + index[None, :]) % prime
    core = np.where(np.isin(sums, list(residues)), 0, 1)
    matrix = np.ones((prime + 1, prime + 1), dtype=np.int64)
    matrix[1:, 1:] = core
    return matrix


def _doubled(matrix: IntArray) -> IntArray:
    return np.block([[matrix, matrix], [matrix, 1 - matrix]])


def _paley_for(n: int, most: int) -> IntArray | None:
    """A Paley matrix (possibly doubled) of order at most ``most`` for ``n`` strata.

    Follows the choices of R's ``paley(n, nmax)``; ``None`` where R finds none.
    """
    ceiling = n + 4 - n % 4
    primes = _paley_primes()
    if n % 4 + 4 == n % 8:
        order = ceiling
        while order % 8 == 0:
            order //= 2
        if order - 1 in primes:
            matrix = paley_hadamard(order - 1)
            while order < ceiling:
                matrix = _doubled(matrix)
                order *= 2
            return matrix
    if n > primes[-1]:
        return None
    prime = min(p for p in primes if p >= n)
    if prime + 1 > ceiling + 4 and ceiling + 4 < most:
        return _paley_for(ceiling + 3, 2 * (ceiling + 3))
    if prime > most:
        return None
    return paley_hadamard(prime)


def brr_hadamard(strata: int) -> IntArray:
    """The 0/1 Hadamard matrix R's ``hadamard(strata)`` gives: more rows than strata.

    Its columns are the replicates; row ``h + 1`` says, per replicate, which PSU of
    stratum ``h`` is in the half-sample.
    """
    stored = _stored()
    orders = np.array([order for order, _ in stored])
    base = strata - strata % 4
    fitting = np.flatnonzero((base < orders) & (base + 4 >= orders))
    if fitting.size:
        return stored[int(fitting[0])][1].copy()
    if np.all(base < orders):
        return stored[0][1].copy()
    doublings = np.maximum(0, np.ceil(np.log2((strata + 1) / orders))).astype(np.int64)
    sizes = orders * 2**doublings
    best = int(np.argmin(sizes - strata))
    matrix = None
    if sizes[best] - strata > 4:
        matrix = _paley_for(strata, int(sizes[best]))
    if matrix is None:
        matrix = stored[best][1]
        for _ in range(int(doublings[best])):
            matrix = _doubled(matrix)
    return matrix
