"""Checks for lesson 03, mini-batches: iterations per epoch and a mini-batch generator.

The references are :func:`nnlesson.data.iterations_per_epoch` and
:func:`nnlesson.data.minibatches`.

``minibatches(X, y, batch_size, rng)`` is checked over two epochs: the check calls it twice
with the same ``numpy.random.Generator``, as a training loop does, and compares every batch
with the library's, which draws one ``rng.permutation(len(X))`` per call. When the batches
differ and no listed mistake reproduces them exactly, the check looks at what the batches
contain (are X and y rows still paired, is every sample there once, is the order shuffled,
does it change between epochs) to name the problem anyway.
"""
from __future__ import annotations

import math

import numpy as np

from nnlesson.course.checks._core import Case, CheckResult, Mistake, compare_outputs, run_check
from nnlesson.data import iterations_per_epoch, minibatches

__all__ = ["check_iterations_per_epoch", "check_minibatches"]


# --------------------------------------------------------------------------- iterations per epoch


def _ipe_cases():
    return [
        Case("10 samples, batch size 3 (the last batch has 1 sample)", (10, 3)),
        Case("1000 samples, batch size 100 (the textbook's example)", (1000, 100)),
        Case("178 wines, batch size 32", (178, 32)),
        Case("12 samples, batch size 4 (no partial batch)", (12, 4)),
        Case("5 samples, batch size 10 (one batch with everything)", (5, 10)),
        Case("1 sample, batch size 1", (1, 1)),
        Case("7 samples, batch size 1 (stochastic gradient descent)", (7, 1)),
        Case("10 samples, batch size 3, drop_last=True", (10, 3), {"drop_last": True}),
        Case("12 samples, batch size 4, drop_last=True", (12, 4), {"drop_last": True}),
        Case("178 wines, batch size 32, drop_last=True", (178, 32), {"drop_last": True}),
    ]


def _ipe_floor(n_samples, batch_size, drop_last=False):
    return n_samples // batch_size


def _ipe_ceil_always(n_samples, batch_size, drop_last=False):
    return math.ceil(n_samples / batch_size)


def _ipe_plus_one(n_samples, batch_size, drop_last=False):
    return n_samples // batch_size if drop_last else n_samples // batch_size + 1


def _ipe_round(n_samples, batch_size, drop_last=False):
    return n_samples // batch_size if drop_last else round(n_samples / batch_size)


def _ipe_swapped(n_samples, batch_size, drop_last=False):
    return math.ceil(n_samples / batch_size) if drop_last else n_samples // batch_size


def _ipe_division(n_samples, batch_size, drop_last=False):
    return n_samples / batch_size


def _ipe_float_ceil(n_samples, batch_size, drop_last=False):
    return np.floor(n_samples / batch_size) if drop_last else np.ceil(n_samples / batch_size)


def check_iterations_per_epoch(student_fn):
    """Check ``iterations_per_epoch(n_samples, batch_size, drop_last=False) -> int``.

    ``ceil(n_samples / batch_size)`` when the last, smaller batch is kept, ``floor`` (that is
    ``n_samples // batch_size``) when it is dropped.
    """
    mistakes = [
        Mistake(
            "floor instead of ceil",
            "You rounded down (n_samples // batch_size), which forgets the last, smaller "
            "batch: 10 samples in batches of 3 are 4 iterations (3 + 3 + 3 + 1), not 3. Round "
            "up with math.ceil(n_samples / batch_size), or (n_samples + batch_size - 1) // "
            "batch_size; round down only when drop_last is True.",
            _ipe_floor),
        Mistake(
            "drop_last ignored",
            "Your count is right when the last batch is kept, but drop_last=True must leave "
            "out the partial batch: then it is n_samples // batch_size.",
            _ipe_ceil_always),
        Mistake(
            "off by one: n // b + 1",
            "n_samples // batch_size + 1 is one too many when batch_size divides n_samples "
            "(12 samples in batches of 4 are 3 iterations, not 4). Use "
            "math.ceil(n_samples / batch_size).",
            _ipe_plus_one),
        Mistake(
            "rounded to the nearest integer",
            "round(n_samples / batch_size) rounds 10 / 3 = 3.33 down to 3 and loses the last "
            "batch. Always round up: math.ceil(n_samples / batch_size).",
            _ipe_round),
        Mistake(
            "drop_last the wrong way round",
            "You used floor when the last batch is kept and ceil when it is dropped: swap "
            "them. Keeping the partial batch adds one iteration (ceil); dropping it gives "
            "floor.",
            _ipe_swapped),
        Mistake(
            "not rounded",
            "n_samples / batch_size is a fraction (10 / 3 = 3.33...), but iterations are "
            "counted in whole batches: round up with math.ceil (floor with drop_last).",
            _ipe_division),
        Mistake(
            "a float, not an int",
            "The count is right but it is a float (np.ceil and np.floor return floats). An "
            "iteration count is a whole number: wrap it in int(), or use math.ceil, which "
            "returns an int.",
            _ipe_float_ceil),
    ]
    return run_check("check_iterations_per_epoch", student_fn, _ipe_cases(), iterations_per_epoch,
                     mistakes)


# --------------------------------------------------------------------------- minibatches

EPOCHS = 2


