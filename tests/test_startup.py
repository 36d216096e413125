"""The command line starts at once (issue 11): ``gdlab --help``, ``--version``, ``datasets``
and ``lesson list`` import none of PyTorch, scikit-learn, matplotlib or numba — checked
in a fresh interpreter, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "sklearn", "matplotlib", "numba")
PROBE = """
import json, sys
from gdlab.cli import main
try:
    main(json.loads(sys.argv[1]))
except SystemExit as e:
    code = e.code
print("LOADED:" + json.dumps([m for m in {heavy} if m in sys.modules]) + ":" + str(code))
"""


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["datasets"], ["lesson", "list"],
                                  ["lesson", "list", "--lang", "zh"], ["train", "--help"]])
def test_light_commands_import_nothing_heavy(args):
    p = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), json.dumps(args)],
                       capture_output=True, text=True, timeout=120)
    line = next(x for x in p.stdout.splitlines() if x.startswith("LOADED:"))
    loaded, code = line.removeprefix("LOADED:").rsplit(":", 1)
    assert code in ("0", "None"), p.stderr
    assert json.loads(loaded) == [], f"gdlab {' '.join(args)} imported {loaded}"


def test_the_datasets_listing_matches_the_data_sets():
    """``gdlab datasets`` reads written-down facts (no data set is built to list it):
    they must be what the sets are."""
    from gdlab.data.builtin import BUILTIN_NAMES, load_builtin
    from gdlab.data.catalog import BUILTINS

    assert list(BUILTINS) == list(BUILTIN_NAMES)
    for name, facts in BUILTINS.items():
        data = load_builtin(name)
        assert (data.n_samples, data.n_features, data.task, data.n_classes, data.target_name) == (
            facts.n_samples, facts.n_features, facts.task, facts.n_classes, facts.target), name
