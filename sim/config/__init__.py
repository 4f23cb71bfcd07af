"""Typed configuration: the schema of every run, its errors, its reference documentation.

Plain Python: Hydra only registers the schema in its ConfigStore (:mod:`sim.cli`).
"""

from sim.config.errors import ConfigError, GraphFileError
from sim.config.overrides import (
    BATCH_KEYS,
    NOT_FACTORS,
    Override,
    override_key,
    override_values,
    parse_override,
    without_keys,
)
from sim.config.reference import (
    config_reference,
    config_reference_markdown,
    render_readme,
)
from sim.config.schema import (
    AuthenticityConfig,
    BudgetConfig,
    Cadence,
    Config,
    Generator,
    LayerConfig,
    LoyaltyConfig,
    Mode,
    NetworkConfig,
    OutputConfig,
    OwnedConfig,
    PopulationConfig,
    Seeding,
    ShareConfig,
    StrategyConfig,
    TopicConfig,
    Trace,
    Variant,
    config_dict,
    config_hash,
    validate,
)

__all__ = [
    "BATCH_KEYS",
    "NOT_FACTORS",
    "Override",
    "override_key",
    "override_values",
    "parse_override",
    "without_keys",
    "AuthenticityConfig",
    "BudgetConfig",
    "Cadence",
    "Config",
    "ConfigError",
    "Generator",
    "GraphFileError",
    "LayerConfig",
    "LoyaltyConfig",
    "Mode",
    "NetworkConfig",
    "OutputConfig",
    "OwnedConfig",
    "PopulationConfig",
    "Seeding",
    "ShareConfig",
    "StrategyConfig",
    "TopicConfig",
    "Trace",
    "Variant",
    "config_dict",
    "config_hash",
    "config_reference",
    "config_reference_markdown",
    "render_readme",
    "validate",
]