def _two_epochs(fn):
    """Call ``fn(X, y, batch_size, rng)`` twice with one Generator seeded by ``seed``.

    Returns ``[epoch_1_batches, epoch_2_batches]`` (lists of what ``fn`` yields), or what
    ``fn`` returned if it is None or not iterable, so that the framework reports it.
    """
    def two_epochs(X, y, batch_size, seed):
        rng = np.random.default_rng(seed)
        epochs = []
        for _ in range(EPOCHS):
            out = fn(X, y, batch_size, rng)
            if out is None:
                return None
            try:
                batches = iter(out)
            except TypeError:
                return out
            epochs.append([tuple(b) if isinstance(b, list) else b for b in batches])
        return epochs
    return two_epochs


def _reference(X, y, batch_size, rng):
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


def _overlapping(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size + 1]
        yield X[idx], y[idx]


_EXPLAIN = {
    "last partial batch dropped": (
        "The last, smaller batch is missing: with 10 samples and batch size 3 an epoch has "
        "4 batches (3 + 3 + 3 + 1), and yours stops after 3, so some samples are never "
        "trained on in that epoch. Loop with range(0, len(X), batch_size): slicing "
        "order[start:start + batch_size] simply returns fewer rows at the end."),
    "no shuffling": (
        "Your batches come in the order of the rows, every epoch. If the data are sorted "
        "(the wine file is sorted by cultivar) each batch then holds one kind of sample only. "
        "Draw a new order at every call: order = rng.permutation(len(X)), then slice "
        "order[start:start + batch_size]."),
    "same order every epoch": (
        "You shuffle, but both epochs come out in the same order: your function makes its "
        "own generator with a fixed seed (or reuses one permutation) instead of drawing from "
        "the rng it is given. Use the rng argument: order = rng.permutation(len(X)) inside "
        "the function gives a new order at every call."),
    "X and y shuffled differently": (
        "X and y were shuffled with two different permutations, so each input sits next to "
        "another sample's target and the model learns noise. Draw ONE order = "
        "rng.permutation(len(X)) and index both with it: X[idx], y[idx]."),
    "sample repeated or missing": (
        "In an epoch some samples are missing or used more than once. An epoch must use "
        "every sample exactly once: take one permutation (rng.permutation(len(X)), not "
        "rng.integers or rng.choice with replacement) and cut it into consecutive slices "
        "order[start:start + batch_size] with start = 0, batch_size, 2 * batch_size, ..."),
    "wrong batch sizes": (
        "Every sample is there once, but the batches do not have batch_size samples each "
        "(only the last one may be smaller). Cut the order into slices "
        "order[start:start + batch_size] for start in range(0, len(X), batch_size)."),
    "order not drawn with rng.permutation": (
        "Your batches are valid (every sample once, X and y paired, a new order each epoch), "
        "but not in the order the check expects, so it cannot compare them. Draw the order "
        "exactly once per call as order = rng.permutation(len(X)) with the rng you are "
        "given (not np.random.permutation, not rng.choice), then slice it in order."),
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


def _diagnose(case, received):
    """``(mistake name, detail)`` for the student's two epochs of batches, or None."""
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


class _Reference(list):
    """The reference's output (a list of epochs), marked so the comparison can tell it apart
    from a mistake's output."""


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


def check_minibatches(student_fn):
    """Check ``minibatches(X, y, batch_size, rng)``, which yields ``(X_batch, y_batch)`` pairs.

    One call is one epoch: draw ``order = rng.permutation(len(X))``, then yield ``X[idx],
    y[idx]`` for ``idx = order[start:start + batch_size]``, ``start = 0, batch_size, ...``;
    the last batch may be smaller. The check calls the function twice with the same ``rng``
    (two epochs), so the second call must give a new order.
    """
    cases = _mb_cases()
    failing = []  # (case number, received) of the student's outputs that differ

    def reference(X, y, batch_size, seed):
        return _Reference(_two_epochs(_reference)(X, y, batch_size, seed))

    def compare(expected, received):
        diff = _compare_epochs(expected, received)
        if diff is not None and isinstance(expected, _Reference):
            failing.append((compare.calls, received))
        if isinstance(expected, _Reference):
            compare.calls += 1
        return diff

    compare.calls = 0
    mistakes = [
        Mistake("last partial batch dropped", _EXPLAIN["last partial batch dropped"],
                _two_epochs(_drop_last)),
        Mistake("no shuffling", _EXPLAIN["no shuffling"], _two_epochs(_no_shuffle)),
        Mistake("X and y shuffled differently", _EXPLAIN["X and y shuffled differently"],
                _two_epochs(_two_permutations)),
        Mistake("same order every epoch", _EXPLAIN["same order every epoch"],
                _two_epochs(_fixed_seed)),
        Mistake("sample repeated or missing", _EXPLAIN["sample repeated or missing"],
                _two_epochs(_with_replacement)),
        Mistake("sample repeated or missing", _EXPLAIN["sample repeated or missing"],
                _two_epochs(_overlapping)),
    ]
    student = _two_epochs(student_fn) if callable(student_fn) else student_fn
    result = run_check("check_minibatches", student, cases, reference, mistakes, compare=compare)
    if result.status != "fail" or result.mistake is not None:
        return result
    for index, received in failing:
        found = _diagnose(cases[index], received)
        if found is not None:
            name, detail = found
            return CheckResult(result.name, False, _EXPLAIN[name],
                               [f"on case '{cases[index].label}': {detail}"], name,
                               cases=len(cases))
    return result
