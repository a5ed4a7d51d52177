"""Checks for lesson 03, mini-batches, declared as data: iterations per epoch, a mini-batch
generator, and the largest safe learning rate for batch size 1.

* ``iterations_per_epoch(n_samples, batch_size, drop_last=False)``: the reference is
  :func:`nnlesson.data.iterations_per_epoch`.
* ``minibatches(X, y, batch_size, rng)`` is checked over two epochs: the check calls it twice
  with the same ``numpy.random.Generator``, as a training loop does, and compares every batch
  with :func:`nnlesson.data.minibatches`, which draws one ``rng.permutation(len(X))`` per
  call. A generator is consumed at most one batch past the expected number. When the batches
  differ and no listed mistake reproduces them, the check reads what the batches contain (are
  X and y rows still paired, is every sample there once, is the order shuffled, does it change
  between epochs) to name the problem anyway.
* ``largest_safe_lr(Z)``: the largest learning rate at which no single-sample step of
  stochastic gradient descent on the mean squared error can overshoot, ``min_i 2 / c_i`` with
  the per-sample curvature ``c_i = 2 ||z_i||^2``. The student derives it; the reference is
  that formula (tests/test_checks_minibatch_gradient_descent.py verifies it against the step
  factor ``1 - lr c_i`` of every sample).
"""
from __future__ import annotations

import copy
import itertools
import math

import numpy as np

from nnlesson.course.checks import _stale
from nnlesson.course.checks._core import Case, Check, CheckResult, Mistake, compare_outputs
from nnlesson.course.checks._guard import time_limit
from nnlesson.data import iterations_per_epoch, minibatches

__all__ = ["ITERATIONS", "MINIBATCHES", "SAFE_LR", "CHECKS", "check_iterations_per_epoch",
           "check_minibatches", "check_largest_safe_lr"]

# The titles of the hint levels in the exercise notebook ("Hint 2 · the formula").
HINTS = ("the idea", "the formula", "a partial line")


# --------------------------------------------------------------------------- iterations per epoch


def _ipe_cases():
    return [
        Case("10 samples, batch size 3 (the last batch has 1 sample)", (10, 3)),
        Case("1000 samples, batch size 100 (a textbook's example)", (1000, 100)),
        Case("178 wines, batch size 32", (178, 32)),
        Case("12 samples, batch size 4 (no partial batch)", (12, 4)),
        Case("5 samples, batch size 10 (one batch with everything)", (5, 10)),
        Case("1 sample, batch size 1", (1, 1)),
        Case("7 samples, batch size 1 (stochastic gradient descent)", (7, 1)),
        Case("10 samples, batch size 3, drop_last=True", (10, 3), {"drop_last": True}),
        Case("12 samples, batch size 4, drop_last=True", (12, 4), {"drop_last": True}),
        Case("178 wines, batch size 32, drop_last=True", (178, 32), {"drop_last": True}),
        Case("10 samples, batch size 10, drop_last=True (one full batch)", (10, 10),
             {"drop_last": True}),
        Case("178 wines, batch size 178, drop_last=False given", (178, 178),
             {"drop_last": False}),
    ]


def _ipe(n_samples, batch_size, drop_last=False):
    return iterations_per_epoch(n_samples, batch_size, drop_last=drop_last)


