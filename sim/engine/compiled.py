"""Compiled loops (numba) for the one place numpy cannot get to: many small cascades in a row.

A cascade of a few dozen agents costs the step-by-step numpy kernel a few dozen array calls
per step, microseconds each whatever the arrays' size; at 10^4 nodes that fixed cost is
almost the whole cascade. :func:`run_cascades` runs a batch of independent cascades (C6 with
P = p) in one compiled call instead, each exactly as :class:`sim.engine.kernel.
IndependentCascade` runs it; :func:`start_cascade` and :func:`advance_cascade` run one
cascade in resumable pieces. Random numbers are not drawn here: every cascade's successful
exposures are drawn from its own stream, in Python, by the caller
(:class:`sim.engine.kernel.CascadeBatch`), which keeps every draw numpy's own.

The world's layers are one CSR over ``(layer, agent)`` rows: row ``l * n + a`` starts at
``starts[l * n + a]`` in ``indices`` and has ``degree[l * n + a]`` entries (``indices`` int32,
the others int64).

The functions are compiled on first use and cached on disk next to this module (numba's
``cache=True``), so compilation (seconds) is paid once per machine and loading the cached
code (a fraction of a second) once per process.
"""

from __future__ import annotations

import numba
import numpy as np

#: Fields of a cascade's ``state`` array (int64).
SIZE, BASE, NEXT, STEPS, ACTIVE, EXAMINED, NEED = range(7)
STATE_FIELDS = 7


@numba.njit(cache=True, nogil=True)
def start_cascade(degree: np.ndarray, n: int, agents: np.ndarray, layers: np.ndarray,
                  stamp: np.ndarray, token: int, front: np.ndarray, front_layer: np.ndarray,
                  state: np.ndarray) -> None:
    """Activate the seeds ``agents`` (on ``layers``) of a cascade marked ``token``.

    ``stamp[a] == token`` marks the cascade's active agents (the array is never reset: each
    cascade takes a fresh token); the seeds become the frontier (``front``, ``front_layer``)
    and ``state`` is set for :func:`advance_cascade`.
    """
    state[:] = 0
    state[NEED] = -1
    for s in range(agents.size):
        a = agents[s]
        stamp[a] = token
        front[s] = a
        front_layer[s] = layers[s]
        state[EXAMINED] += degree[layers[s] * n + a]
    state[SIZE] = agents.size
    state[ACTIVE] = agents.size


