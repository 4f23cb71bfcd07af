"""Listening (C9): a strategy that re-splits its placements between layers from what it observes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Listener:
    """Listening (C9): Thompson sampling of the layer split from observed engagement.

    Before each post, the engagement rate of each layer, theta_l ~ Beta(1 + shares_l,
    1 + exposures_l - shares_l), is sampled; the value of a placement is theta_l times the
    layer's mean degree over its price; the professional share of the next post's placements
    is the posterior probability that the professional layer is worth more, kept in [0.05,
    0.95] so that both layers stay observed.
    """

    layer_names: tuple[str, ...]
    degree: np.ndarray
    price: np.ndarray
    decisions: list[dict] = field(default_factory=list)

    def split(self, step: int, post: int, shares: np.ndarray, seen: np.ndarray,
              rng: np.random.Generator, default: float) -> float:
        """The professional share of the next post's placements, and the decision recorded.

        Args:
            step: the current step.
            post: the post about to be placed.
            shares: shares of the brand's posts so far, per layer.
            seen: exposures to the brand's posts so far, per layer.
            rng: the ``listening`` stream.
            default: the strategy's fixed split, returned when there is no professional layer
                to weigh against another.

        Returns:
            The split, in [0.05, 0.95] (or ``default``).
        """
        if len(self.layer_names) < 2 or "professional" not in self.layer_names:
            return default
        theta = rng.beta(1 + shares[:, None], 1 + np.maximum(seen - shares, 0)[:, None],
                         size=(len(self.layer_names), 256))
        value = theta * (self.degree / self.price)[:, None]
        pro = self.layer_names.index("professional")
        best = np.argmax(value, axis=0)
        split = float(np.clip(np.mean(best == pro), 0.05, 0.95))
        row = {"step": step, "post": post, "split": split}
        for k, name in enumerate(self.layer_names):
            row[f"theta_{name}"] = float((1 + shares[k]) / (2 + seen[k]))
        self.decisions.append(row)
        return split
