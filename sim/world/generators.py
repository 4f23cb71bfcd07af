"""Random graph generators for the two synthetic layers, built as numpy edge arrays.

This module owns the *shape* of the personal and the professional layer: which node is linked
to which. It returns plain arrays, never networkx objects, because at N = 10^6 the layers must
build in seconds (``networkx.barabasi_albert_graph`` alone takes ~24 s there); every step is a
vectorised numpy operation; Python loops run only over O(log n) blocks and rounds.

Edge arrays everywhere in :mod:`sim.world` have one canonical form (see
:func:`canonical_edges`): ``int64`` of shape ``(E, 2)``, each row ``(u, v)`` with ``u < v``, no
self-loops, rows unique and sorted lexicographically.

References:
    D. J. Watts and S. H. Strogatz, "Collective dynamics of 'small-world' networks",
    Nature 393, 440-442 (1998).
    A.-L. Barabasi and R. Albert, "Emergence of scaling in random networks",
    Science 286, 509-512 (1999).
    V. Batagelj and U. Brandes, "Efficient generation of large random networks",
    Phys. Rev. E 71, 036113 (2005).
    A. Barrat and M. Weigt, "On the properties of small-world network models",
    Eur. Phys. J. B 13, 547-560 (2000).
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

__all__ = ["canonical_edges", "community_small_world", "preferential_attachment"]

#: Cap on the within-company link probability, so tiny companies become near-cliques instead
#: of asking for more colleagues than they have (and -log(1 - p) stays finite).
_P_MAX = 0.999

#: Largest n for which the key ``u * n + v`` of :func:`canonical_edges` fits in int64.
_N_MAX = 3_037_000_499


def canonical_edges(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """Undirected simple-graph edge array from two endpoint arrays.

    Self-loops are dropped, each pair is oriented ``u < v``, and duplicates, including
    ``(a, b)`` next to ``(b, a)``, are merged through the combined key ``u * n + v`` (exact in
    int64 for n < 3 * 10^9), whose sort also orders the rows lexicographically.

    Args:
        u: first endpoints, integers in [0, n).
        v: second endpoints, same shape as ``u``.
        n: number of nodes.

    Returns:
        ``int64`` array of shape (E, 2), rows unique and sorted, ``u < v``.
    """
    u = np.asarray(u, dtype=np.int64).ravel()
    v = np.asarray(v, dtype=np.int64).ravel()
    if u.shape != v.shape:
        raise ValueError(f"u and v: shapes {u.shape} and {v.shape} differ; must be equal")
    if not 0 < n <= _N_MAX:
        raise ValueError(f"n={n!r}: must be an integer in [1, {_N_MAX}] (u * n + v fits int64)")
    if u.size and bool(np.all(u < v)):
        # already oriented (a file written from a canonical array): one key, no copies
        key = u * n
        key += v
    else:
        keep = u != v
        a, b = u[keep], v[keep]
        # In-place steps on fresh copies: at 10^7 edges, touching new pages costs more than
        # the arithmetic itself.
        key = np.minimum(a, b)
        np.maximum(a, b, out=b)
        del a
        key *= n
        key += b
        del b
    # Sort plus a neighbour test: np.unique (numpy >= 2.3) goes through a hash table first
    # and is ~100x slower than numpy's SIMD sort at 10^7 keys. Edges already in order (a
    # file written from a canonical array) skip the sort: the test costs one pass.
    if key.size > 1:
        step = key[1:] > key[:-1]
        if not step.all():
            key.sort()
            step = key[1:] != key[:-1]
        key = key[np.concatenate(([True], step))]
    out = np.empty((key.size, 2), dtype=np.int64)
    np.floor_divide(key, n, out=out[:, 0])
    np.multiply(out[:, 0], n, out=out[:, 1])
    np.subtract(key, out[:, 1], out=out[:, 1])
    return out


def community_small_world(n: int, *, mean_degree: int = 10, rewire: float = 0.1,
                          community_size: float = 100.0, mixing: float = 0.2,
                          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Personal layer: a Watts-Strogatz small world whose rewiring stays mostly in communities.

    1. Nodes ``0..n-1`` are cut into contiguous communities with sizes
       ``s = s_min + G - 1``, ``G ~ Geometric(q)``, ``q = 1 / (S - s_min + 1)``, so that
       ``E[s] = S = max(community_size, s_min)`` with ``s_min = k + 1`` (a community can hold
       one full lattice neighbourhood). The last block is truncated at n and merged into the
       previous one if it falls below ``s_min``.
    2. Ring lattice (Watts & Strogatz 1998): edges ``(u, u + j mod n)``, ``j = 1..k/2``,
       ``n k / 2`` edges in all. Lattice edges stay inside a community except the
       ``k/2 (k/2 + 1) / 2`` that straddle each block border.
    3. Each lattice edge is rewired with probability ``beta = rewire``: its far end becomes a
       uniform node other than u, drawn from u's community with probability ``1 - mixing``
       and from the whole population with probability ``mixing``.

    Rewired edges that land on an existing neighbour of u are merged by
    :func:`canonical_edges` rather than redrawn as networkx does. About ``(1 - beta) k`` of
    u's ``s - 1`` possible partners are lattice neighbours, so a fraction
    ``beta (1 - mixing) (1 - beta) k / S`` of the edges is lost (plus ``beta mixing k / n``)
    and the mean degree is ``k`` times one minus that: ~0.7% low at the defaults (9.93
    instead of 10), negligible with one community. With ``community_size >= n`` this is
    ``networkx.watts_strogatz_graph(n, k, beta)`` up to that conflict rule, and the
    clustering follows Barrat & Weigt (2000):
    ``C(beta) ~= 3 (k - 2) / (4 (k - 1)) (1 - beta)^3``.

    Args:
        n: number of nodes, >= 3.
        mean_degree: lattice degree k, an even integer in [2, n - 1] (edges per node).
        rewire: Watts-Strogatz rewiring probability beta in [0, 1] (per edge).
        community_size: mean community size S (nodes), >= 1; values below k + 1 act as k + 1,
            ``inf`` or >= n gives a single community.
        mixing: share of rewired edges whose new end is drawn from the whole population, in
            [0, 1].
        rng: source of all randomness.

    Returns:
        ``(edges, community)``: the canonical edge array and an ``int32`` community label per
        node, ``0..C-1`` in node order.
    """
    n = _check_int("n", n, 3, None)
    k = _check_int("mean_degree", mean_degree, 2, n - 1)
    if k % 2:
        raise ValueError(f"mean_degree={mean_degree!r}: must be an even integer in [2, n-1]")
    beta = _check_real("rewire", rewire, 0.0, 1.0)
    mix = _check_real("mixing", mixing, 0.0, 1.0)
    size = _check_real("community_size", community_size, 1.0, math.inf)
    _check_rng(rng)

    sizes = _block_sizes(n, size, k + 1, rng)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    community = np.repeat(np.arange(sizes.size, dtype=np.int32), sizes)

    half = k // 2
    u = np.repeat(np.arange(n, dtype=np.int64), half)
    v = u + np.tile(np.arange(1, half + 1, dtype=np.int64), n)
    v[v >= n] -= n
    hit = np.flatnonzero(rng.random(u.size) < beta)
    src = u[hit]
    glob = rng.random(hit.size) < mix
    # A shift in [1, s-1] modulo the block size draws uniformly among the others in the block:
    # no self-loops to redraw, exactly as networkx never keeps one.
    c = community[src].astype(np.int64)
    lo = np.where(glob, 0, starts[c])
    width = np.where(glob, n, sizes[c])
    shift = rng.integers(1, width) if hit.size else np.zeros(0, np.int64)
    v[hit] = lo + (src - lo + shift) % width
    return canonical_edges(u, v, n), community


