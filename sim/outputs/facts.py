"""Stylised facts measured on a run: cascade sizes, structural virality, engagement, membership.

Each metric here measures, on the model's state, one published figure listed in
``conf/calibration/targets.yaml`` (sources and how each maps onto the model: ``docs/facts.md``).

A **cascade** is the diffusion tree of one paid seed placement of one brand post: the seeded
activation (parent -1) and all the activations that descend from it through shares, cross-posts
included. Trees rooted at an owned-channel reader (who got the post from the brand directly and
shared it of its own accord) are not placements and are left out. Like Goel et al. (2016), the
size of a cascade counts its root: a placement nobody reshared has size 1.

Everything is computed with whole-array numpy operations; the only Python loop runs over the
generations of the diffusion forest (its depth), never over agents, activations or edges.
Undefined values (no cascade, no large cascade, no exposure on a layer) are ``None``, written
as ``null`` in ``summary.json``.
"""

from __future__ import annotations

import numpy as np

from sim.config import Mode
from sim.outputs.metrics import forest, node_depth

#: Size at and above which a cascade counts as large (Goel et al. 2016 study the diffusion
#: trees with at least 100 nodes).
LARGE_CASCADE = 100
#: Size at and above which a cascade is counted by ``cascade_size_10_fraction``.
MID_CASCADE = 10


def subtree_sizes(parent: np.ndarray, depth: np.ndarray | None = None) -> np.ndarray:
    """Number of nodes in the subtree below (and including) every node of a forest.

    Sizes are added to parents one generation at a time, deepest first.

    Args:
        parent: ``parent[i]``, index of node i's parent, -1 for roots.
        depth: :func:`sim.outputs.metrics.node_depth` of ``parent``, when already computed.
    """
    parent = np.asarray(parent, dtype=np.int64)
    if depth is None:
        depth = node_depth(parent)
    size = np.ones(parent.size, dtype=np.int64)
    order = np.argsort(-depth, kind="stable")
    bounds = np.flatnonzero(np.diff(depth[order])) + 1
    for level in np.split(order, bounds):
        level = level[parent[level] >= 0]
        np.add.at(size, parent[level], size[level])
    return size


def forest_root(parent: np.ndarray) -> np.ndarray:
    """Index of the root of every node's tree, by pointer jumping."""
    parent = np.asarray(parent, dtype=np.int64)
    root = np.where(parent >= 0, parent, np.arange(parent.size))
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            return root
        root = nxt


