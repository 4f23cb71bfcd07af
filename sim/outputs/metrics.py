"""Outcome metrics of a run: virality, per layer and in total (README, "Outputs").

Every metric is a pure function of the model's arrays; :func:`summarise` gathers them into the
flat dict written as ``summary.json``. Definitions are in the README's output reference.
"""

from __future__ import annotations

import numpy as np

from sim.config import Mode
from sim.outputs.money import money_outcomes


def structural_virality(parent: np.ndarray) -> float:
    """Mean shortest-path distance over all pairs of nodes of a tree (Goel et al. 2016).

    ``nu(T) = 2 W(T) / (n (n - 1))``, where the Wiener index ``W(T)`` is, for a tree, the sum
    over its edges of ``s (n - s)``, ``s`` being the size of the subtree below the edge.
    A star of n nodes gives 2(n - 1)/n, a path of n nodes (n + 1)/3. Unit: hops.

    Args:
        parent: ``parent[i]`` is the index (0..n-1) of node i's parent, -1 for the root.

    Returns:
        The structural virality, 0.0 for a tree of fewer than two nodes.

    References:
        Goel, Anderson, Hofman, Watts (2016), The structural virality of online diffusion,
        Management Science 62(1).
    """
    parent = np.asarray(parent, dtype=np.int64)
    n = parent.size
    if n < 2:
        return 0.0
    depth = node_depth(parent)
    size = np.ones(n, dtype=np.int64)
    # Children before parents: add each level's subtree sizes to the level above.
    order = np.argsort(-depth, kind="stable")
    bounds = np.flatnonzero(np.diff(depth[order])) + 1
    for level in np.split(order, bounds):
        level = level[parent[level] >= 0]
        np.add.at(size, parent[level], size[level])
    below = size[parent >= 0]
    wiener = float(np.sum(below * (n - below)))
    return 2.0 * wiener / (n * (n - 1))


def node_depth(parent: np.ndarray) -> np.ndarray:
    """Depth of every node of a forest (roots have depth 0), by pointer jumping in O(log depth)."""
    parent = np.asarray(parent, dtype=np.int64)
    depth = (parent >= 0).astype(np.int64)
    anc = parent.copy()
    while True:
        has = anc >= 0
        if not has.any():
            return depth
        depth = depth + np.where(has, depth[np.where(has, anc, 0)], 0)
        anc = np.where(has, anc[np.where(has, anc, 0)], -1)


def forest(agent: np.ndarray, post: np.ndarray, parent: np.ndarray,
           n_agents: int) -> tuple[np.ndarray, np.ndarray]:
    """Link each activation to its parent activation (same post) and find its tree's root.

    Returns:
        ``(parent_row, root_row)``: index of the parent activation (-1 for seeds) and of the
        seed activation at the root of each activation's diffusion tree.
    """
    key = post.astype(np.int64) * n_agents + agent
    order = np.argsort(key)
    is_child = parent >= 0
    parent_key = post.astype(np.int64) * n_agents + np.where(is_child, parent, 0)
    pos = order[np.searchsorted(key, parent_key, sorter=order)]
    parent_row = np.where(is_child, pos, -1)
    root = np.arange(agent.size)
    anc = parent_row.copy()
    while True:
        has = anc >= 0
        if not has.any():
            break
        root = np.where(has, anc, root)
        anc = np.where(has, parent_row[np.where(has, anc, 0)], -1)
    return parent_row, root


def largest_tree(agent: np.ndarray, post: np.ndarray, parent: np.ndarray,
                 n_agents: int, linked: tuple[np.ndarray, np.ndarray] | None = None
                 ) -> tuple[int, float]:
    """Size and structural virality of the largest diffusion tree among activations.

    ``linked`` is :func:`forest` of the same activations, when already computed.
    """
    if agent.size == 0:
        return 0, 0.0
    parent_row, root = linked if linked is not None else forest(agent, post, parent, n_agents)
    sizes = np.bincount(root, minlength=agent.size)
    rows = np.flatnonzero(root == int(np.argmax(sizes)))
    local = np.full(agent.size, -1, dtype=np.int64)
    local[rows] = np.arange(rows.size)
    tree_parent = np.where(parent_row[rows] >= 0, local[parent_row[rows]], -1)
    return int(rows.size), structural_virality(tree_parent)


