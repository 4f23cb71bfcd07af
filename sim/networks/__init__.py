"""Layers: graph generators, graph files and the CSR form the engine reads."""

from .generators import canonical_edges, community_small_world, preferential_attachment
from .io import GraphFileError, read_graph
from .layer import Layer

__all__ = ["GraphFileError", "Layer", "canonical_edges", "community_small_world",
           "preferential_attachment", "read_graph"]
