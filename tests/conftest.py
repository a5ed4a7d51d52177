"""Suite-wide rules.

A skipped test is a failed promise: the reference tests (PyTorch, scikit-learn), the browser
tests and the notebook tests must all run. So the session fails when anything was skipped.

Running the suite (nbval executes every notebook in place) must leave the checkout as it found
it: no stray files, no changed ones. In a git checkout the session compares ``git status``
before and after, and fails when the run changed it.
"""
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng():
    """A seeded generator, fresh for every test."""
    return np.random.default_rng(1234)


ROOT = Path(__file__).resolve().parents[1]
_STATE_KEY = pytest.StashKey()


def _checkout_state():
    """``git status`` lines of the checkout (untracked files included), or None outside git."""
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return set(out.stdout.splitlines()) if out.returncode == 0 else None


def pytest_sessionstart(session):
    session.config.stash[_STATE_KEY] = _checkout_state()



def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    before = session.config.stash.get(_STATE_KEY, None)
    after = _checkout_state() if before is not None else None
    if before is not None and after is not None and after - before:
        changed = ", ".join(sorted(line[3:] for line in after - before))
        reporter.write("\n")
        reporter.write_line(f"the test run left the checkout changed (stray or modified files): "
                            f"{changed}", red=True)
        session.exitstatus = 1
    skipped = reporter.stats.get("skipped", [])
    if skipped and exitstatus == 0:
        reporter.write_line(
            f"{len(skipped)} test(s) were skipped; nnlesson's suite runs every test "
            "(install the test extra: pip install -e '.[test]', and Chromium for the browser tests)",
            red=True,
        )
        session.exitstatus = 1