def tree_virality(parent: np.ndarray, root: np.ndarray | None = None,
                  depth: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Size, depth and structural virality of every tree of a forest, indexed by root node.

    Structural virality (Goel et al. 2016) is the mean distance between all pairs of nodes of
    a tree, ``2 W / (n (n - 1))``; the Wiener index ``W`` of a tree is the sum over its edges
    of ``s (n - s)``, ``s`` the size of the subtree below the edge. A chain of 3 nodes gives
    4/3, a star of 4 nodes 1.5, a single node 0.

    Args:
        parent: ``parent[i]``, index of node i's parent, -1 for roots.
        root: :func:`forest_root` of ``parent``, when already computed.
        depth: :func:`sim.outputs.metrics.node_depth` of ``parent``, when already computed.

    Returns:
        ``(size, height, virality)``, three arrays over all nodes whose entries at a root are
        its tree's number of nodes, largest depth (0 for a lone root) and structural virality
        (0.0 below two nodes); entries at other nodes are meaningless.
    """
    parent = np.asarray(parent, dtype=np.int64)
    n = parent.size
    if depth is None:
        depth = node_depth(parent)
    if root is None:
        root = forest_root(parent)
    size = subtree_sizes(parent, depth)
    child = parent >= 0
    whole = size[root[child]]                       # size of each edge's tree
    below = size[child]
    wiener = np.bincount(root[child], weights=(below * (whole - below)).astype(np.float64),
                         minlength=n)
    height = np.zeros(n, dtype=np.int64)
    np.maximum.at(height, root, depth)
    pairs = size * (size - 1) / 2.0
    virality = np.divide(wiener, pairs, out=np.zeros(n), where=pairs > 0)
    return size, height, virality


def cascade_facts(parent: np.ndarray, placement: np.ndarray,
                  root: np.ndarray | None = None) -> dict[str, float | int | None]:
    """Cascade-size and structural-virality facts over the cascades of seed placements.

    Args:
        parent: per activation, the index of its parent activation (-1 for roots), as
            :func:`sim.outputs.metrics.forest` returns it.
        placement: per activation, whether it is a paid seed placement (the root of a
            cascade); other roots (owned-channel readers) are not cascades.
        root: per activation, the index of its tree's root, when already computed.

    Returns:
        ``cascades`` (number of placements), ``cascade_unshared_fraction`` (share of cascades
        of size 1), ``cascade_shallow_fraction`` (share whose tree ends within one generation:
        depth <= 1), ``cascade_size_mean`` (mean size, root included),
        ``cascade_size_10_fraction`` and ``cascade_size_100_fraction`` (share of size >= 10 /
        >= 100), ``structural_virality_large`` (median structural virality of the cascades of
        size >= 100). ``None`` where undefined.
    """
    parent = np.asarray(parent, dtype=np.int64)
    roots = np.flatnonzero(np.asarray(placement, dtype=bool) & (parent < 0))
    out: dict[str, float | int | None] = {"cascades": int(roots.size)}
    if roots.size == 0:
        out.update(dict.fromkeys(("cascade_unshared_fraction", "cascade_shallow_fraction",
                                  "cascade_size_mean", "cascade_size_10_fraction",
                                  "cascade_size_100_fraction", "structural_virality_large")))
        return out
    size, height, virality = tree_virality(parent, root)
    sizes, heights = size[roots], height[roots]
    large = sizes >= LARGE_CASCADE
    out["cascade_unshared_fraction"] = float(np.mean(sizes == 1))
    out["cascade_shallow_fraction"] = float(np.mean(heights <= 1))
    out["cascade_size_mean"] = float(sizes.mean())
    out["cascade_size_10_fraction"] = float(np.mean(sizes >= MID_CASCADE))
    out["cascade_size_100_fraction"] = float(np.mean(large))
    out["structural_virality_large"] = (float(np.median(virality[roots[large]]))
                                        if large.any() else None)
    return out


def _ratio(num: float, den: float) -> float | None:
    return float(num / den) if den > 0 else None


def layer_facts(names: tuple[str, ...], seen: np.ndarray, sent: np.ndarray,
                organic: np.ndarray) -> dict[str, float | None]:
    """Engagement rate and feed reach per layer, and their professional / personal ratio.

    Args:
        names: the layers' names, in index order (the owned channel excluded).
        seen: brand exposures seen per layer over the run.
        sent: brand exposures sent into feeds per layer over the run.
        organic: shares of one's own accord per layer (activations with a parent, on the
            layer the exposure that caused them was seen on).

    Returns:
        ``engagement_rate_<layer>``: ``organic / seen`` (shares per brand exposure seen);
        ``feed_reach_<layer>``: ``seen / sent`` (share of the exposures sent into members'
        feeds that their receiver saw before they expired; those still waiting at the horizon
        count as unseen); ``engagement_ratio``: ``engagement_rate_professional /
        engagement_rate_personal`` when both layers exist. ``None`` where undefined.
    """
    out: dict[str, float | None] = {}
    for k, name in enumerate(names):
        out[f"engagement_rate_{name}"] = _ratio(organic[k], seen[k])
        out[f"feed_reach_{name}"] = _ratio(seen[k], sent[k])
    pro, per = out.get("engagement_rate_professional"), out.get("engagement_rate_personal")
    out["engagement_ratio"] = _ratio(pro, per) if pro is not None and per is not None else None
    return out


def platform_facts(config, members: dict[str, int]) -> dict[str, float | None]:
    """The seed articles' platform figures: membership, mindset and receptivity ratios.

    ``membership_ratio`` is measured on the world (members of the professional layer over
    members of the personal one); the mindset and receptivity ratios are those of the layers'
    settings, from which every session's mindset is drawn and every share probability scaled:
    ``goal_ratio = p_goal_professional / p_goal_personal``, ``leisure_ratio = (1 -
    p_goal_personal) / (1 - p_goal_professional)``, ``receptivity_ratio =
    receptivity_professional / receptivity_personal``. ``None`` unless both layers exist.
    """
    keys = ("membership_ratio", "goal_ratio", "leisure_ratio", "receptivity_ratio")
    if "personal" not in members or "professional" not in members:
        return dict.fromkeys(keys)
    per, pro = config.network.personal, config.network.professional
    return {
        "membership_ratio": _ratio(members["professional"], members["personal"]),
        "goal_ratio": _ratio(pro.p_goal, per.p_goal),
        "leisure_ratio": _ratio(1.0 - per.p_goal, 1.0 - pro.p_goal),
        "receptivity_ratio": _ratio(pro.receptivity, per.receptivity),
    }


def summarise_facts(model) -> dict[str, float | int | None]:
    """Every stylised-fact metric of a finished run (full mode; cascade facts in both modes).

    Brand posts only: the backlash's activations are not cascades of the brand.
    """
    acts = model.activations()
    brand = acts["post"] < model.n_posts
    placement = model.seeded_mask(acts)[brand]
    agent, post, parent, layer = (acts[key][brand] for key in ("agent", "post", "parent",
                                                                 "layer"))
    parent_row, root = forest(agent, post, parent, model.n_agents)
    out: dict[str, float | int | None] = dict(cascade_facts(parent_row, placement, root))
    if model.mode is not Mode.full:
        return out
    names = tuple(model.layer_names)
    k = len(names)
    ts = model.recorder.arrays()
    organic = np.bincount(layer[(parent >= 0) & (layer < k)].astype(np.int64), minlength=k)
    out.update(layer_facts(names, ts["seen"][:, :k].sum(axis=0), ts["sent"][:, :k].sum(axis=0),
                           organic))
    members = {lay.name: int(lay.members.size) for lay in model.world.layers}
    out.update(platform_facts(model.config, members))
    return out
