"""The world a run happens in: the population, its layers (one graph per platform), graph
generators and graph files, and the topic layer (C13-C15).

NetworkX graphs are the boundary (:func:`sim.world.layer.Layer.from_networkx`); inside, a layer
is a CSR adjacency the engine reads.
"""

from sim.world.layer import Layer
from sim.world.population import World, build_world, single_layer_world

__all__ = ["Layer", "World", "build_world", "single_layer_world"]
