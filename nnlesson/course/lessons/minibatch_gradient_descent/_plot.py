"""Small drawing helpers shared by lesson 03's figures."""
from __future__ import annotations

import numpy as np

__all__ = []


def _positive(a, floor=1e-3):
    """Values for a log axis: NaN stays NaN (a gap), everything else at least ``floor``."""
    a = np.asarray(a, dtype=np.float64)
    return np.where(np.isnan(a), np.nan, np.maximum(a, floor))


def _plain_log_ticks(ax, ticks):
    """Label a log y axis with plain numbers (0.4, 0.6, 1) instead of powers of ten."""
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator, ScalarFormatter

    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_minor_formatter(NullFormatter())
