"""The topic layer (C14): agents follow conversations; a share into a topic reaches its followers.

"n people follow m conversations": on a Twitter-like platform a post is not sent to friends
but into the topics (hashtags, interest groups) its author follows, and every follower of
those topics may see it. The layer is therefore a bipartite agent-topic graph, kept as two CSR
indexes (agent -> topics followed, topic -> followers), never projected onto agent pairs: a
popular topic of F followers would need F^2 / 2 edges.

Spreading follows the platform's logic rather than a graph's: within one step, a post shared
into a topic by several followers appears once in that topic, attributed to its first sharer
(lowest batch position), and reaches each other follower once per topic. A follower of two
topics that both carry the post sees it twice. The number of exposures a step can create is
thus bounded by posts x follow links, whatever the number of sharers.

The generator draws, for each member, ``1 + Poisson(follows - 1)`` topics from a Zipf
popularity ``w_t ~ (t + 1)^-popularity`` (with replacement, duplicates merged, so the mean is
slightly below ``follows`` when few topics dominate). The number of topics is set from a
mean topic size, so that the audience of a share does not grow with the population; and a
topic feed is crowded: each follower gets a given post of the topic with probability
``visibility``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from sim.arrays import first_of_each
from sim.world.layer import Layer

__all__ = ["TopicLayer", "follow_topics"]


def follow_topics(n_members: int, *, topics: int, follows: float, popularity: float,
                  rng: np.random.Generator) -> np.ndarray:
    """Who follows which topic: an int64 array (F, 2) of (member local id, topic), unique.

    Args:
        n_members: number of members (local ids 0..n_members-1).
        topics: number of topics T.
        follows: mean topics followed per member (>= 1).
        popularity: Zipf exponent of topic popularity (0: all topics equally popular).
        rng: the layer's random stream.
    """
    k = 1 + rng.poisson(max(follows - 1.0, 0.0), size=n_members)
    k = np.minimum(k, topics)
    weight = np.arange(1, topics + 1, dtype=np.float64) ** -popularity
    topic = rng.choice(topics, size=int(k.sum()), p=weight / weight.sum())
    member = np.repeat(np.arange(n_members, dtype=np.int64), k)
    key = np.unique(member * topics + topic)
    return np.column_stack([key // topics, key % topics])


def _csr(rows: np.ndarray, cols: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR (indptr, indices) of the pairs (rows, cols), rows sorted, ties kept in col order."""
    order = np.lexsort((cols, rows))
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    return indptr, cols[order]


