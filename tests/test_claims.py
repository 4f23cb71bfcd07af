"""The claims registry: complete, the only source of claim ids for the schema, the experiments,
the README and the reports, and the report naming the same claims as when it read them from
text."""

import dataclasses
import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from sim.claims import (
    CLAIMS,
    EXPERIMENTS,
    SOURCES,
    UnknownClaimError,
    UnknownExperimentError,
    check,
    claim,
    experiment,
    ordered,
)
from sim.config.reference import claims_markdown, key_claims, key_sources, source_text
from sim.report import deck, design

ROOT = Path(__file__).parents[1]
IDS = re.compile(r"\bC(\d+)\b")

#: The claims each shipped experiment named in the first comment of its config file, as the
#: report read them before the registry existed.
EXPERIMENT_CLAIMS_BEFORE = {
    "brand_centric": ["C8"],
    "emotion_professional": ["C4"],
    "independent_cascade": [],
    "influence_seeding": ["C9"],
    "mindset_divide": ["C1", "C2", "C3", "C5"],
    "relationship_quality": ["C10", "C11", "C12"],
    "viral_threshold": ["C6"],
}


def _ids(text: str) -> set[str]:
    """Claim ids named in a text, ranges included (``C10-C12`` names C10 and C12)."""
    return {f"C{n}" for n in IDS.findall(text)}


def test_the_registry_holds_c1_to_c15_in_order_each_complete():
    assert list(CLAIMS) == [f"C{n}" for n in range(1, 16)]
    for c in CLAIMS.values():
        assert c.statement.endswith(".") and "\n" not in c.statement, c.id
        assert c.phrase and len(c.phrase) <= 80 and "\n" not in c.phrase, c.id
        assert c.mechanism and "\n" not in c.mechanism, c.id
        assert c.sources and set(c.sources) <= set(SOURCES.values()), c.id
        assert c.number == int(c.id[1:])
    assert {s for c in CLAIMS.values() for s in c.sources} == set(SOURCES.values())
    with pytest.raises(dataclasses.FrozenInstanceError):
        CLAIMS["C1"].phrase = "changed"  # type: ignore[misc]


def test_an_unknown_claim_or_experiment_is_a_clear_error():
    assert claim("C13").phrase == "professional networks are about a third of personal ones"
    with pytest.raises(UnknownClaimError, match=r"unknown claim 'C16': the claims are C1, C2"):
        claim("C16")
    with pytest.raises(UnknownClaimError, match="'c3'"):
        check(["C1", "c3"])
    with pytest.raises(UnknownExperimentError, match="unknown experiment 'nope'"):
        experiment("nope")
    assert ordered(["C12", "C2", "C12", "C10"]) == ["C2", "C10", "C12"]


def test_the_mechanisms_named_in_the_registry_are_config_keys():
    keys = set(key_claims())
    for c in CLAIMS.values():
        for name in re.findall(r"`([^`]+)`", c.mechanism):
            pattern = re.compile(re.escape(name).replace(r"\*", r"[^.]+") + "$")
            assert any(pattern.match(k) for k in keys), (c.id, name)


def test_schema_claims_are_structured_and_render_the_sources_as_before():
    behind, sources = key_claims(), key_sources()
    assert behind["network.personal.membership"] == ("C13",)
    assert sources["network.personal.membership"] == \
        "C13: professional ~ 1/3 of personal (500M vs 1.5B)"
    assert sources["authenticity.backlash"] == "C10, C12 (assumption)"
    assert sources["strategy.seeding"] == "C9"
    assert sources["owned.p_goal"] == "assumption"
    assert sources["share.fatigue"].startswith("calibrated to published")
    assert sources["seed"] == ""
    for key, ids in behind.items():
        assert check(ids) == ids, key
        # the text cites exactly the structured ids, so reading either gives the same claims
        assert _ids(sources[key]) == set(ids), key
    assert {c for ids in behind.values() for c in ids} >= {"C1", "C3", "C13", "C14", "C15"}


