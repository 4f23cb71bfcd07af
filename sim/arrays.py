"""Small vectorised helpers over integer key arrays, shared by the world and the engine."""

from __future__ import annotations

import numpy as np


def first_of_each(key: np.ndarray) -> np.ndarray:
    """Positions of the first occurrence of each distinct value of ``key``, sorted by value.

    Small inputs use a stable argsort. Large ones sort ``key * len + position`` once (a
    composite that keeps the order inside equal keys), several times faster than a stable
    argsort or ``np.unique(return_index=True)`` on millions of keys; it requires
    ``max(key) * len(key) < 2**63``.
    """
    n = key.size
    if n <= 1:
        return np.zeros(n, dtype=np.int64)
    if n < 4096:
        order = np.argsort(key, kind="stable")
        ordered = key[order]
        head = np.empty(n, dtype=bool)
        head[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=head[1:])
        return order[head]
    composite = np.sort(key.astype(np.int64) * n + np.arange(n))
    value = composite // n
    head = np.ones(n, dtype=bool)
    head[1:] = value[1:] != value[:-1]
    return composite[head] % n
