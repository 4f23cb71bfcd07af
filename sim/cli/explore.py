"""``mindshare explore [--port P] [key=value ...]``: serve the explorer on 127.0.0.1.

The overrides are checked first, as a run's are (one line, exit 2, nothing started, when one is
wrong), then handed to the page (:mod:`sim.explore.app`) in an environment variable, and this
process becomes Solara's server (``python -m solara run``, production mode, loopback only).
The page needs the extra ``explore`` (``pip install 'mindshare[explore]'``); without it the
command says so and exits 2.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys

from sim.cli.compose import load_config
from sim.cli.errors import fail
from sim.config import Config, ConfigError, Mode

#: The page's module, served by Solara (named, not imported: it sits above the command line).
APP = "sim.explore.app"
#: Environment variable the page reads its overrides from: a JSON list of strings.
ARGS_ENV = "MINDSHARE_EXPLORE_ARGS"
#: Default port.
PORT = 8765
#: Packages of the extra ``explore``, checked before anything starts.
NEEDS = ("solara", "solara_assets", "altair")


def parse(argv: list[str]) -> argparse.Namespace:
    """The command's arguments: ``--port`` and the overrides."""
    parser = argparse.ArgumentParser(
        prog="mindshare explore",
        description="Serve the interactive explorer on http://127.0.0.1:PORT/ . Overrides "
                    "(key=value) set the starting point: n, strategy, layer files, any key.")
    parser.add_argument("--port", type=int, default=PORT,
                        help=f"port on 127.0.0.1 (default {PORT})")
    parser.add_argument("overrides", nargs="*", help="config overrides, key=value")
    return parser.parse_args(argv)


def check(overrides: list[str]) -> Config:
    """The config of the starting point, or a one-line error naming the key and the value."""
    config = load_config(overrides)
    if config.mode is not Mode.full:
        raise ConfigError("mode", config.mode.value, "full (the explorer shows the full model)")
    return config


def main(argv: list[str]) -> None:
    """Check the overrides and the extra, then run Solara's server in this process."""
    args = parse(argv)
    if not 0 < args.port < 65536:
        fail(f"--port={args.port}: a port number, 1 to 65535")
    missing = [name for name in NEEDS if importlib.util.find_spec(name) is None]
    if missing:
        fail(f"the explorer needs {', '.join(missing)}: pip install 'mindshare[explore]'")
    try:
        check(args.overrides)
    except (ConfigError, TypeError, ValueError) as exc:
        fail(str(exc))
    env = dict(os.environ, **{ARGS_ENV: json.dumps(args.overrides)})
    command = [sys.executable, "-m", "solara", "run", APP, "--host", "127.0.0.1",
               "--port", str(args.port), "--production", "--no-open"]
    print(f"mindshare explore: http://127.0.0.1:{args.port}/ (Ctrl-C to stop)", flush=True)
    os.execve(sys.executable, command, env)
