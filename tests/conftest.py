"""Suite-wide rules.

A skipped test is a failed promise: the reference tests (PyTorch, scikit-learn), the browser
tests and the notebook tests must all run. So the session fails when anything was skipped.
"""
import os

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng():
    """A seeded generator, fresh for every test."""
    return np.random.default_rng(1234)


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = reporter.stats.get("skipped", [])
    if skipped and exitstatus == 0:
        reporter.write_line(
            f"{len(skipped)} test(s) were skipped; nnlesson's suite runs every test "
            "(install the test extra: pip install -e '.[test]', and Chromium for the browser tests)",
            red=True,
        )
        session.exitstatus = 1