ITERATIONS = Check(
    name="check_iterations_per_epoch",
    function="iterations_per_epoch",
    reference=_ipe,
    cases=_ipe_cases,
    mistakes=(
        Mistake(
            "floor instead of ceil",
            "You rounded down (n_samples // batch_size), which forgets the last, smaller "
            "batch: 10 samples in batches of 3 are 4 iterations (3 + 3 + 3 + 1), not 3. "
            "Without drop_last a partial batch still counts: round up.",
            lambda n_samples, batch_size, drop_last=False: n_samples // batch_size, hint=1),
        Mistake(
            "drop_last ignored",
            "Your count is right when the last batch is kept, but drop_last=True must leave "
            "out the partial batch: then only complete batches count (round down).",
            lambda n_samples, batch_size, drop_last=False: math.ceil(n_samples / batch_size),
            hint=1),
        Mistake(
            "off by one: n // b + 1",
            "n_samples // batch_size + 1 is one too many when batch_size divides n_samples "
            "(12 samples in batches of 4 are 3 iterations, not 4). Round up instead of adding 1.",
            lambda n_samples, batch_size, drop_last=False: (
                n_samples // batch_size if drop_last else n_samples // batch_size + 1), hint=2),
        Mistake(
            "rounded to the nearest integer",
            "round(n_samples / batch_size) rounds 10 / 3 = 3.33 down to 3 and loses the last "
            "batch. Without drop_last, always round up.",
            lambda n_samples, batch_size, drop_last=False: (
                n_samples // batch_size if drop_last else round(n_samples / batch_size)), hint=2),
        Mistake(
            "rounded to the nearest integer",
            "round(n_samples / batch_size) rounds to the nearest whole number: 10 / 3 = 3.33 "
            "becomes 3 and loses the last batch, 10 / 4 = 2.5 becomes 2. Without drop_last, "
            "always round up; with it, always round down.",
            lambda n_samples, batch_size, drop_last=False: round(n_samples / batch_size), hint=2),
        Mistake(
            "drop_last always removes a batch",
            "With drop_last=True you remove one batch from the count even when the last batch "
            "is full (12 samples in batches of 4 are still 3 iterations). drop_last skips only "
            "a last batch that is not full: round the division down.",
            lambda n_samples, batch_size, drop_last=False: (
                math.ceil(n_samples / batch_size) - 1 if drop_last
                else math.ceil(n_samples / batch_size)), hint=1),
        Mistake(
            "not rounded with drop_last",
            "Without drop_last your count is right, but with drop_last=True you return "
            "n_samples / batch_size, a fraction (10 / 3 = 3.33...). Only full batches count: "
            "round down, n_samples // batch_size.",
            lambda n_samples, batch_size, drop_last=False: (
                n_samples / batch_size if drop_last else math.ceil(n_samples / batch_size)),
            hint=2),
        Mistake(
            "n_samples and batch_size exchanged",
            "Your function divides batch_size by n_samples: the two arguments are used the "
            "other way round (178 samples in batches of 32 are 6 iterations, not 1). The first "
            "argument is the number of samples, the second the batch size.",
            lambda n_samples, batch_size, drop_last=False: (
                batch_size // n_samples if drop_last else math.ceil(batch_size / n_samples)),
            hint=1),
        Mistake(
            "drop_last the wrong way round",
            "You rounded down when the last batch is kept and up when it is dropped: swap "
            "them. Keeping the partial batch adds one iteration (round up); dropping it rounds "
            "down.",
            lambda n_samples, batch_size, drop_last=False: (
                math.ceil(n_samples / batch_size) if drop_last else n_samples // batch_size),
            hint=1),
        Mistake(
            "not rounded",
            "n_samples / batch_size is a fraction (10 / 3 = 3.33...), but iterations are "
            "counted in whole batches: round up (down with drop_last).",
            lambda n_samples, batch_size, drop_last=False: n_samples / batch_size, hint=2),
        Mistake(
            "a float, not an int",
            "The count is right but it is a float (np.ceil and np.floor return floats). An "
            "iteration count is a whole number: wrap it in int(), or use math.ceil, which "
            "returns an int.",
            lambda n_samples, batch_size, drop_last=False: (
                np.floor(n_samples / batch_size) if drop_last
                else np.ceil(n_samples / batch_size)), hint=2),
        Mistake(
            "batches counted from 0",
            "Your count is one short everywhere: the number of batches is the number of "
            "slices of the data, not the index of the last one.",
            lambda n_samples, batch_size, drop_last=False: (
                n_samples // batch_size - 1 if drop_last
                else math.ceil(n_samples / batch_size) - 1), hint=1),
    ),
    forbidden=("nnlesson.data.iterations_per_epoch", "nnlesson.data.minibatches",
               "nnlesson.data._*"),
    hints=HINTS,
    doc="``iterations_per_epoch(n_samples, batch_size, drop_last=False) -> int``: "
        "``ceil(n / b)``, or ``floor(n / b)`` with ``drop_last=True``",
)


# --------------------------------------------------------------------------- minibatches

EPOCHS = 2


def _two_epochs(fn):
    """``fn(X, y, batch_size, rng)`` called twice with one Generator seeded by ``seed``.

    Returns ``[epoch_1_batches, epoch_2_batches]`` (lists of what ``fn`` yields, at most one
    batch more than an epoch has), or what ``fn`` returned if it is None or not iterable, so
    that the framework reports it.
    """
    def two_epochs(X, y, batch_size, seed):
        rng = np.random.default_rng(seed)
        most = -(-len(X) // batch_size) + 1  # never consume an endless generator
        epochs = []
        for _ in range(EPOCHS):
            out = fn(X, y, batch_size, rng)
            if out is None:
                return None
            try:
                batches = iter(out)
            except TypeError:
                return out
            epochs.append([tuple(b) if isinstance(b, list) else b
                           for b in itertools.islice(batches, most)])
        return epochs
    return two_epochs


def _library(X, y, batch_size, rng):
    return minibatches(X, y, batch_size, rng=rng)


def _drop_last(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X) - batch_size + 1, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


def _no_shuffle(X, y, batch_size, rng):
    for start in range(0, len(X), batch_size):
        yield X[start:start + batch_size], y[start:start + batch_size]


def _two_permutations(X, y, batch_size, rng):
    Xs, ys = X[rng.permutation(len(X))], y[rng.permutation(len(y))]
    for start in range(0, len(X), batch_size):
        yield Xs[start:start + batch_size], ys[start:start + batch_size]


def _fixed_seed(X, y, batch_size, rng):
    order = np.random.default_rng(0).permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


def _with_replacement(X, y, batch_size, rng):
    order = rng.integers(0, len(X), size=len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


def _y_first(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        yield y[idx], X[idx]


def _overlapping(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size + 1]
        yield X[idx], y[idx]


_EXPLAIN = {
    "last partial batch dropped": (
        "The last, smaller batch is missing: with 10 samples and batch size 3 an epoch has "
        "4 batches (3 + 3 + 3 + 1), and yours stops after 3, so some samples are never "
        "trained on in that epoch. Slicing past the end of an array simply returns fewer rows: "
        "let the last slice be short."),
    "no shuffling": (
        "Your batches come in the order of the rows, every epoch. If the data are sorted "
        "(the wine file is sorted by cultivar) each batch then holds one kind of sample only. "
        "Draw a new random order of the rows at every call, with the rng you are given."),
    "same order every epoch": (
        "You shuffle, but both epochs come out in the same order: your function makes its "
        "own generator with a fixed random seed (or reuses one permutation) instead of drawing "
        "from the rng it is given. Draw the order from the rng argument inside the function: "
        "every call then gets a new one."),
    "X and y shuffled differently": (
        "X and y were shuffled with two different permutations, so each input sits next to "
        "another sample's target and the model learns noise. Draw ONE order of the row numbers "
        "and index both X and y with the same slice of it."),
    "pairs in the order (y, X)": (
        "Your batches are right but each pair comes as (y_batch, X_batch): yield the inputs "
        "first, (X_batch, y_batch), the order in which a training loop unpacks them "
        "(for xb, yb in minibatches(...))."),
    "sample repeated or missing": (
        "In an epoch some samples are missing or used more than once. An epoch must use "
        "every sample exactly once: take one permutation of the row numbers (not random "
        "integers, not a choice with replacement) and cut it into consecutive, "
        "non-overlapping slices of batch_size."),
    "wrong batch sizes": (
        "Every sample is there once, but the batches do not have batch_size samples each "
        "(only the last one may be smaller). Cut the order into consecutive slices of "
        "batch_size."),
    "order not drawn with rng.permutation": (
        "Your batches are valid (every sample once, X and y paired, a new order each epoch), "
        "but not in the order the check expects, so it cannot compare them. Draw the order "
        "exactly once per call as rng.permutation(len(X)) with the rng you are given (not "
        "np.random.permutation, not rng.choice, not rng.shuffle of a copy), then slice it in "
        "order."),
}


def _row_keys(a):
    a = np.ascontiguousarray(a)
    return [a[i].tobytes() for i in range(a.shape[0])]


def _batch_indices(X, y, epoch):
    """For each batch of an epoch, the row numbers of its X rows and of its y rows (None if
    the batch is not a pair of arrays holding rows of X and y)."""
    x_index = {k: i for i, k in enumerate(_row_keys(X))}
    y_index = {k: i for i, k in enumerate(_row_keys(y))}
    out = []
    for batch in epoch:
        if not isinstance(batch, tuple) or len(batch) != 2:
            return None
        xb, yb = batch
        if not (isinstance(xb, np.ndarray) and isinstance(yb, np.ndarray)):
            return None
        if xb.dtype != X.dtype or yb.dtype != y.dtype or xb.shape[1:] != X.shape[1:] \
                or yb.shape[1:] != y.shape[1:] or len(xb) != len(yb):
            return None
        xi = [x_index.get(k) for k in _row_keys(xb)]
        yi = [y_index.get(k) for k in _row_keys(yb)]
        if None in xi or None in yi:
            return None
        out.append((xi, yi))
    return out


def _rows(indices):
    text = ", ".join(str(i) for i in indices[:6])
    return text + (", ..." if len(indices) > 6 else "")


def _read_batches(case, received):
    """``(mistake name, detail)`` from what the student's two epochs contain, or None."""
    X, y, batch_size, _ = case.args
    X, y = np.asarray(X), np.asarray(y)
    n = len(X)
    if not isinstance(received, list) or len(received) != EPOCHS:
        return None
    epochs = [_batch_indices(X, y, epoch) for epoch in received]
    if any(e is None for e in epochs):
        return None
    rest = n % batch_size
    expected = [batch_size] * (n // batch_size) + ([rest] if rest else [])
    orders = []
    for e, batches in enumerate(epochs, start=1):
        for k, (xi, yi) in enumerate(batches, start=1):
            if xi != yi:
                return ("X and y shuffled differently",
                        f"epoch {e}, batch {k}: X rows {_rows(xi)} came with the y of rows "
                        f"{_rows(yi)}")
        order = [i for xi, _ in batches for i in xi]
        sizes = [len(xi) for xi, _ in batches]
        if sorted(order) != list(range(n)):
            counts = np.bincount(order, minlength=n)
            missing = [int(i) for i in np.flatnonzero(counts == 0)]
            twice = [int(i) for i in np.flatnonzero(counts > 1)]
            if rest and not twice and len(missing) == rest and all(s == batch_size for s in sizes):
                return ("last partial batch dropped",
                        f"epoch {e}: {len(sizes)} batches of {batch_size}, expected "
                        f"{len(expected)} (the last with {rest} sample(s))")
            parts = []
            if missing:
                parts.append(f"rows {_rows(missing)} missing")
            if twice:
                parts.append(f"rows {_rows(twice)} used more than once")
            return "sample repeated or missing", f"epoch {e}: " + "; ".join(parts)
        if sizes != expected:
            return ("wrong batch sizes",
                    f"epoch {e}: batch sizes {sizes}, expected {expected}")
        orders.append(order)
    if all(order == list(range(n)) for order in orders) and n > 2:
        return "no shuffling", "both epochs in the order of the rows"
    if orders[0] == orders[1] and n > 2:
        return "same order every epoch", f"both epochs in the order {_rows(orders[0])}"
    return ("order not drawn with rng.permutation",
            f"epoch 1 order {_rows(orders[0])}")


def _describe(x):
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}"
    if isinstance(x, (tuple, list)):
        return f"a {type(x).__name__} of {len(x)} item(s)"
    return f"a value of type {type(x).__name__}"


def _compare_epochs(expected, received):
    """The first difference between two lists of epochs of (X_batch, y_batch), or None."""
    if not isinstance(received, (list, tuple)) or len(received) != len(expected):
        return (f"expected the batches of one epoch (yield or return the (X_batch, y_batch) "
                f"pairs), got {_describe(received)}")
    for e, (exp_epoch, got_epoch) in enumerate(zip(expected, received), start=1):
        if not isinstance(got_epoch, (list, tuple)):
            return f"epoch {e}: expected a sequence of batches, got {_describe(got_epoch)}"
        if len(got_epoch) != len(exp_epoch):
            want = [len(b[0]) for b in exp_epoch]
            got = [len(b[0]) if isinstance(b, tuple) and b and hasattr(b[0], "__len__")
                   else "?" for b in got_epoch]
            return (f"epoch {e}: expected {len(exp_epoch)} batches of sizes {want}, got "
                    f"{len(got_epoch)} of sizes {got}")
        for k, (exp_batch, got_batch) in enumerate(zip(exp_epoch, got_epoch), start=1):
            if not isinstance(got_batch, tuple) or len(got_batch) != 2:
                return (f"epoch {e}, batch {k}: expected a pair (X_batch, y_batch), got "
                        f"{_describe(got_batch)}")
            for name, exp_part, got_part in zip(("X_batch", "y_batch"), exp_batch, got_batch):
                diff = compare_outputs(exp_part, got_part)
                if diff is not None:
                    return f"epoch {e}, batch {k}, {name}: {diff}"
    return None


def _mb_cases():
    rng = np.random.default_rng(30)

    def data(n, shape=(2,)):
        X = rng.standard_normal((n, *shape))
        y = 100.0 + rng.permutation(n).astype(np.float64)  # distinct targets
        return X, y

    return [
        Case("10 samples, batch size 3 (the last batch has 1 sample)", (*data(10), 3, 1)),
        Case("12 samples, batch size 4 (no partial batch)", (*data(12), 4, 2)),
        Case("batch size 1 (stochastic gradient descent)", (*data(6), 1, 3)),
        Case("batch size 8 with 5 samples (one batch with everything)", (*data(5), 8, 4)),
        Case("images: X of shape (7, 2, 2), batch size 2", (*data(7, (2, 2)), 2, 5)),
    ]


MINIBATCHES = Check(
    name="check_minibatches",
    function="minibatches",
    reference=_two_epochs(_library),
    cases=_mb_cases,
    mistakes=(
        Mistake("last partial batch dropped", _EXPLAIN["last partial batch dropped"],
                _two_epochs(_drop_last), hint=2),
        Mistake("no shuffling", _EXPLAIN["no shuffling"], _two_epochs(_no_shuffle), hint=1),
        Mistake("X and y shuffled differently", _EXPLAIN["X and y shuffled differently"],
                _two_epochs(_two_permutations), hint=1),
        Mistake("same order every epoch", _EXPLAIN["same order every epoch"],
                _two_epochs(_fixed_seed), hint=1),
        Mistake("sample repeated or missing", _EXPLAIN["sample repeated or missing"],
                _two_epochs(_with_replacement), hint=2),
        Mistake("sample repeated or missing", _EXPLAIN["sample repeated or missing"],
                _two_epochs(_overlapping), hint=2),
        Mistake("pairs in the order (y, X)", _EXPLAIN["pairs in the order (y, X)"],
                _two_epochs(_y_first), hint=None),
    ),
    forbidden=("nnlesson.data.minibatches", "nnlesson.data._*"),
    hints=HINTS,
    compare=_compare_epochs,
    diagnose=False,  # the generic diagnoses know arrays, not epochs of batches
    doc="``minibatches(X, y, batch_size, rng)`` yields the ``(X_batch, y_batch)`` pairs of one "
        "epoch: one ``rng.permutation(len(X))`` per call, cut into consecutive slices of "
        "``batch_size`` (the last may be smaller), the same indices for X and y",
)


def _check_minibatches(student_fn):
    """Run :data:`MINIBATCHES` on the student's function seen over two epochs; when it fails
    without a named mistake, read the contents of the batches."""
    cases = MINIBATCHES.get_cases()
    if not callable(student_fn):
        return MINIBATCHES.run(student_fn)
    stale = _stale.stale_definition(student_fn)
    if stale:
        return CheckResult(MINIBATCHES.name, False, stale, mistake="stale definition",
                           cases=len(cases))
    student = _two_epochs(student_fn)
    result = MINIBATCHES.run(student)
    if result.mistake is not None or not result.message.startswith("wrong result"):
        return result  # passed, not written yet, named, or another problem (raised, in place)
    reference = _two_epochs(_library)
    for case in cases:
        try:
            with time_limit(MINIBATCHES.time_limit):
                received = student(*copy.deepcopy(case.args))
        except Exception:  # reported by the run above already
            continue
        if _compare_epochs(reference(*copy.deepcopy(case.args)), received) is None:
            continue
        found = _read_batches(case, received)
        if found is not None:
            name, detail = found
            hint = 1 if name in _IDEA_MISTAKES else 2
            return CheckResult(result.name, False,
                               f"{_EXPLAIN[name]} Hint {hint} above gives {HINTS[hint - 1]}.",
                               [f"on case '{case.label}': {detail}"], name, cases=len(cases))
    return result


_IDEA_MISTAKES = ("no shuffling", "same order every epoch", "X and y shuffled differently",
                  "order not drawn with rng.permutation")


# --------------------------------------------------------------------------- largest safe lr


def _largest_safe_lr(Z):
    """``min_i 2 / c_i`` with ``c_i = 2 ||z_i||^2``: no single-sample step overshoots."""
    curvature = 2.0 * np.einsum("ij,ij->i", Z, Z)
    return float(2.0 / curvature.max())


def _safe_lr_cases():
    from nnlesson.datasets import load_wine
    from nnlesson.scaling import StandardScaler

    wine = load_wine()
    k = wine.feature_names.index("alcohol")
    X = StandardScaler().fit_transform(np.delete(wine.X, k, axis=1))
    Z_wine = np.column_stack([X, np.ones(len(X))])
    rng = np.random.default_rng(33)
    spread = rng.normal(size=(20, 4)) * rng.uniform(0.2, 3.0, size=(20, 1))
    spread = np.column_stack([spread, np.ones(20)])
    with_zero = np.column_stack([rng.normal(size=(6, 3)), np.ones(6)])
    with_zero[2] = 0.0  # a row of zeros: its loss is flat, curvature 0
    wide = rng.normal(size=(3, 40))  # more inputs than samples, no bias column
    return [
        Case("the lesson's 178 wines (12 standardized features and the bias)", (Z_wine,)),
        Case("three rows by hand: [3, 4], [1, 0], [0, 2]",
             (np.array([[3.0, 4.0], [1.0, 0.0], [0.0, 2.0]]),)),
        Case("20 rows of very different sizes, a bias column", (spread,)),
        Case("one sample, three inputs", (np.array([[0.5, -1.0, 2.0]]),)),
        Case("6 rows, one of them all zeros", (with_zero,)),
        Case("3 samples with 40 inputs each (no bias column)", (wide,)),
    ]


def _sum_sq(Z, axis=1):
    return np.sum(np.asarray(Z) ** 2, axis=axis)


SAFE_LR = Check(
    name="check_largest_safe_lr",
    function="largest_safe_lr",
    reference=_largest_safe_lr,
    cases=_safe_lr_cases,
    mistakes=(
        Mistake(
            "typical sample instead of the most curved",
            "Your rate is 2 / mean(c): safe for a typical sample, but a sample with a larger "
            "input is more curved and overshoots at that rate (on the wines, 2 / mean(c) = "
            "0.077 diverges). No step may overshoot: take the LARGEST curvature, 2 / max(c).",
            lambda Z: float(2.0 / np.mean(2.0 * _sum_sq(Z))), hint=1),
        Mistake(
            "least curved sample",
            "Your rate is 2 / min(c) (or the largest of the per-sample rates 2 / c_i): that "
            "is the rate at which the FLATTEST sample starts to overshoot; every other sample "
            "overshoots earlier. The safe rate is the smallest of the 2 / c_i: 2 / max(c).",
            lambda Z: float(2.0 / np.min(2.0 * _sum_sq(Z))), hint=1),
        Mistake(
            "least curved sample",
            "Your rate is the largest of the per-sample rates 2 / c_i: that is the rate at which "
            "the FLATTEST sample starts to overshoot; every other sample overshoots earlier. The "
            "safe rate is the smallest of the 2 / c_i: 2 / max(c).",
            lambda Z: float(np.max([2.0 / c for c in 2.0 * _sum_sq(Z) if c > 0])), hint=1),
        Mistake(
            "the full batch's curvature",
            "Your rate is 2 / lambda_max of the full batch's Hessian (2/n) Z^T Z: that is "
            "batch gradient descent's limit (0.216 on the wines). With batch size 1 each step "
            "sees one sample's curvature 2 ||z_i||^2, which is much larger than the average's.",
            lambda Z: float(2.0 / np.linalg.eigvalsh(2.0 / len(Z) * np.asarray(Z).T
                                                     @ np.asarray(Z))[-1]), hint=2),
        Mistake(
            "the Hessian of the summed loss",
            "Your rate is 2 / lambda_max of 2 Z^T Z, the Hessian of the loss SUMMED over all "
            "samples: safe, but far too small (it is at least every single sample's curvature "
            "added together). One step of batch size 1 sees one sample's loss, whose curvature "
            "is c_i = 2 ||z_i||^2: the rate must be safe for the largest c_i.",
            lambda Z: float(2.0 / np.linalg.eigvalsh(2.0 * np.asarray(Z).T
                                                     @ np.asarray(Z))[-1]), hint=1),
        Mistake(
            "factor 2 missing in the curvature",
            "Your curvature is ||z_i||^2, but the second derivative of (z . w - y)^2 along z "
            "is 2 ||z||^2 (the square brings down a 2), so your rate is twice too large.",
            lambda Z: float(2.0 / np.max(_sum_sq(Z))), hint=2),
        Mistake(
            "1 / c instead of 2 / c",
            "Your rate is 1 / max(c), half the safe rate. On a parabola of curvature c, a "
            "gradient step multiplies the distance to the bottom by 1 - lr c: it lands exactly "
            "on the bottom at lr = 1 / c and only overshoots beyond |1 - lr c| = 1, at "
            "lr = 2 / c.",
            lambda Z: float(1.0 / np.max(2.0 * _sum_sq(Z))), hint=1),
        Mistake(
            "norm not squared",
            "Your curvature uses ||z_i||, the length of the input, where the second derivative "
            "of (z . w - y)^2 along z has its square: c_i = 2 ||z_i||^2 (sum the squares of "
            "the row's entries, do not take the root).",
            lambda Z: float(2.0 / np.max(2.0 * np.sqrt(_sum_sq(Z)))), hint=2),
        Mistake(
            "summed over samples instead of inputs",
            "Your curvatures sum the squares down each column (over the samples), giving one "
            "number per input. A sample's curvature sums the squares of ITS OWN row, one number "
            "per sample: c_i = 2 ||z_i||^2 (axis=1).",
            lambda Z: float(2.0 / np.max(2.0 * _sum_sq(Z, axis=0))), hint=3),
        Mistake(
            "mean of the squares instead of their sum",
            "Your curvature averages the squared entries of a row (np.mean); ||z_i||^2 is their "
            "SUM, so yours is too small by the number of inputs and the rate too large.",
            lambda Z: float(2.0 / np.max(2.0 * np.mean(np.asarray(Z) ** 2, axis=1))), hint=2),
        Mistake(
            "largest single entry instead of the row's norm",
            "You took the largest squared entry of Z; a sample's curvature adds up ALL its "
            "inputs' squares: c_i = 2 ||z_i||^2 = 2 (z_i1^2 + ... + z_ip^2).",
            lambda Z: float(2.0 / np.max(2.0 * np.asarray(Z) ** 2)), hint=2),
        Mistake(
            "bias column left out",
            "You left out the last column. The column of ones is an input like the others: the "
            "bias weight moves at every step too, so its 1 belongs in ||z_i||^2 (and the "
            "function must work for any Z, with or without such a column).",
            lambda Z: float(2.0 / np.max(2.0 * _sum_sq(np.asarray(Z)[:, :-1]))), hint=2),
        Mistake(
            "square of the sum instead of the sum of squares",
            "You squared the sum of a row's entries, (z_i1 + ... + z_ip)^2; ||z_i||^2 is the "
            "sum of the SQUARES, z_i1^2 + ... + z_ip^2 (entries of opposite signs must not "
            "cancel).",
            lambda Z: float(2.0 / np.max(2.0 * np.sum(np.asarray(Z), axis=1) ** 2)), hint=3),
        Mistake(
            "the curvature instead of the rate",
            "You returned the largest curvature, max_i 2 ||z_i||^2, itself. The question is the "
            "learning rate it allows: a step multiplies the distance to that sample's bottom "
            "by 1 - lr c_i, which overshoots once lr > 2 / c_i.",
            lambda Z: float(np.max(2.0 * _sum_sq(Z))), hint=2),
    ),
    hints=HINTS,
    rtol=1e-9,
    doc="``largest_safe_lr(Z) -> float``: ``min_i 2 / c_i`` with the per-sample curvature "
        "``c_i = 2 ||z_i||^2`` (no single-sample step overshoots)",
)

CHECKS = (ITERATIONS, MINIBATCHES, SAFE_LR)

check_iterations_per_epoch = ITERATIONS.check_function()
check_largest_safe_lr = SAFE_LR.check_function()


def check_minibatches(student_fn):
    """Check the student's function ``minibatches(X, y, batch_size, rng)`` over two epochs.

    Returns a CheckResult; declared as ``MINIBATCHES``, with a reading of the batches' contents
    when no listed mistake reproduces them.
    """
    return _check_minibatches(student_fn)


check_minibatches.check = MINIBATCHES