@numba.njit(cache=True, nogil=True)
def advance_cascade(starts: np.ndarray, indices: np.ndarray, degree: np.ndarray, n: int,
                    n_layers: int, successes: np.ndarray, known: int, horizon: int,
                    stamp: np.ndarray, token: int, front: np.ndarray, front_layer: np.ndarray,
                    scratch: np.ndarray, state: np.ndarray) -> None:
    """Step a started cascade until it ends, ``horizon`` steps ran, or draws run out.

    Step ``t``: the frontier, ordered by layer (stable), exposes each neighbour of each of
    its agents on the agent's activation layer; exposures are numbered from 0 across the
    cascade's steps in that order (layers, frontier order, CSR order); exposure ``x``
    succeeds iff ``x`` is in ``successes`` (increasing; every success up to ``known`` is
    there). A child not yet active activates at its first successful exposure, on that
    exposure's layer; the activated agents, in the order of their first success, are the
    next frontier. A step that convinces no one still counts if some neighbour of the
    frontier was not active; the cascade ends after it.

    When a step needs outcomes past ``known``, ``state[NEED]`` is set to the number of
    exposures whose outcome must be known and the cascade stops before that step; call
    again with ``successes`` extended (a longer prefix of the same sequence) to go on.

    Args:
        starts: row starts of the multiplex CSR (see the module), int64.
        indices: its neighbour ids, int32.
        degree: its row lengths, int64.
        n: agents.
        n_layers: layers.
        successes: the cascade's successful exposure numbers drawn so far, increasing.
        known: every success up to this exposure number is in ``successes``.
        horizon: most steps of the cascade.
        stamp: (n,) int32, ``stamp[a] == token`` iff ``a`` is active in the cascade.
        token: the cascade's token (see :func:`start_cascade`).
        front: the frontier's agents (its first ``state[SIZE]`` entries), int64, length n.
        front_layer: the layer each frontier agent was activated on, int64, length n.
        scratch: (6, n) int64 work space.
        state: the cascade's counters (``SIZE`` ... ``NEED``), updated in place.
    """
    nxt, nxt_layer, shift, row_end = scratch[0], scratch[1], scratch[2], scratch[3]
    kids, kid_layer = scratch[4], scratch[5]
    size, base, k = state[SIZE], state[BASE], state[NEXT]
    state[NEED] = -1
    k_end = successes.size
    while state[STEPS] < horizon:
        if n_layers > 1:                          # stable order of the frontier by layer
            m = 0
            for lay in range(n_layers):
                for i in range(size):
                    if front_layer[i] == lay:
                        shift[m] = front[i]
                        row_end[m] = lay
                        m += 1
            for i in range(size):
                front[i] = shift[i]
                front_layer[i] = row_end[i]
        # per frontier row: where its exposures end, and the shift from an exposure's
        # offset to its neighbour's place in `indices` (one lookup per row, not per success)
        total = 0
        for i in range(size):
            r = front_layer[i] * n + front[i]
            shift[i] = starts[r] - total
            total += degree[r]
            row_end[i] = total
        if total == 0:
            break
        end = base + total
        if end - 1 > known:
            state[NEED] = end
            break
        new = 0
        row = 0
        while k < k_end and successes[k] < end:
            # two passes over a chunk of the step's successes: first every receiver (loads
            # that do not wait on each other), then which of them activate
            got = 0
            while k < k_end and successes[k] < end and got < n:
                offset = successes[k] - base
                while offset >= row_end[row]:
                    row += 1
                kids[got] = indices[shift[row] + offset]
                kid_layer[got] = front_layer[row]
                got += 1
                k += 1
            for i in range(got):
                child = kids[i]
                if stamp[child] != token:
                    stamp[child] = token
                    nxt[new] = child
                    nxt_layer[new] = kid_layer[i]
                    new += 1
        if new == 0:
            # the step happened if some exposure could have convinced someone
            pending = False
            for i in range(size):
                r = front_layer[i] * n + front[i]
                for e in range(starts[r], starts[r] + degree[r]):
                    if stamp[indices[e]] != token:
                        pending = True
                        break
                if pending:
                    break
            if pending:
                state[STEPS] += 1
            size = 0
            break
        state[STEPS] += 1
        state[ACTIVE] += new
        for i in range(new):
            front[i] = nxt[i]
            front_layer[i] = nxt_layer[i]
            state[EXAMINED] += degree[nxt_layer[i] * n + nxt[i]]
        size = new
        base = end
    state[SIZE], state[BASE], state[NEXT] = size, base, k


@numba.njit(cache=True, nogil=True)
def run_cascades(starts: np.ndarray, indices: np.ndarray, degree: np.ndarray, n: int,
                 n_layers: int, seed_ptr: np.ndarray, seed_agents: np.ndarray,
                 seed_layers: np.ndarray, succ_ptr: np.ndarray, successes: np.ndarray,
                 known: np.ndarray, horizon: int, stamp: np.ndarray, token: int,
                 front: np.ndarray, front_layer: np.ndarray,
                 scratch: np.ndarray) -> tuple[np.ndarray, int]:
    """Start and advance cascade ``j`` for each job ``j``, one after the other.

    Job ``j``'s seeds are ``seed_agents[seed_ptr[j]:seed_ptr[j + 1]]`` (on ``seed_layers``),
    its successes ``successes[succ_ptr[j]:succ_ptr[j + 1]]``, known up to ``known[j]``;
    ``front``, ``front_layer`` and ``scratch`` are the work space of
    :func:`advance_cascade`, reused from job to job.

    Returns:
        ``(states, token)``: (jobs, STATE_FIELDS) final states (``NEED >= 0``: the job ran
        out of drawn successes and stopped; run it again, e.g. piece by piece with
        :func:`start_cascade` and :func:`advance_cascade`), and the last token used.
    """
    jobs = seed_ptr.size - 1
    states = np.zeros((jobs, STATE_FIELDS), dtype=np.int64)
    for j in range(jobs):
        token += 1
        start_cascade(degree, n, seed_agents[seed_ptr[j]:seed_ptr[j + 1]],
                      seed_layers[seed_ptr[j]:seed_ptr[j + 1]], stamp, token, front,
                      front_layer, states[j])
        advance_cascade(starts, indices, degree, n, n_layers,
                        successes[succ_ptr[j]:succ_ptr[j + 1]], known[j], horizon, stamp,
                        token, front, front_layer, scratch, states[j])
    return states, token
