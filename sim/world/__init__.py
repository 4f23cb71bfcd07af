"""The world a run happens in: the population and its layers (C13-C15).

The population and its layers, one graph per platform, are built in
:mod:`sim.world.population`; the graph generators are :mod:`sim.world.generators`, graph
files :mod:`sim.world.graph_files`, a layer :mod:`sim.world.layer` and the topic layer
:mod:`sim.world.topics`.

NetworkX graphs are the boundary (:func:`sim.world.layer.Layer.from_networkx`); inside, a layer
is a CSR adjacency the engine reads.
"""

from sim.world.layer import Layer
from sim.world.population import World, build_world, single_layer_world

__all__ = ["Layer", "World", "build_world", "single_layer_world"]
