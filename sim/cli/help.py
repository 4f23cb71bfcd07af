"""The text of ``mindshare --help``: usage, examples, experiments, strategies, every config key.

It is built from what the project already states once: each key's meaning, unit, default and
range from the schema's metadata (:func:`sim.config.config_reference`, which also makes the
README's config reference), the shipped experiments (:data:`sim.claims.EXPERIMENTS`, described
by the opening comment of their ``conf/experiment/<name>.yaml``) and the named strategies (the
opening comment of ``conf/strategy/<name>.yaml``). Hydra's own help stays at ``--hydra-help``.
"""

from __future__ import annotations

import shutil
import textwrap
from importlib.resources import files

from sim.claims import EXPERIMENTS
from sim.config import config_reference

#: The package holding ``config.yaml`` and its config groups (``conf/`` in the source tree).
_CONF = "sim.conf"

USAGE = """\
usage: mindshare [key=value ...]                  one run, in results/<name>/<date_time>/
       mindshare -m key=a,b [key=value ...]       a sweep: every combination of the swept
                                                  values (resumable: rerun the same command)
       mindshare-report SWEEP_DIR                 a sweep's tables, charts and deck

Every key below can be set on the command line (key=value; nested keys with dots:
network.personal.p_goal=0.02). A bad value stops the command before any work, on one line
naming the key, the value and what is allowed (exit status 2).
"""

EXAMPLES = """\
examples:
  mindshare                                        the default two-layer run (N = 10,000)
  mindshare n=50000 p=0.1 seed=3                   any key overridden
  mindshare strategy=adapted                       a named strategy
  mindshare experiment=independent_cascade graph=edges.txt p=0.2 seeds=5
  mindshare -m experiment=mindset_divide replicates=10      a shipped experiment, reduced
  mindshare -m strategy=broadcast,adapted p=0.1,0.15 replicates=20 name=my_sweep
  mindshare-report results/my_sweep/sweep          its report

  A sweep without name= goes to results/<what it sweeps>/sweep (results/strategy=broadcast,
  adapted/sweep above without name=); a directory holds one sweep, and the same command
  resumes it.
"""

FOOTER = """\
more: README.md (Quickstart, Config reference, Outputs, Sweeps, Reports);
Hydra's own options: mindshare --hydra-help; the composed config: mindshare --cfg job
"""


def header_comment(text: str) -> str:
    """The opening comment of a config file: its first comment paragraph, as one line.

    The ``# @package`` line is skipped; the paragraph ends at the first line that is not a
    comment, an empty comment, an indented example or a pointer to the design.
    """
    words = []
    for line in text.splitlines():
        if line.startswith("# @package"):
            continue
        if not line.startswith("# ") or line.startswith(("#  ", "# Design")):
            break
        words.append(line[2:].strip())
    return " ".join(words)


def _group(name: str) -> dict[str, str]:
    """Each config file of the group ``name`` (``strategy``, ``experiment``) by its stem."""
    folder = files(_CONF) / name
    return {entry.name.removesuffix(".yaml"): header_comment(entry.read_text())
            for entry in sorted(folder.iterdir(), key=lambda e: e.name)
            if entry.name.endswith(".yaml")}


def _listing(title: str, rows: list[tuple[str, str]], width: int) -> str:
    """``title`` and its rows, each a name and its description wrapped below it."""
    out = [title]
    for name, text in rows:
        out.append(f"  {name}")
        out += textwrap.wrap(text, width, initial_indent=" " * 6, subsequent_indent=" " * 6)
    return "\n".join(out) + "\n"


def help_text(width: int | None = None) -> str:
    """The whole help text, wrapped to ``width`` columns (the terminal's, at most 100)."""
    width = width or min(shutil.get_terminal_size((100, 24)).columns, 100)
    described = _group("experiment")
    experiments = [(f"experiment={name}", described.get(name, "")) for name in EXPERIMENTS]
    strategies = [(f"strategy={name}", text) for name, text in _group("strategy").items()]
    keys = []
    for key, default, allowed, unit, doc in config_reference():
        facts = [f"default {default}"]
        if allowed:
            facts.append(allowed)
        if unit:
            facts.append(f"unit: {unit}")
        keys.append((f"{key}    ({'; '.join(facts)})", doc))
    return "\n".join([
        USAGE, EXAMPLES,
        _listing("experiments (mindshare -m experiment=NAME runs its sweep):", experiments,
                 width),
        _listing("strategies (strategy=NAME sets the strategy.* keys below):", strategies,
                 width),
        _listing("config keys (key=value):", keys, width),
        FOOTER,
    ])