def reproduction_number(parent_row: np.ndarray, step: np.ndarray, complete_by: int,
                        sharers: np.ndarray | None = None) -> float:
    """Mean number of secondary shares per first-generation sharer: the cascade's R.

    ``R = sum_{i in G1} c_i / |G1|``, where ``G1`` is the first generation of people who shared
    of their own accord (the shares whose parent is a seed's share, depth 1 in the diffusion
    forest), restricted to those whose children have all been observed (activated at a step
    ``<= complete_by``), and ``c_i`` the number of shares whose parent is share ``i``. Unit:
    shares per sharer. Above 1 a cascade grows from one generation to the next, below 1 it dies
    out: the ratio of the second generation's size to the first's, ``N_2 / N_1``, the
    generation-based reproduction number of epidemiology, on the first complete generation.

    Seeds are left out because their audience is bought, not earned. Later generations are left
    out because a finite population runs out of people to convince: over every share of a
    cascade that has run its course, the mean number of children is
    ``(shares - roots) / shares``, below 1 by construction whatever the cascade's size, and says
    nothing about whether it took off.

    Args:
        parent_row: per share (activation), the index of its parent share, -1 for roots.
        step: per share, the step at which it happened.
        complete_by: last step whose sharers' children have all been decided by the end of
            the run (the last step minus the most steps a share takes to cause another, or
            the last step when nothing was left pending).
        sharers: optional mask restricting ``G1`` (for instance to the shares on one layer);
            children are counted on every layer.

    Returns:
        R, 0.0 when no first-generation sharer completed its generation.
    """
    parent_row = np.asarray(parent_row, dtype=np.int64)
    children = np.bincount(parent_row[parent_row >= 0], minlength=parent_row.size)
    first = node_depth(parent_row) == 1
    done = first & (np.asarray(step) <= complete_by)
    if sharers is not None:
        done &= sharers
    return float(children[done].mean()) if done.any() else 0.0


def audience_decay(window_audience: np.ndarray) -> float:
    """``1 - mean audience of the last third / mean audience of the first third`` of the posts.

    Only posts observed for the full window count (``window_audience >= 0``, in publication
    order): each post's audience is taken at the same age
    (:data:`sim.engine.brand.AUDIENCE_WINDOW` steps after it went out), so the horizon cannot
    cut the last posts short. Positive when later posts reach fewer people. Unit: a fraction.

    Returns:
        The decay, 0.0 when fewer than three posts were observed for the full window or the
        first third reached no one.
    """
    audience = np.asarray(window_audience, dtype=np.float64)
    audience = audience[audience >= 0]
    third = audience.size // 3
    if not third or audience[:third].mean() <= 0:
        return 0.0
    return float(1.0 - audience[-third:].mean() / audience[:third].mean())


def post_audience(model) -> np.ndarray:
    """Agents who saw each brand post (any channel) or were seeded with it, per post."""
    k = model.n_posts
    if model.mode is Mode.independent_cascade:
        return model.first_reached.any(axis=0).sum(keepdims=True)
    return ((model.contacts[:k] > 0) | model.activated[:k]).sum(axis=1)


def posts_table(model) -> dict[str, np.ndarray]:
    """One row per brand post: when it went out, its seeds, audience and cascade size."""
    acts = model.activations()
    seeded = np.bincount(acts["post"][model.seeded_mask(acts)], minlength=model.n_posts)
    return {
        "post": np.arange(model.n_posts),
        "step": np.asarray(model.post_step, dtype=np.int64),
        "published": np.asarray(model.post_step) <= model.t,
        "seeded": seeded[: model.n_posts],
        "audience": post_audience(model),
        "audience_at_window": np.asarray(model.window_audience, dtype=np.int64),
        "activations": model.activated[: model.n_posts].sum(axis=1),
    }


