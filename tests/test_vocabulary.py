"""One vocabulary: people reached, engaged and seeded; the former metric names are gone.

The README's "Outputs" section defines the words. Names that meant two things (``reach``
counted sharers and seeds, ``exposed`` people who saw the content, ``r_eff`` could not exceed
1) must appear neither in a run's outputs nor as a literal anywhere in ``sim/``.
"""

import ast
import re
from pathlib import Path

import pytest

from sim import load_config, simulate

#: Former summary keys and time-series columns.
OLD = {"reach", "reach_fraction", "exposed", "seeds", "r_eff", "reach_decay",
       "time_to_half_reach", "reach_per_budget", "newly_exposed", "people_reached",
       "reached_per_budget", "loyalty_gain_per_budget", "budget_spent", "budget_seeds",
       "budget_incentives"}
#: Former per-channel keys: a prefix and a channel.
OLD_PER_CHANNEL = re.compile(r"^(reach|exposed|r_eff)_(personal|professional|owned|topic|graph)$")
#: Former prefixes, when an f-string completes them with a channel name.
OLD_PREFIXES = {"reach_", "exposed_", "r_eff_"}
#: Former keys that stay legitimate as literals elsewhere: ``seeds`` is a config key (the
#: seeds of reduction mode) and a budget line.
LITERAL_OK = {"seeds"}

SIM = Path(__file__).parents[1] / "sim"


@pytest.mark.parametrize("overrides", [
    ["n=1500", "steps=20", "strategy=brand_centric", "network.topic.enabled=true"],
    ["experiment=independent_cascade", "n=1500", "p=0.2"],
], ids=["full", "reduction"])
def test_a_runs_outputs_use_only_the_new_names(overrides):
    result = simulate(load_config([*overrides, "output.write_trace=false"]))
    names = set(result.summary) | set(result.timeseries.columns)
    if result.tables.get("posts") is not None:
        names |= set(result.posts.columns)
    assert not names & OLD
    assert not {k for k in names if OLD_PER_CHANNEL.match(k)}
    s = result.summary
    assert {"reached", "engaged", "seeded", "reproduction_number", "audience_decay",
            "days_to_half_engaged", "reached_fraction"} <= set(s)
    # reached: saw the content or was seeded; engaged: shared of their own accord
    assert s["reached"] >= s["seeded"] > 0 and s["reached"] >= s["engaged"]


def _old_literals(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if (text in OLD - LITERAL_OK) or OLD_PER_CHANNEL.match(text):
                found.append(f"{path}:{node.lineno}: {text!r}")
        elif isinstance(node, ast.JoinedStr) and len(node.values) >= 2:
            head, tail = node.values[0], node.values[1]
            if (isinstance(head, ast.Constant) and head.value in OLD_PREFIXES
                    and isinstance(tail, ast.FormattedValue)):
                found.append(f"{path}:{node.lineno}: f{head.value!r}...")
    return found


def test_no_former_metric_name_is_a_literal_in_the_package():
    found = [hit for path in sorted(SIM.rglob("*.py")) for hit in _old_literals(path)]
    assert not found, "former metric names in sim/:\n" + "\n".join(found)


def test_the_scan_finds_a_former_name(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text('X = {"r_eff": 1, "reach_owned": 2}\nY = f"exposed_{X}"\n"""reach"""\n')
    assert len(_old_literals(probe)) == 4


def _outputs_section() -> str:
    readme = (SIM.parent / "README.md").read_text()
    start = readme.index("## Outputs")
    return readme[start:readme.index("\n## ", start + 1)]


def test_the_readme_defines_every_summary_key_and_time_series_column():
    result = simulate(load_config(["n=1500", "steps=20", "network.topic.enabled=true",
                                   "output.write_trace=false"]))
    doc = _outputs_section()
    assert "### Vocabulary" in doc
    channels = "|".join(result.model.channels)
    missing = []
    for key in result.summary:
        if key.startswith("version_"):
            continue
        generic = re.sub(rf"_({channels})$", "_<layer>", key)
        if f"`{generic}`" not in doc and f"`{key}`" not in doc:    # spent_owned: its own row
            missing.append(key)
    missing += [c for c in result.timeseries.columns if f"`{c}`" not in doc]
    missing += [c for c in result.posts.columns if f"`{c}`" not in doc]
    assert not missing, missing
