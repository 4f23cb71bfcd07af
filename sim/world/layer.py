"""A layer (one platform's graph) in the compressed sparse row form the hot path reads.

NetworkX graphs are the API boundary (:meth:`Layer.from_networkx`, :meth:`Layer.to_networkx`);
inside, a layer is two arrays over the *whole* population: ``indptr`` (length N + 1) and
``indices`` (global agent ids), so non-members simply have degree 0 and every agent id indexes
every layer directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import networkx as nx
import numpy as np
import scipy.sparse as sp

from sim.world.graph_files import networkx_to_edges


@dataclass(frozen=True, eq=False)
class Layer:
    """One platform's undirected graph over a subset (its members) of N agents.

    Attributes:
        name: layer name (``personal``, ``professional``, ``graph``...).
        members: sorted global ids of the layer's members, int64.
        indptr: CSR row pointers over all N agents, length N + 1 (int32 below 2^31 entries).
        indices: CSR neighbour ids (global agent ids), int32.
        labels: for a layer read from a file, ``labels[k]`` is the file's id of member
            ``members[k]``; ``None`` for generated layers.
        groups: community / company label per member (same order as ``members``), or ``None``.
    """

    name: str
    members: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    labels: np.ndarray | None = None
    groups: np.ndarray | None = None

    @classmethod
    def from_edges(cls, name: str, edges: np.ndarray, members: np.ndarray, n_agents: int, *,
                   labels: np.ndarray | None = None,
                   groups: np.ndarray | None = None) -> Layer:
        """Build a layer from an edge array over local ids 0..len(members)-1.

        Args:
            name: the layer's name.
            edges: int array (E, 2) of undirected edges between local ids (each once).
            members: global agent id of each local id, length n_members.
            n_agents: population size N.
            labels: original node ids (file layers), aligned with ``members``.
            groups: community labels, aligned with ``members``.
        """
        members = np.asarray(members, dtype=np.int64)
        edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
        identity = members.size == n_agents and bool(
            members.size == 0 or (members[0] == 0 and np.all(np.diff(members) == 1)))
        if identity:            # local ids are agent ids: nothing to gather or reorder
            u, v = edges[:, 0], edges[:, 1]
        else:
            u, v = members[edges[:, 0]], members[edges[:, 1]]
        # int32 ids while they fit: scipy then converts nothing, and moves half the bytes
        if n_agents < np.iinfo(np.int32).max:
            u, v = u.astype(np.int32), v.astype(np.int32)
        # scipy's COO -> CSR conversion is an O(E) counting sort in compiled code, stable:
        # with each edge's reverse copy first, a canonical edge array (sorted, u < v) gives
        # rows already sorted, and the sort scipy does next has nothing to move
        src = np.concatenate([v, u])
        dst = np.concatenate([u, v])
        a = sp.csr_matrix((np.ones(src.size, dtype=np.int8), (src, dst)),
                          shape=(n_agents, n_agents))
        # int32 row pointers while they fit: the frontier expansion moves half the bytes
        ptr_type = np.int32 if src.size < np.iinfo(np.int32).max else np.int64
        indptr = a.indptr.astype(ptr_type, copy=False)
        indices = a.indices.astype(np.int32, copy=False)
        if identity:
            return cls(name=name, members=members, indptr=indptr, indices=indices,
                       labels=None if labels is None else np.asarray(labels),
                       groups=None if groups is None else np.asarray(groups))
        order = np.argsort(members, kind="stable")
        return cls(name=name, members=members[order], indptr=indptr, indices=indices,
                   labels=None if labels is None else np.asarray(labels)[order],
                   groups=None if groups is None else np.asarray(groups)[order])

    @classmethod
    def from_networkx(cls, name: str, graph: nx.Graph, n_agents: int | None = None) -> Layer:
        """A layer from any NetworkX graph; nodes relabelled 0..n-1 in sorted order.

        When ``n_agents`` exceeds the graph's size, the extra agents are not members.
        """
        edges, labels = networkx_to_edges(graph)
        n = len(labels)
        return cls.from_edges(name, edges, np.arange(n), n_agents or n, labels=labels)

    @property
    def n_agents(self) -> int:
        """Population size N: members and non-members."""
        return self.indptr.size - 1

    @property
    def n_edges(self) -> int:
        """Number of undirected edges (each is stored twice, once per end)."""
        return self.indices.size // 2

    def degree(self) -> np.ndarray:
        """Degree of every agent (0 for non-members), length N, of ``indptr``'s dtype.

        Computed once per layer; the array is read-only (copy it to modify it).
        """
        return self._degree

    def expand(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The neighbours of ``nodes`` concatenated in CSR order, and where each node's run ends.

        Returns:
            ``(children, ends)``: int32 neighbour ids, and ``ends = cumsum(degree[nodes])``, so
            that pair ``j`` belongs to ``nodes[searchsorted(ends, j, side="right")]``.
        """
        nodes = np.asarray(nodes)
        starts = self.indptr[nodes]
        counts = self._degree[nodes]
        ends = counts.cumsum()
        total = int(ends[-1]) if ends.size else 0
        if total == 0:
            return np.empty(0, dtype=np.int32), ends
        # Position of each pair in `indices`: its row start plus its rank inside the row.
        starts -= ends - counts
        pos = starts.repeat(counts)
        pos += np.arange(total, dtype=pos.dtype)
        return self.indices[pos], ends

    def neighbours(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All (node, neighbour) pairs of ``nodes``, vectorised, in CSR order.

        Returns:
            ``(parents, children)``: ``parents[j]`` is the entry of ``nodes`` whose neighbour
            is ``children[j]``; arrays of length sum(degree[nodes]), parents of the dtype of
            ``nodes``, children int32 (the hot path avoids widening copies).
        """
        nodes = np.asarray(nodes)
        children, _ = self.expand(nodes)
        return nodes.repeat(self._degree[nodes]), children

    def reach(self, sharers: np.ndarray, posts: np.ndarray, *,
              rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Who sees a step's share events on this layer (C6): ``(event, child)`` per exposure.

        On a graph every neighbour of a sharer sees each of its shares: ``degree(i)``
        exposures per event, in CSR order. ``posts`` and ``rng`` matter only on layers that
        merge shares of the same post and sample their audience
        (:class:`sim.world.topics.TopicLayer`).
        """
        sharers = np.asarray(sharers)
        children, _ = self.expand(sharers)
        return np.arange(sharers.size).repeat(self._degree[sharers]), children

    @cached_property
    def csr64(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(indptr, indices, degree)`` as int64 (read-only, made once per layer).

        For kernels that gather through them many times: numpy indexes with and computes on
        int64 (intp) arrays several times faster than on int32 ones, at twice the memory.
        """
        out = (self.indptr.astype(np.int64), self.indices.astype(np.int64),
               self._degree.astype(np.int64))
        for array in out:
            array.flags.writeable = False
        return out

    @cached_property
    def _degree(self) -> np.ndarray:
        degree = np.diff(self.indptr)
        degree.flags.writeable = False
        return degree

    def to_networkx(self) -> nx.Graph:
        """The layer as a NetworkX graph over its members' global ids."""
        g = nx.Graph(name=self.name)
        g.add_nodes_from(self.members.tolist())
        rows = np.repeat(np.arange(self.n_agents), self.degree())
        keep = rows < self.indices
        g.add_edges_from(zip(rows[keep].tolist(), self.indices[keep].tolist(), strict=True))
        return g