def summarise(model) -> dict[str, float | int | str]:
    """The flat summary of a finished run (definitions in the README's output reference).

    Virality counts brand posts only; negative word of mouth has its own keys. People are
    *reached* when they saw brand content or were seeded with it, *engaged* when they shared a
    brand post of their own accord (a seed placement is not engagement), *seeded* when the
    brand placed a post on them.
    """
    world, k_posts = model.world, model.n_posts
    acts = model.activations()
    ts = model.recorder.arrays()
    out: dict[str, float | int | str] = {"n_agents": int(world.n)}
    for layer in world.layers:
        out[f"members_{layer.name}"] = int(layer.members.size)
        out[f"edges_{layer.name}"] = int(layer.n_edges)

    brand = acts["post"] < k_posts
    seed = model.seeded_mask(acts)[brand]
    agent, post, parent, layer, step = (acts[key][brand] for key in (
        "agent", "post", "parent", "layer", "step"))
    first_reached, first_engaged = model.first_reached, model.first_engaged
    reached = int(np.count_nonzero(first_reached.any(axis=0)))
    engaged = int(np.count_nonzero(first_engaged.any(axis=0)))
    out["reached"] = reached
    out["reached_fraction"] = reached / world.n
    out["engaged"] = engaged
    out["seeded"] = int(np.unique(agent[seed]).size)
    out["activations"] = int(agent.size)
    out["shares"] = int(ts["shares"].sum())
    out["exposures_seen"] = int(ts["seen"].sum())
    out["edges_examined"] = int(model.edges_examined)
    out["steps"] = int(model.t)

    # first step at which each engaged person shared, any channel
    first = np.where(first_engaged > 0, first_engaged, np.iinfo(np.int32).max).min(axis=0)
    first = np.sort(first[first < np.iinfo(np.int32).max] - 1)
    out["days_to_half_engaged"] = int(first[(first.size - 1) // 2]) if first.size else 0
    seen = ts["seen"].sum(axis=1)
    out["peak_new_exposures"] = int(seen.max())
    out["peak_step"] = int(seen.argmax())
    linked = forest(agent, post, parent, world.n) if agent.size else (parent, parent)
    parent_row = linked[0]
    pend = model.pending
    still_open = bool(np.any(pend.post < k_posts)) if len(pend) else False
    complete_by = model.t - model.share_lag if still_open else model.t
    out["reproduction_number"] = reproduction_number(parent_row, step, complete_by)
    out["largest_cascade"], out["structural_virality"] = largest_tree(agent, post, parent,
                                                                      world.n, linked)
    published = int(np.sum(model.post_step <= model.t))
    sizes = model.activated[:published].sum(axis=1)
    out["posts_published"] = published
    out["cascade_mean"] = float(sizes.mean()) if published else 0.0
    out["audience_decay"] = audience_decay(getattr(model, "window_audience", np.empty(0)))

    for k, name in enumerate(model.channels):
        on = layer == k
        shares_k = int(ts["shares"][:, k].sum())
        sent_k = int(ts["sent"][:, k].sum())
        out[f"reached_{name}"] = int(np.count_nonzero(first_reached[k]))
        out[f"engaged_{name}"] = int(np.count_nonzero(first_engaged[k]))
        out[f"shares_{name}"] = shares_k
        if k == model.owned:
            continue
        out[f"reproduction_number_{name}"] = reproduction_number(parent_row, step, complete_by,
                                                                 sharers=on)
        out[f"spillover_{name}"] = (float(ts["spillover"][:, k].sum() / sent_k)
                                    if sent_k else 0.0)
    if model.mode is Mode.full:
        out.update(loyalty_outcomes(model))
        out.update(money_outcomes(model, reached, engaged))
        out["placements_capped"] = int(model.placements_capped[0])
    return out


def loyalty_outcomes(model) -> dict[str, float | int]:
    """Loyalty, detractors, owned channel and loyalty bought per EUR (C8, C10-C12)."""
    cfg = model.config
    loyalty = model.loyalty
    spent = model.ledger.spent
    gain = float(loyalty.mean() - model.initial_loyalty)
    detractors = int(model.activated[model.backlash_post].sum())
    return {
        "mean_loyalty": float(loyalty.mean()),
        "loyalty_gain": gain,
        "loyal_share": float(np.mean(loyalty >= cfg.loyalty.loyal)),
        "detractors": detractors,
        "detractor_share": detractors / model.n_agents,
        "owned_members": int(model.member[model.owned].sum()),
        "loyalty_gain_per_eur": gain * model.n_agents / spent if spent else 0.0,
    }
