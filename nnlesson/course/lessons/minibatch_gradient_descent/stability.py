"""Lesson 03: why small batches need small learning rates, in numbers.

One sample's loss ``l_i(w) = (z_i . w - y_i)^2`` curves only along its own input ``z_i``: its
Hessian is ``2 z_i z_i^T``, whose one non-zero eigenvalue is the **per-sample curvature**
``c_i = 2 ||z_i||^2``. A gradient step on that sample alone multiplies the error along ``z_i``
by ``1 - lr c_i``, so it overshoots as soon as ``lr > 2 / c_i``. The full batch's loss has the
average Hessian ``H = (2/n) Z^T Z``; its largest eigenvalue ``lambda_max`` sets batch gradient
descent's limit ``2 / lambda_max``. Averaging cancels the directions in which the samples
disagree, so ``lambda_max`` is far below the typical ``c_i`` (its trace is their mean):
smaller batches feel larger curvatures and need smaller rates.

:func:`largest_stable_lr` turns that into one number per batch size (the mean-square stability
limit); :func:`stability_table` puts it next to measured runs.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_array, check_int, check_number
from nnlesson.course.lessons.minibatch_gradient_descent.data import _wine_arrays
from nnlesson.course.lessons.minibatch_gradient_descent.training import EPOCHS, wine_run

__all__ = [
    "sample_curvatures",
    "full_batch_curvature",
    "largest_stable_lr",
    "StabilityRow",
    "stability_table",
    "format_stability_table",
]


def sample_curvatures(Z=None):
    """The curvature of each sample's squared error along its own input.

    Equations::

        l_i(w) = (z_i . w - y_i)^2,   Hessian 2 z_i z_i^T,   c_i = 2 ||z_i||^2

    Args:
        Z: (n, p) inputs, a column of ones included for a bias; default the lesson's wine data.

    Returns:
        float64 array (n,): ``c_i`` for every row.
    """
    Z = _wine_arrays()[0] if Z is None else check_array("Z", Z, ndim=2, dtype=np.float64,
                                                        min_rows=1)
    return 2.0 * np.einsum("ij,ij->i", Z, Z)


def full_batch_curvature(Z=None):
    """``lambda_max`` of the full batch's Hessian ``H = (2/n) Z^T Z`` (default: the wine data).

    Batch gradient descent on the mean squared error diverges for ``lr > 2 / lambda_max``.
    """
    Z = _wine_arrays()[0] if Z is None else check_array("Z", Z, ndim=2, dtype=np.float64,
                                                        min_rows=1)
    return float(np.linalg.eigvalsh(2.0 / len(Z) * Z.T @ Z)[-1])


@functools.lru_cache(maxsize=None)
def _moments():
    """``S`` and the two fourth-moment operators of the wine inputs (computed once)."""
    Z, _, _ = _wine_arrays()
    n, p = Z.shape
    A = Z.T @ Z / n
    eye = np.eye(p)
    S = np.kron(A, eye) + np.kron(eye, A)
    K = np.einsum("ni,nj,nk,nl->ijkl", Z, Z, Z, Z).reshape(p * p, p * p) / n
    L_inv = np.linalg.inv(np.linalg.cholesky(S))
    return n, L_inv @ K @ L_inv.T, L_inv @ np.kron(A, A) @ L_inv.T


def largest_stable_lr(batch_size):
    """The largest learning rate at which mini-batch gradient descent on the wine data does not
    blow up on average (its mean-square stability limit).

    Follow the error ``e = w - w*`` through one update on a batch B of b rows:
    ``e <- (I - 2 lr A_B) e + noise``, with ``A_B = (1/b) sum_{i in B} z_i z_i^T``. The mean of
    ``e e^T`` grows from update to update exactly when the operator

    Equations::

        M(P) = P - 2 lr (A P + P A) + 4 lr^2 E[A_B P A_B]
        E[A_B P A_B] = A P A + f (E[z z^T P z z^T] - A P A),   f = (n - b) / (b (n - 1))

    has an eigenvalue above 1 (``A = Z^T Z / n``; ``f`` is the variance of the mean of b of
    the n rows drawn without replacement: 1 for one sample, 0 for all of them). With
    ``S(P) = A P + P A`` and ``E(P) = E[A_B P A_B]`` that happens for ``lr > 1 / (2 mu)``,
    ``mu`` the largest eigenvalue of ``E`` relative to ``S``. For ``b = n`` this is
    ``2 / lambda_max``, batch gradient descent's limit. It treats the batches of an epoch as
    drawn independently of each other (shuffled epochs are close to that).

    Args:
        batch_size: an integer in [1, 178].

    Returns:
        float: the limit.
    """
    n, K_rel, AA_rel = _moments()
    batch_size = check_int("batch_size", batch_size, low=1, high=n)
    f = (n - batch_size) / (batch_size * (n - 1))
    mu = np.linalg.eigvalsh(AA_rel + f * (K_rel - AA_rel))[-1]
    return float(1.0 / (2.0 * mu))


@dataclass(frozen=True)
class StabilityRow:
    """One row of :func:`stability_table`: a batch size, its limit and two measured runs.

    ``below`` and ``above`` are the loss on all the wines after ``epochs`` epochs at
    ``factors[0]`` and ``factors[1]`` times the limit (``inf`` if the run diverged).
    """

    batch_size: int
    limit: float
    below: float
    above: float


def stability_table(batch_sizes=(1, 2, 4, 16, 178), factors=(0.8, 1.25), epochs=EPOCHS):
    """For each batch size: :func:`largest_stable_lr`, and the loss after ``epochs`` epochs of
    :func:`~nnlesson.course.lessons.minibatch_gradient_descent.wine_run` a little below and a
    little above it."""
    low = check_number("factors[0]", factors[0], low=0, low_open=True)
    high = check_number("factors[1]", factors[1], low=0, low_open=True)
    rows = []
    for b in batch_sizes:
        limit = largest_stable_lr(b)
        ends = []
        for factor in (low, high):
            run = wine_run(b, factor * limit, epochs=epochs)
            ends.append(math.inf if run.diverged else run.final_loss)
        rows.append(StabilityRow(batch_size=b, limit=limit, below=ends[0], above=ends[1]))
    return rows


def format_stability_table(rows, factors=(0.8, 1.25)):
    """The rows of :func:`stability_table` as aligned text."""
    def loss(x):
        return "diverged" if math.isinf(x) else f"{x:.3g}"

    lines = [f"{'batch size':>10}{'limit':>9}{f'loss at {factors[0]:g} x':>17}"
             f"{f'loss at {factors[1]:g} x':>17}"]
    for r in rows:
        lines.append(f"{r.batch_size:>10d}{r.limit:>9.3f}{loss(r.below):>17}{loss(r.above):>17}")
    return "\n".join(lines)