def preferential_attachment(n: int, *, m: int = 5, company_size: float = 20.0,
                            company_degree: float = 4.0,
                            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Professional layer: Barabasi-Albert hubs plus clustered company cliques.

    **Growth** (Barabasi & Albert 1999). The seed is a star: node m linked to ``0..m-1``
    (networkx's ``star_graph(m)`` up to labels). Each later node ``t = m+1..n-1`` adds m
    edges. Edge e (``0 <= e < E = m (n - m)``) has source ``t(e) = e // m + m`` and, for
    ``e >= m``, a target chosen with probability proportional to degree, i.e. a uniform entry
    of the repeated-nodes list ``L = [s(0), t(0), s(1), t(1), ...]`` restricted to the
    ``2 m (e // m)`` entries of earlier nodes (Batagelj & Brandes 2005). Draw
    ``r ~ U{0, ..., 2 m (e // m) - 1}``: an even r is a source, known in closed form; an odd r
    is the target of the earlier edge ``(r - 1) / 2``, resolved for all edges at once by
    pointer jumping (chains are O(log E) long and halve each round). As in networkx a node's
    m targets are distinct: repeats (~300 nodes at n = 10^6, m = 5) are redrawn, so there are
    exactly ``m (n - m)`` growth edges, mean degree ``2 m (n - m) / n``.

    **Companies.** A random permutation of the nodes (so companies are independent of age
    and degree) is cut into contiguous blocks, sizes ``2 + Geometric - 1`` with mean
    ``S = max(company_size, 2)``. Member i adds ``Poisson(mu_c)`` links to uniform colleagues
    other than itself. By Poisson splitting, a pair of colleagues gets ``Poisson(lambda_c)``
    links independently of all other pairs; with ``lambda_c = -ln(1 - p_c)``,
    ``p_c = min(d / (s_c - 1), 0.999)`` and ``mu_c = lambda_c (s_c - 1) / 2`` each company is
    exactly an Erdos-Renyi graph ``G(s_c, p_c)`` after merging duplicates: mean company degree
    d = ``company_degree`` (lower only in companies with ``s_c <= d + 1``, which become
    near-cliques), and the triangles give the layer its clustering. The growth draws come
    first, so ``company_degree`` does not change the hub backbone for a given rng state.

    Args:
        n: number of nodes, >= 2.
        m: edges per new node, an integer in [1, n - 1].
        company_size: mean company size S (nodes), >= 1 (values below 2 act as 2).
        company_degree: mean number of links to colleagues d (edges per node), >= 0; 0 gives
            the plain Barabasi-Albert graph.
        rng: source of all randomness.

    Returns:
        ``(edges, company)``: the canonical edge array and an ``int32`` company label per node.
    """
    n = _check_int("n", n, 2, None)
    m = _check_int("m", m, 1, n - 1)
    csize = _check_real("company_size", company_size, 1.0, math.inf)
    d = _check_real("company_degree", company_degree, 0.0, math.inf, finite=True)
    _check_rng(rng)

    n_edges = m * (n - m)
    tgt = _attachment_targets(n, m, rng)
    src = np.arange(n_edges, dtype=np.int64) // m + m

    sizes = _block_sizes(n, csize, 2, rng)
    order = rng.permutation(n)
    block = np.repeat(np.arange(sizes.size, dtype=np.int32), sizes)
    company = np.empty(n, dtype=np.int32)
    company[order] = block
    if d > 0:
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        p = np.minimum(d / np.maximum(sizes - 1, 1), _P_MAX)
        mu = np.where(sizes > 1, -np.log1p(-p) * (sizes - 1) / 2, 0.0)
        pos = np.repeat(np.arange(n, dtype=np.int64), rng.poisson(mu[block]))
        c = block[pos]
        width = sizes[c]
        shift = rng.integers(1, width) if pos.size else np.zeros(0, np.int64)
        mate = starts[c] + (pos - starts[c] + shift) % width
        src = np.concatenate((src, order[pos]))
        tgt = np.concatenate((tgt, order[mate]))
    return canonical_edges(src, tgt, n), company


def _attachment_targets(n: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """Targets of the ``m (n - m)`` growth edges (see :func:`preferential_attachment`).

    Nodes go in O(log n) blocks ``[T, 2T)``: pointers into earlier blocks are final after one
    lookup, and a node's repeated targets are redrawn (rejection sampling of m distinct
    targets, as networkx does) before later blocks copy them. Merging repeats instead would
    leave both entries in L and make the largest hubs ~1.5x larger than networkx's.
    """
    n_edges = m * (n - m)
    tgt = np.empty(n_edges, dtype=np.int64)
    tgt[:m] = np.arange(m)
    lo_node = m + 1
    while lo_node < n:
        hi_node = min(n, 2 * lo_node)
        lo, hi = m * (lo_node - m), m * (hi_node - m)
        # Node t may draw any of the 2 m (t - m) entries of L written before its own edges.
        bound = np.repeat(2 * m * np.arange(lo_node - m, hi_node - m, dtype=np.int64), m)
        r = rng.integers(0, bound)
        new = _resolve(tgt, r, lo, m)
        rows = np.arange((hi - lo) // m)
        while m > 1 and rows.size:
            g = new.reshape(-1, m)[rows]
            order = np.argsort(g, axis=1, kind="stable")
            srt = np.take_along_axis(g, order, axis=1)
            again = (rows[:, None] * m + order[:, 1:])[srt[:, 1:] == srt[:, :-1]]
            if not again.size:
                break
            r[again] = rng.integers(0, bound[again])
            old, new = new, _resolve(tgt, r, lo, m)
            # Only redrawn rows and rows whose targets moved (edges that copied a redrawn
            # one) can hold a repeat now.
            rows = np.unique(np.concatenate((again, np.flatnonzero(new != old))) // m)
        tgt[lo:hi] = new
        lo_node = hi_node
    return tgt


def _resolve(tgt: np.ndarray, r: np.ndarray, lo: int, m: int) -> np.ndarray:
    """Targets of edges ``lo, lo+1, ...`` that copy entry ``r`` of L; ``tgt[:lo]`` is final.

    Even entries are sources, ``(r / 2) // m + m``; odd entries are the target of edge
    ``r // 2``, looked up directly when it lies before ``lo`` and otherwise found by pointer
    jumping, each round doubling how far back the unresolved pointers reach.
    """
    p = r >> 1
    odd = (r & 1).astype(bool)
    val = np.where(odd, -1, p // m + m)
    early = odd & (p < lo)
    val[early] = tgt[p[early]]
    ptr = p - lo
    todo = np.flatnonzero(val < 0)
    while todo.size:
        q = ptr[todo]
        got = val[q]
        done = got >= 0
        val[todo[done]] = got[done]
        todo, q = todo[~done], q[~done]
        ptr[todo] = ptr[q]
    return val


def _block_sizes(n: int, mean: float, minimum: int, rng: np.random.Generator) -> np.ndarray:
    """Sizes (int64, sum n) of contiguous blocks: ``minimum - 1 + Geometric``, mean ``mean``.

    The shifted geometric is the maximum-entropy law on ``{minimum, minimum+1, ...}`` with a
    given mean. The last block is cut at n and, if then below ``minimum``, merged into the
    one before it.
    """
    mean = max(mean, float(minimum))
    if mean >= n:
        return np.array([n], dtype=np.int64)
    q = 1.0 / (mean - minimum + 1.0)
    chunks, total = [], 0
    while total < n:
        # ~25% more blocks than expected, so one draw almost always covers n.
        draw = rng.geometric(q, size=int(1.25 * (n - total) / mean) + 16) + (minimum - 1)
        chunks.append(draw)
        total += int(draw.sum())
    sizes = np.concatenate(chunks).astype(np.int64)
    ends = np.cumsum(sizes)
    count = int(np.searchsorted(ends, n)) + 1
    sizes = sizes[:count]
    sizes[-1] -= ends[count - 1] - n
    if sizes[-1] < minimum and count > 1:
        sizes[-2] += sizes[-1]
        sizes = sizes[:-1]
    return sizes


def _check_int(name: str, value: object, lo: int, hi: int | None) -> int:
    allowed = f"an integer in [{lo}, {hi}]" if hi is not None else f"an integer >= {lo}"
    if (isinstance(value, bool) or not isinstance(value, Integral) or value < lo
            or (hi is not None and value > hi)):
        raise ValueError(f"{name}={value!r}: must be {allowed}")
    return int(value)


def _check_real(name: str, value: object, lo: float, hi: float, *,
                finite: bool = False) -> float:
    allowed = f"a finite number >= {lo}" if finite else f"a number in [{lo}, {hi}]"
    x = float(value) if isinstance(value, Real) and not isinstance(value, bool) else math.nan
    if math.isnan(x) or x < lo or x > hi or (finite and math.isinf(x)):
        raise ValueError(f"{name}={value!r}: must be {allowed}")
    return x


def _check_rng(rng: object) -> None:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng={rng!r}: must be a numpy.random.Generator")