def test_source_text_forms():
    assert source_text({"claims": ("C1", "C2"), "source": "3x"}) == "C1, C2: 3x"
    assert source_text({"claims": ("C6",), "source": "assumption"}) == "C6 (assumption)"
    assert source_text({"claims": ("C8",), "source": ""}) == "C8"
    assert source_text({"claims": (), "source": "assumption"}) == "assumption"
    assert source_text({"doc": "no provenance"}) == ""


def test_every_shipped_experiment_is_in_the_registry_with_its_header_s_claims():
    shipped = {p.stem: p for p in (ROOT / "conf" / "experiment").glob("*.yaml")}
    assert set(shipped) == set(EXPERIMENTS)
    for name, path in shipped.items():
        assert experiment(name).claims == tuple(ordered(experiment(name).claims))
        header = next(line for line in path.read_text().splitlines()
                      if line.startswith("#") and "@package" not in line)
        # the comment is for people reading the file; it must say what the registry says
        assert _ids(header) == set(experiment(name).claims), name


def test_every_claim_id_written_in_the_code_and_configs_is_in_the_registry():
    files = [*(ROOT / "sim").rglob("*.py"), *(ROOT / "conf").rglob("*.yaml"),
             ROOT / "README.md", *(ROOT / "experiments").rglob("README.md")]
    # the mechanisms' docstrings say which claims they implement: the scan must see them
    assert set().union(*(_ids(p.read_text()) for p in (ROOT / "sim" / "mechanisms").glob("*.py")))
    for path in files:
        unknown = _ids(path.read_text()) - set(CLAIMS)
        assert not unknown, (path, unknown)


def test_the_readme_claims_table_is_generated_from_the_registry():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- claims:start -->\n")[1].split("\n<!-- claims:end -->")[0]
    assert block == claims_markdown()
    # the claims are explained before the config reference cites them
    assert readme.index("<!-- claims:start -->") < readme.index("## Config reference")
    for c in CLAIMS.values():
        assert f"| {c.id} | {c.statement} |" in block


def test_the_report_names_the_same_claims_as_before():
    for name, before in EXPERIMENT_CLAIMS_BEFORE.items():
        assert design.experiment_claims(name) == before, name
    assert design.experiment_claims("no_such_experiment") == []
    # before, the report read the ids in each changed key's source text
    sources = key_sources()
    for key in sources:
        assert design.claims([key]) == ordered(_ids(sources[key])), key
    assert design.claims(["strategy.adapted", "no.such.key", "network.crosspost"]) == ["C5", "C6"]

    changed = pd.DataFrame({"key": ["strategy.adapted", "strategy.split", "n"]})
    rep = SimpleNamespace(changed=changed, sweep=SimpleNamespace(manifest={}))
    assert design.tested_claims(rep) == ["C5", "C13"]
    rep.sweep.manifest["experiment"] = "relationship_quality"
    assert design.tested_claims(rep) == ["C5", "C10", "C11", "C12", "C13"]
    rep.changed = changed.iloc[:0]
    assert design.tested_claims(rep) == ["C10", "C11", "C12"]


def test_the_deck_s_phrases_come_from_the_registry():
    assert not hasattr(deck, "CLAIMS")
    assert claim("C5").phrase == "adapt each content to each platform"


def test_every_claim_statement_compares_arms_its_experiment_runs():
    """Each testable statement names strategies (or a factor) its experiment's sweep varies."""
    import yaml  # noqa: PLC0415 - only this test reads the experiment files

    from sim.claims import HYPOTHESES  # noqa: PLC0415 - beside the registry's other tests

    assert set(HYPOTHESES) <= set(EXPERIMENTS)
    for name, statements in HYPOTHESES.items():
        conf = yaml.safe_load((ROOT / "conf" / "experiment" / f"{name}.yaml").read_text())
        params = conf["hydra"]["sweeper"]["params"]
        strategies = str(params.get("strategy", "")).split(",")
        for h in statements:
            assert h.claim in EXPERIMENTS[name].claims
            if h.trend is not None:
                assert h.trend in params, (name, h)
            else:
                assert {h.better, h.worse} <= set(strategies), (name, h)
                assert h.better != h.worse