@dataclass(frozen=True, eq=False)
class TopicLayer(Layer):
    """A topic platform over N agents (C14): the :class:`Layer` interface on a bipartite graph.

    ``indptr`` encodes each agent's *audience*: ``degree(i) = sum over topics t followed by
    i of (followers_t - 1)``, the agents one share by i can reach before deduplication;
    ``indices`` is empty (the audience is computed, not stored). ``n_edges`` counts follow
    links. ``groups`` is each member's lowest-numbered (most popular) followed topic.

    Attributes:
        follow_ptr, follow_topic: CSR agent -> followed topics (N + 1 and F entries).
        topic_ptr, topic_agent: CSR topic -> followers, global ids (T + 1 and F entries).
        visibility: probability that a follower gets a given post of a topic in its feed.
    """

    follow_ptr: np.ndarray = field(kw_only=True)
    follow_topic: np.ndarray = field(kw_only=True)
    topic_ptr: np.ndarray = field(kw_only=True)
    topic_agent: np.ndarray = field(kw_only=True)
    visibility: float = field(default=1.0, kw_only=True)

    @classmethod
    def from_follows(cls, name: str, follows: np.ndarray, members: np.ndarray, n_agents: int,
                     topics: int, *, visibility: float = 1.0) -> TopicLayer:
        """Build the layer from (local id, topic) pairs of :func:`follow_topics`.

        Args:
            name: the layer's name.
            follows: int array (F, 2) of (member local id, topic).
            members: global agent id of each local id.
            n_agents: number of agents N.
            topics: number of topics T.
            visibility: probability that a follower gets a given post of a topic.

        Returns:
            The layer; its members are the agents who follow at least one topic.
        """
        members = np.asarray(members, dtype=np.int64)
        agent = members[follows[:, 0]]
        topic = follows[:, 1].astype(np.int64)
        follow_ptr, follow_topic = _csr(agent, topic, n_agents)
        topic_ptr, topic_agent = _csr(topic, agent, topics)
        size = np.diff(topic_ptr)
        audience = np.bincount(agent, weights=size[topic] - 1, minlength=n_agents)
        indptr = np.zeros(n_agents + 1, dtype=np.int64)
        np.cumsum(audience.astype(np.int64), out=indptr[1:])
        members = np.flatnonzero(np.diff(follow_ptr) > 0)     # a member follows a topic
        return cls(name=name, members=members, indptr=indptr,
                   indices=np.empty(0, dtype=np.int32), groups=follow_topic[follow_ptr[members]],
                   follow_ptr=follow_ptr, follow_topic=follow_topic, topic_ptr=topic_ptr,
                   topic_agent=topic_agent, visibility=visibility)

    @property
    def n_topics(self) -> int:
        """Number of topics T."""
        return self.topic_ptr.size - 1

    @property
    def n_edges(self) -> int:
        """Follow links (agent, topic)."""
        return self.follow_topic.size

    def followed(self, agents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(index, topic)``: every topic followed by each of ``agents`` (index into agents)."""
        return _gather(self.follow_ptr, self.follow_topic, np.asarray(agents))

    def followers(self, topics: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(index, agent)``: every follower of each of ``topics`` (index into topics)."""
        return _gather(self.topic_ptr, self.topic_agent, np.asarray(topics))

    def neighbours(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every (node, co-follower) pair, one per shared topic, not deduplicated across sharers.

        That is ``degree(node)`` pairs per node, for inspection and k-cores, not the hot path.
        """
        nodes = np.asarray(nodes)
        i, topic = self.followed(nodes)
        j, agent = self.followers(topic)
        parent = nodes[i[j]]
        keep = agent != parent
        return parent[keep], agent[keep].astype(np.int32)

    def expand(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The co-followers of ``nodes`` concatenated, and where each node's run ends.

        Returns:
            ``(children, ends)`` as :meth:`Layer.expand` gives them, from :meth:`neighbours`:
            ``ends = cumsum(degree[nodes])``.
        """
        _, children = self.neighbours(nodes)
        return children, np.cumsum(self._degree[np.asarray(nodes)])

    def reach(self, sharers: np.ndarray, posts: np.ndarray, *,
              rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Who sees the shares of one step (C14): ``(event, child)`` per exposure.

        Each share event puts its post into every topic its sharer follows; a (post, topic)
        pair is kept once, from its first event; every other follower of the topic gets one
        exposure, attributed to that event, with probability ``visibility`` (one draw from
        ``rng`` per follower of each kept pair; ``rng`` is needed when visibility < 1).
        """
        i, topic = self.followed(sharers)
        if topic.size == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int32)
        first = first_of_each(np.asarray(posts, dtype=np.int64)[i] * self.n_topics + topic)
        event, topic = i[first], topic[first]
        j, child = self.followers(topic)
        event = event[j]
        keep = child != np.asarray(sharers)[event]
        if self.visibility < 1.0:
            if rng is None:
                raise ValueError("a topic layer with visibility < 1 needs an rng")
            keep &= rng.random(child.size) < self.visibility
        return event[keep], child[keep].astype(np.int32)

    def to_networkx(self) -> nx.Graph:
        """The bipartite graph: agent nodes (global ids) and topic nodes ``("topic", t)``."""
        g = nx.Graph(name=self.name)
        g.add_nodes_from(self.members.tolist(), bipartite=0)
        g.add_nodes_from((("topic", t) for t in range(self.n_topics)), bipartite=1)
        agent = np.repeat(np.arange(self.n_agents), np.diff(self.follow_ptr))
        g.add_edges_from(zip(agent.tolist(), (("topic", int(t)) for t in self.follow_topic),
                             strict=True))
        return g


def _gather(indptr: np.ndarray, values: np.ndarray,
            rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All entries of CSR ``rows``: ``(index into rows, value)``, in CSR order."""
    counts = indptr[rows + 1] - indptr[rows]
    ends = np.cumsum(counts)
    total = int(ends[-1]) if ends.size else 0
    index = np.repeat(np.arange(rows.size, dtype=np.int64), counts)
    pos = np.repeat(indptr[rows] - (ends - counts), counts) + np.arange(total)
    return index, values[pos]
