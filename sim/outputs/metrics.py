"""Outcome metrics of a run: virality, per layer and in total (README, "Outputs").

Every metric is a pure function of the model's arrays; :func:`summarise` gathers them into the
flat dict written as ``summary.json``. Definitions are in the README's output reference.
"""

from __future__ import annotations

import numpy as np

from sim.config import Mode


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
                 n_agents: int) -> tuple[int, float]:
    """Size and structural virality of the largest diffusion tree among activations."""
    if agent.size == 0:
        return 0, 0.0
    parent_row, root = forest(agent, post, parent, n_agents)
    sizes = np.bincount(root, minlength=agent.size)
    rows = np.flatnonzero(root == int(np.argmax(sizes)))
    local = np.full(agent.size, -1, dtype=np.int64)
    local[rows] = np.arange(rows.size)
    tree_parent = np.where(parent_row[rows] >= 0, local[parent_row[rows]], -1)
    return int(rows.size), structural_virality(tree_parent)


def post_audience(model) -> np.ndarray:
    """Agents who saw each brand post (any channel) or were seeded with it, per post."""
    k = model.n_posts
    if model.mode is Mode.independent_cascade:
        return model.activated[:k].sum(axis=1) + model.exposed.any(axis=0).sum()
    return ((model.contacts[:k] > 0) | model.activated[:k]).sum(axis=1)


def posts_table(model) -> dict[str, np.ndarray]:
    """One row per brand post: when it went out, its seeds, audience and cascade size."""
    acts = model.activations()
    brand = acts["post"] < model.n_posts
    seeds = np.bincount(acts["post"][brand & (acts["parent"] < 0)], minlength=model.n_posts)
    return {
        "post": np.arange(model.n_posts),
        "step": np.asarray(model.post_step, dtype=np.int64),
        "published": np.asarray(model.post_step) <= model.t,
        "seeds": seeds[: model.n_posts],
        "audience": post_audience(model),
        "activations": model.activated[: model.n_posts].sum(axis=1),
    }


def summarise(model) -> dict[str, float | int | str]:
    """The flat summary of a finished run (definitions in the README's output reference).

    Virality counts brand posts only; negative word of mouth has its own keys.
    """
    world, k_posts = model.world, model.n_posts
    acts = model.activations()
    ts = model.recorder.arrays()
    out: dict[str, float | int | str] = {"n_agents": int(world.n)}
    for layer in world.layers:
        out[f"members_{layer.name}"] = int(layer.members.size)
        out[f"edges_{layer.name}"] = int(layer.n_edges)

    brand = acts["post"] < k_posts
    agent, post, parent, layer = (acts[key][brand] for key in ("agent", "post", "parent",
                                                                "layer"))
    owned = model.owned if model.mode is Mode.full else -1     # channel index, or none
    reach = int(model.activated[:k_posts].any(axis=0).sum())
    out["reach"] = reach
    out["reach_fraction"] = reach / world.n
    out["activations"] = int(agent.size)
    out["seeds"] = int(np.sum((parent < 0) & (layer != owned)))
    out["exposed"] = int(model.exposed.any(axis=0).sum())
    out["shares"] = int(ts["shares"].sum())
    out["exposures_seen"] = int(ts["seen"].sum())
    out["edges_examined"] = int(model.edges_examined)
    out["steps"] = int(model.t)

    cum = np.cumsum(ts["activations"].sum(axis=1))
    out["time_to_half_reach"] = int(np.searchsorted(cum, cum[-1] / 2.0)) if cum[-1] else 0
    seen = ts["seen"].sum(axis=1)
    out["peak_new_exposures"] = int(seen.max())
    out["peak_step"] = int(seen.argmax())
    out["r_eff"] = float(np.mean(parent >= 0)) if agent.size else 0.0
    out["largest_cascade"], out["structural_virality"] = largest_tree(agent, post, parent,
                                                                      world.n)
    published = int(np.sum(model.post_step <= model.t))
    sizes = model.activated[:published].sum(axis=1)
    out["posts_published"] = published
    out["cascade_mean"] = float(sizes.mean()) if published else 0.0
    audience = post_audience(model)[:published]
    third = published // 3
    out["reach_decay"] = (float(1.0 - audience[-third:].mean() / audience[:third].mean())
                          if third and audience[:third].mean() > 0 else 0.0)

    for k, name in enumerate(model.channels):
        on = layer == k
        shares_k = int(ts["shares"][:, k].sum())
        sent_k = int(ts["sent"][:, k].sum())
        reached = np.zeros(model.n_agents, dtype=bool)
        reached[agent[on]] = True
        out[f"reach_{name}"] = int(np.count_nonzero(reached))
        out[f"exposed_{name}"] = int(model.exposed[k].sum())
        out[f"shares_{name}"] = shares_k
        if k == owned:
            continue
        out[f"r_eff_{name}"] = (float(np.sum(on & (parent >= 0)) / shares_k)
                                if shares_k else 0.0)
        out[f"spillover_{name}"] = (float(ts["spillover"][:, k].sum() / sent_k)
                                    if sent_k else 0.0)
    if model.mode is Mode.full:
        out.update(loyalty_outcomes(model, reach))
    return out


def loyalty_outcomes(model, reach: int) -> dict[str, float | int]:
    """Loyalty, detractors, owned channel and budget outcomes (C8, C10-C12)."""
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
        "budget_total": float(cfg.budget.total),
        "budget_spent": float(spent),
        "budget_seeds": float(model.ledger.lines.get("seeds", 0.0)),
        "budget_incentives": float(model.ledger.lines.get("incentive", 0.0)),
        "reach_per_budget": reach / spent if spent else 0.0,
        "loyalty_gain_per_budget": gain * model.n_agents / spent if spent else 0.0,
    }
