"""Content: each post's variants per channel, their fit with a mindset, and emotional resonance.

A post has one *variant* per channel (adapted content, C5) or the same generic variant on every
channel. A variant carries an entertainment value, an insight value and an emotional tone over
the four drivers {fun, ambition, security, achievement} (C4). All functions here are vectorised
over a batch of exposures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import StrategyConfig, Variant

DRIVERS: tuple[str, ...] = ("fun", "ambition", "security", "achievement")

#: Driver activation by session mindset (C4): leisure activates fun, goal activates ambition,
#: security and achievement. Rows: 0 = leisure, 1 = goal. The off-mindset drivers keep a
#: quarter weight: a professional in a goal session still smiles at a joke.
ACTIVATION = np.array([[1.0, 0.25, 0.25, 0.25],
                       [0.25, 1.0, 1.0, 1.0]])


@dataclass(frozen=True, eq=False)
class ContentTable:
    """Per (post, channel) content attributes, and per-post strategy levers.

    Attributes:
        entertainment: (posts, channels) entertainment value in [0, 1].
        insight: (posts, channels) insight value in [0, 1].
        tone: (posts, channels, 4) tone over :data:`DRIVERS`, each in [0, 1].
        authenticity: (posts,) in [0, 1].
        incentive: (posts,) incentive level in [0, 1].
        cta: (posts,) bool, a call to action to the owned channel.
        tones: (T, 4) the distinct tones among all variants.
        tone_id: (posts, channels) row of ``tones`` of each variant.
    """

    entertainment: np.ndarray
    insight: np.ndarray
    tone: np.ndarray
    authenticity: np.ndarray
    incentive: np.ndarray
    cta: np.ndarray
    tones: np.ndarray
    tone_id: np.ndarray


def _values(v: Variant) -> tuple[float, float, list[float]]:
    return v.entertainment, v.insight, [getattr(v, d) for d in DRIVERS]


def content_table(strategy: StrategyConfig, channels: tuple[str, ...]) -> ContentTable:
    """The content of every post of ``strategy`` on every channel.

    Adapted content (C5) uses the ``personal`` variant on the personal layer and the
    ``professional`` variant on the professional layer; every other channel (the owned
    channel, a layer read from a file) and generic content use the ``generic`` variant.
    """
    k, c = strategy.posts, len(channels)
    ent, ins, tone = np.empty((k, c)), np.empty((k, c)), np.empty((k, c, len(DRIVERS)))
    for j, name in enumerate(channels):
        variant = strategy.generic
        if strategy.adapted and name in ("personal", "professional"):
            variant = getattr(strategy, name)
        e, i, t = _values(variant)
        ent[:, j], ins[:, j], tone[:, j] = e, i, t
    tones, tone_id = np.unique(tone.reshape(-1, len(DRIVERS)), axis=0, return_inverse=True)
    return ContentTable(entertainment=ent, insight=ins, tone=tone, tones=tones,
                        tone_id=tone_id.reshape(k, c).astype(np.int64),
                        authenticity=np.full(k, strategy.authenticity),
                        incentive=np.full(k, strategy.incentive),
                        cta=np.full(k, strategy.cta))


def fit(table: ContentTable, post: np.ndarray, channel: np.ndarray,
        goal: np.ndarray) -> np.ndarray:
    """Content fit with the session mindset (C1, C2), in [0, 1].

    ``fit = insight`` in a goal session, ``entertainment`` in a leisure session: people spend
    time on personal networks and invest it on professional ones.
    """
    return np.where(goal, table.insight[post, channel], table.entertainment[post, channel])


def resonance(drivers: np.ndarray, tone: np.ndarray, goal: np.ndarray) -> np.ndarray:
    """Emotional resonance of content with an agent in a mindset (C4), in [0, 1].

    ``res = sum_d a_d(m) w_d tau_d / sum_d a_d(m) w_d``: the tone averaged over the drivers
    the mindset activates, weighted by how much the agent cares about each.

    Args:
        drivers: (k, 4) driver weights w of the receiving agents.
        tone: (k, 4) tone tau of the content they see.
        goal: (k,) bool, True for a goal mindset.
    """
    weight = ACTIVATION[goal.astype(np.int64)] * drivers
    return (weight * tone).sum(axis=1) / np.maximum(weight.sum(axis=1), 1e-12)


def resonance_table(drivers: np.ndarray, tones: np.ndarray) -> np.ndarray:
    """Resonance of every agent with each distinct tone in each mindset (C4), precomputed.

    Content has few distinct tones (one per variant), so the step looks resonance up in this
    (T, 2, N) table instead of recomputing :func:`resonance` per exposure; entry
    ``[t, m, i]`` equals ``resonance(drivers[i], tones[t], goal=m)`` exactly.

    Args:
        drivers: (N, 4) driver weights of every agent.
        tones: (T, 4) distinct tones.
    """
    n = drivers.shape[0]
    table = np.empty((tones.shape[0], 2, n))
    # driver-major (4, N) rows: each sum over the four drivers is three adds of whole rows, in
    # the order numpy's per-agent sum takes them (d0 + d1 + d2 + d3), so the entries are
    # resonance()'s bit for bit, without numpy's slow reduction of N rows of four
    columns = np.ascontiguousarray(drivers.T)
    for m in (0, 1):
        weight = ACTIVATION[m][:, None] * columns
        total = _sum_rows(weight)
        np.maximum(total, 1e-12, out=total)
        for t, tone in enumerate(tones):
            np.divide(_sum_rows(weight * tone[:, None]), total, out=table[t, m])
    return table


def _sum_rows(rows: np.ndarray) -> np.ndarray:
    """``rows[0] + rows[1] + ...``, added left to right."""
    out = rows[0].copy()
    for row in rows[1:]:
        out += row
    return out
