"""The calibrated defaults of the schema are the values recorded in conf/calibration/fitted.yaml."""

from pathlib import Path

import yaml

from sim.config import Config, dotted_keys

FITTED = Path(__file__).resolve().parent.parent / "conf" / "calibration" / "fitted.yaml"



def test_schema_defaults_are_the_fitted_values():
    fitted = dotted_keys(yaml.safe_load(FITTED.read_text()))
    assert fitted, "conf/calibration/fitted.yaml lists no value"
    config = Config()
    for key, value in fitted.items():
        node = config
        for part in key.split("."):
            node = getattr(node, part)
        assert node == value, (key, node, value)


def test_fitted_defaults_cite_the_calibration_report():
    for line in FITTED.read_text().splitlines():
        if ":" in line and not line.startswith("#") and not line.rstrip().endswith(":"):
            assert "results/examples/calibration/report.md" in line, line
