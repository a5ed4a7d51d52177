"""Diagnosing a training run (lesson 14): record what a run does, read the evidence, name the fault.

A loss curve alone rarely says what went wrong. :func:`record_training` trains a
:class:`~nnlesson.layers.Sequential` model as :func:`nnlesson.train.fit` does, and records
what a doctor would watch: the loss and the global gradient norm of every update, the loss
and accuracy of every epoch on both sets, each layer's gradient norm, and the statistics of
each hidden layer's activations (the mean and spread of what goes into the activation, the
share of ReLU outputs that are zero, the units that never fired in an epoch). It can also
reproduce the classic bugs of a hand-written training loop (``bugs=``), so that their
signatures can be seen.

:func:`find_evidence` measures each signature in a :class:`RunRecord` (loss above
``ln(classes)`` at the start, a loss that rises, that falls too slowly, a validation loss
that turns up, a plateau, dead ReLUs, exploding gradients, an evaluation that is random,
...); :func:`diagnose` names the most likely of :data:`FAULTS` and says why, and
:func:`explain` says why any given fault does or does not fit the evidence.
:func:`fault_run` makes the course's patients: the digits network with one fault each.

Sanity checks before training: :func:`expected_initial_loss` (``ln(classes)`` for a network
that starts out guessing) and :func:`overfit_small_batch` (a network that cannot drive the
loss on a handful of examples to about zero has a bug).
"""
from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_bool, check_choice, check_int, check_number, check_rng

__all__ = [
    "FAULTS",
    "FAULT_LABELS",
    "LOOP_BUGS",
    "SIGNATURES",
    "RunRecord",
    "record_training",
    "fault_run",
    "expected_initial_loss",
    "overfit_small_batch",
    "Finding",
    "find_evidence",
    "Diagnosis",
    "diagnose",
    "explain",
]

#: The faults of the course's patients (:func:`fault_run`), "healthy" first.
FAULTS = (
    "healthy",
    "lr_too_high",
    "gradients_not_zeroed",
    "unshuffled",
    "batchnorm_in_eval",
    "dropout_at_test",
    "unscaled_inputs",
    "dead_relu_init",
)

#: Each fault in words.
FAULT_LABELS = {
    "healthy": "nothing wrong",
    "lr_too_high": "learning rate too high",
    "gradients_not_zeroed": "gradients never zeroed",
    "unshuffled": "data never shuffled (sorted by label)",
    "batchnorm_in_eval": "batch norm left in eval mode while training",
    "dropout_at_test": "dropout left on at test time",
    "unscaled_inputs": "inputs not scaled",
    "dead_relu_init": "an initialization that kills the ReLUs",
}

#: Bugs :func:`record_training` can put into its loop.
LOOP_BUGS = ("no_zero_grad", "no_train_after_eval", "no_eval_for_validation")

#: The signatures :func:`find_evidence` measures in a run's curves.
SIGNATURES = ("lr_too_high", "lr_too_low", "overfitting", "underfitting", "plateau",
              "dead_relus", "exploding_gradients")


# --------------------------------------------------------------------------- the record


@dataclass(frozen=True, eq=False)
class RunRecord:
    """What :func:`record_training` measured (arrays are read-only).

    Per update ``t`` (``T`` of them; the last one is the update that diverged, if any):

    - ``loss`` (T,): the mini-batch loss before the update.
    - ``grad_norm`` (T,): the global L2 norm of all gradients used by the update.
    - ``batch_classes`` (T,): how many different labels the mini-batch held (what goes into
      the network is the first thing to look at).

    Before training: ``initial_zero_fraction`` (H,), the share of each activation layer's
    outputs that are zero on the first mini-batch (about half for a healthy ReLU layer).

    Per complete epoch ``e`` (``E`` of them), with ``L`` linear layers and ``H`` hidden
    activation layers:

    - ``train_loss``, ``train_acc`` (E,): the mean over the epoch's mini-batches.
    - ``val_loss``, ``val_acc`` (E,): the validation set after the epoch; ``val_loss_again``
      (E,): the same set evaluated a second time right after (with the same weights the two
      must agree: a difference means the evaluation is random).
    - ``layer_grad_norm`` (E, L): ``||dL/dW||`` of each linear layer, mean over the epoch.
    - ``preact_mean``, ``preact_std`` (E, H): mean and standard deviation of what goes into
      each activation layer (after batch norm, if there is one), mean over the epoch.
    - ``zero_fraction`` (E, H): the share of the activation's outputs that are exactly 0.
    - ``dead_fraction`` (E, H): the share of units that output 0 for every example of the
      epoch (dead ReLUs).

    Also: ``lr``, ``batch_size``, ``iterations_per_epoch``, ``n_classes``, ``has_batchnorm``, ``diverged_at``
    (index into ``loss`` or None) and a ``label``.
    """

    label: str
    lr: float
    batch_size: int
    iterations_per_epoch: int
    n_classes: int
    has_batchnorm: bool
    loss: np.ndarray
    grad_norm: np.ndarray
    batch_classes: np.ndarray
    initial_zero_fraction: np.ndarray
    train_loss: np.ndarray
    train_acc: np.ndarray
    val_loss: np.ndarray
    val_loss_again: np.ndarray
    val_acc: np.ndarray
    layer_grad_norm: np.ndarray
    preact_mean: np.ndarray
    preact_std: np.ndarray
    zero_fraction: np.ndarray
    dead_fraction: np.ndarray
    diverged_at: int | None = None

    def __post_init__(self):
        for name, value in vars(self).items():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False

    @property
    def initial_loss(self):
        """The loss of the first mini-batch, before any update."""
        return float(self.loss[0])

    @property
    def epochs_run(self):
        return len(self.train_loss)

    @property
    def diverged(self):
        return self.diverged_at is not None

    def __repr__(self):
        end = (f"diverged at update {self.diverged_at}" if self.diverged
               else f"train_loss={self.train_loss[-1]:.3g}, val_loss={self.val_loss[-1]:.3g}")
        return f"RunRecord({self.label!r}, {self.epochs_run} epochs, {end})"


def record_training(model, X, y, X_val, y_val, *, optimizer, epochs, batch_size, rng=None,
                    shuffle=True, bugs=(), label=""):
    """Train ``model`` with mini-batches (softmax cross-entropy) and record everything.

    The loop is :func:`nnlesson.train.fit`'s, written out so that each bug of a hand-written
    loop can be switched on::

        for each epoch:
            for each mini-batch (xb, yb):
                zero the gradients                      (skipped with "no_zero_grad")
                forward layer by layer, recording each activation's statistics
                loss, backward, global gradient norm, optimizer.step()
            model.eval()                                (skipped with "no_eval_for_validation")
            validation loss and accuracy, measured twice
            model.train()                               (skipped with "no_train_after_eval")

    Training stops at the first update whose loss or gradient norm is NaN/inf, or that
    overflows (that update's values are recorded; the weights stay as before it).

    Args:
        model: a :class:`~nnlesson.layers.Sequential` (e.g. from :func:`nnlesson.train.mlp`)
            ending in class scores.
        X: (N, D) inputs. y: (N,) integer labels. X_val, y_val: the validation set.
        optimizer: an optimizer built on ``model.parameters()``.
        epochs: >= 1. batch_size: >= 1.
        rng: None, a seed or a Generator: the shuffling.
        shuffle: a new random order each epoch (False: the rows in the order given).
        bugs: names from :data:`LOOP_BUGS`.
        label: a name for the run.

    Returns:
        :class:`RunRecord`.

    Raises:
        ValueError, TypeError: a bad argument (named in the message).
    """
    from nnlesson._validate import check_array
    from nnlesson.data import iterations_per_epoch, minibatches
    from nnlesson.layers import Linear, ReLU, Sequential, Sigmoid, Tanh
    from nnlesson.losses import softmax_cross_entropy
    from nnlesson.norm import BatchNorm

    if not isinstance(model, Sequential):
        raise TypeError(f"model must be an nnlesson Sequential (e.g. from mlp), "
                        f"got {type(model).__name__}")
    X = check_array("X", X, ndim=2, min_rows=1)
    X_val = check_array("X_val", X_val, ndim=2, min_rows=1)
    y = np.asarray(y)
    y_val = np.asarray(y_val)
    if y.shape != (X.shape[0],) or y_val.shape != (X_val.shape[0],):
        raise ValueError(f"y and y_val must be 1-D labels, one per row of X and X_val, got "
                         f"shapes {y.shape} and {y_val.shape}")
    epochs = check_int("epochs", epochs, low=1)
    batch_size = check_int("batch_size", batch_size, low=1)
    rng = check_rng(rng)
    shuffle = check_bool("shuffle", shuffle)
    if isinstance(bugs, str):
        bugs = (bugs,)
    for bug in bugs:
        check_choice("bugs", bug, LOOP_BUGS)
    n_classes = int(max(y.max(), y_val.max())) + 1

    layers = model.layers
    params = model.parameters()
    linears = [m for m in layers if isinstance(m, Linear)]
    acts = [i for i, m in enumerate(layers) if isinstance(m, (ReLU, Tanh, Sigmoid))]
    H, L = len(acts), len(linears)
    ipe = iterations_per_epoch(X.shape[0], batch_size)
    rec = {k: [] for k in ("loss", "grad_norm", "batch_classes", "train_loss", "train_acc", "val_loss",
                           "val_loss_again", "val_acc", "layer_grad_norm", "preact_mean",
                           "preact_std", "zero_fraction", "dead_fraction")}
    diverged_at = None
    first_zero = np.zeros(H)
    model.train()
    for p in params:
        p.zero_grad()
    for _ in range(epochs):
        fired = [np.zeros(0, dtype=bool) for _ in range(H)]
        stats = np.zeros((4, H))  # preact mean, preact std, zero fraction; summed over batches
        layer_grads = np.zeros(L)
        sum_loss = sum_correct = 0.0
        seen = batches = 0
        for xb, yb in minibatches(X, y, batch_size, shuffle=shuffle, rng=rng):
            if "no_zero_grad" not in bugs:
                for p in params:
                    p.zero_grad()
            try:
                with np.errstate(over="raise", invalid="raise"):
                    h = xb
                    for i, layer in enumerate(layers):
                        if i in acts:
                            j = acts.index(i)
                            stats[0, j] += h.mean()
                            stats[1, j] += h.std()
                        h = layer.forward(h)
                        if i in acts:
                            on = (h != 0).any(axis=0)
                            fired[j] = on if fired[j].size == 0 else (fired[j] | on)
                            stats[2, j] += np.mean(h == 0)
                            if not rec["loss"]:
                                first_zero[j] = np.mean(h == 0)
                    loss, dout = softmax_cross_entropy(h, yb)
                    loss = float(loss)
                    model.backward(dout)
                    norm = math.sqrt(sum(float(np.sum(p.grad * p.grad)) for p in params))
                ok = math.isfinite(loss) and math.isfinite(norm)
            except (FloatingPointError, ValueError):
                loss = norm = math.nan
                ok = False
            rec["loss"].append(loss)
            rec["grad_norm"].append(norm)
            rec["batch_classes"].append(len(np.unique(yb)))
            if not ok:
                diverged_at = len(rec["loss"]) - 1
                break
            layer_grads += [math.sqrt(float(np.sum(m.W.grad ** 2))) for m in linears]
            sum_loss += loss * len(xb)
            sum_correct += float(np.sum(np.argmax(h, axis=1) == yb))
            seen += len(xb)
            batches += 1
            with np.errstate(all="ignore"):
                optimizer.step()
        if diverged_at is not None:
            break
        if "no_eval_for_validation" not in bugs:
            model.eval()
        try:
            with np.errstate(over="raise", invalid="raise"):
                out = model.forward(X_val)
                val_loss = float(softmax_cross_entropy(out, y_val)[0])
                val_acc = float(np.mean(np.argmax(out, axis=1) == y_val))
                val_again = float(softmax_cross_entropy(model.forward(X_val), y_val)[0])
        except (FloatingPointError, ValueError):
            val_loss = val_again = math.nan
            val_acc = 0.0
        if "no_train_after_eval" not in bugs:
            model.train()
        rec["train_loss"].append(sum_loss / seen)
        rec["train_acc"].append(sum_correct / seen)
        rec["val_loss"].append(val_loss)
        rec["val_loss_again"].append(val_again)
        rec["val_acc"].append(val_acc)
        rec["layer_grad_norm"].append(layer_grads / batches)
        rec["preact_mean"].append(stats[0] / batches)
        rec["preact_std"].append(stats[1] / batches)
        rec["zero_fraction"].append(stats[2] / batches)
        rec["dead_fraction"].append([1.0 - float(np.mean(f)) if f.size else 0.0 for f in fired])
        if not math.isfinite(val_loss):
            diverged_at = len(rec["loss"]) - 1
            break
    arrays = {}
    for key, values in rec.items():
        width = {"layer_grad_norm": L}.get(key, H)
        if key in ("layer_grad_norm", "preact_mean", "preact_std", "zero_fraction",
                   "dead_fraction"):
            arrays[key] = np.array(values, dtype=np.float64).reshape(len(values), width)
        else:
            arrays[key] = np.array(values, dtype=np.float64)
    return RunRecord(label=str(label), lr=float(optimizer.lr), batch_size=batch_size,
                     iterations_per_epoch=ipe,
                     n_classes=n_classes,
                     has_batchnorm=any(isinstance(m, BatchNorm) for m in layers),
                     initial_zero_fraction=first_zero, diverged_at=diverged_at, **arrays)


# --------------------------------------------------------------------------- the patients


#: The prescribed learning rate of each patient (SGD with momentum 0.9 on the digits).
PRESCRIBED_LR = {"lr_too_high": 1.0, "batchnorm_in_eval": 0.3}
BASE_LR = 0.05
DEAD_BIAS = -3.0


@functools.lru_cache(maxsize=256)
def fault_run(fault, *, lr_factor=1.0, momentum=0.9, seed=0, epochs=12, with_fault=True):
    """One of the course's patients: the digits network trained with one fault.

    The network is ``mlp([64, 64, 64, 10])`` (ReLU, He initialization) trained with SGD
    (``momentum``) on :func:`nnlesson.datasets.load_digits_split`, mini-batches of 64,
    ``epochs`` epochs, at the prescribed rate (0.05; 1.0 for ``"lr_too_high"``; 0.3 for
    ``"batchnorm_in_eval"``, whose network has batch norm) times ``lr_factor``. The faults:

    ======================  =======================================================
    ``healthy``             nothing wrong
    ``lr_too_high``         the rate is 20 times the healthy one
    ``gradients_not_zeroed``the loop never zeroes the gradients (they add up)
    ``unshuffled``          the rows sorted by label and never shuffled
    ``batchnorm_in_eval``   batch norm after each hidden layer; the loop calls
                            ``model.eval()`` for validation and never ``model.train()``
    ``dropout_at_test``     dropout 0.5 after each hidden layer; the loop never calls
                            ``model.eval()``, so validation runs with dropout
    ``unscaled_inputs``     raw pixels (0 to 16) instead of standardized ones
    ``dead_relu_init``      the hidden layers' biases start at -3: most ReLUs are off
    ======================  =======================================================

    ``with_fault=False`` gives the same setup without the fault (the healthy twin: the same
    network, data order and rate; for ``"lr_too_high"`` the healthy rate). The run is cached.

    Returns:
        :class:`RunRecord` labelled with the fault.
    """
    from nnlesson.data import train_val_split
    from nnlesson.datasets import load_digits, load_digits_split
    from nnlesson.layers import Linear
    from nnlesson.optim import SGD
    from nnlesson.train import mlp

    check_choice("fault", fault, FAULTS)
    lr_factor = check_number("lr_factor", lr_factor, low=0, low_open=True)
    momentum = check_number("momentum", momentum, low=0, high=1, high_open=True)
    seed = check_int("seed", seed, low=0)
    with_fault = check_bool("with_fault", with_fault)
    active = fault if with_fault else "healthy"
    X, X_val, y, y_val = load_digits_split()
    prescribed = BASE_LR if active == "healthy" and fault == "lr_too_high" else \
        PRESCRIBED_LR.get(fault, BASE_LR)
    lr = prescribed * lr_factor
    shuffle, bugs = True, ()
    if active == "unshuffled":
        order = np.argsort(y, kind="stable")
        X, y, shuffle = X[order], y[order], False
    if active == "unscaled_inputs":
        digits = load_digits()
        X, X_val, y, y_val = train_val_split(digits.X, digits.y, 0.3, rng=0, stratify=True)
    model = mlp([64, 64, 64, 10], batch_norm=fault == "batchnorm_in_eval",
                dropout=0.5 if fault == "dropout_at_test" else 0.0, rng=seed)
    if active == "batchnorm_in_eval":
        bugs = ("no_train_after_eval",)
    if active == "dropout_at_test":
        bugs = ("no_eval_for_validation",)
    if active == "gradients_not_zeroed":
        bugs = ("no_zero_grad",)
    if active == "dead_relu_init":
        for layer in model.layers[:-1]:
            if isinstance(layer, Linear):
                layer.b.value[:] = DEAD_BIAS
    opt = SGD(model.parameters(), lr=lr, momentum=momentum)
    return record_training(model, X, y, X_val, y_val, optimizer=opt, epochs=epochs,
                           batch_size=64, rng=seed, shuffle=shuffle, bugs=bugs,
                           label=fault if with_fault else f"{fault} (healthy twin)")


# --------------------------------------------------------------------------- sanity checks


def expected_initial_loss(n_classes):
    """``ln(n_classes)``: the cross-entropy of a network that gives every class the same score.

    A network that starts out guessing (small final-layer weights) starts there; a first loss
    far above it means over-confident wrong guesses (large weights or unscaled inputs).

    Raises:
        ValueError, TypeError: ``n_classes`` < 2.
    """
    return math.log(check_int("n_classes", n_classes, low=2))


def overfit_small_batch(model, X, y, *, optimizer, steps=200):
    """Train on one small batch only, full batch, for ``steps`` updates; return the losses.

    A network and loop without bugs drive the loss on a handful of examples to about zero:
    it has far more weights than there are examples. If the loss stays up, look for a bug
    before training on the whole data set.

    Args:
        model: a :class:`~nnlesson.core.Module` ending in class scores.
        X: (n, D) a few examples (e.g. 20). y: (n,) their labels.
        optimizer: built on ``model.parameters()``.
        steps: >= 1 updates.

    Returns:
        float64 array (steps,): the loss before each update.
    """
    from nnlesson._validate import check_array
    from nnlesson.losses import softmax_cross_entropy

    X = check_array("X", X, ndim=2, min_rows=1)
    steps = check_int("steps", steps, low=1)
    losses = np.empty(steps)
    model.train()
    for t in range(steps):
        for p in model.parameters():
            p.zero_grad()
        loss, dout = softmax_cross_entropy(model.forward(X), y)
        model.backward(dout)
        optimizer.step()
        losses[t] = float(loss)
    return losses


# --------------------------------------------------------------------------- the evidence


@dataclass(frozen=True)
class Finding:
    """One piece of evidence: is the signature ``name`` there, the number that says so, why."""

    name: str
    present: bool
    value: float
    why: str

    def __str__(self):
        return f"{'yes' if self.present else 'no '} {self.name}: {self.why}"


#: Thresholds of :func:`find_evidence` (each one measured on the course's runs, see the tests).
HIGH_START = 3.0      # first loss above this many times ln(classes): unscaled inputs
DEAD_SHARE = 0.9      # a layer whose ReLU outputs are this often zero is (nearly) dead
RISE = 1.5            # a training loss this many times its lowest value has climbed back
OVERFIT = 1.2         # a final validation loss this many times its lowest has turned up
FLAT = 0.01           # a relative change per epoch below this is flat
STILL_FALLING = 0.05  # a relative fall per epoch above this at the end: still falling
SPIKE = 10.0          # gradient norm this many times the first epoch's median: exploding
DRIFT = 0.25          # batch-normalized inputs whose spread changes by this much: not normalized
GROWTH = 5.0          # gradient norm this many times larger at the end than at the start
SMOOTH = 0.05         # step-to-step change of the gradient norm below this: an accumulating sum


def _epoch_medians(values, ipe):
    values = np.asarray(values, dtype=np.float64)
    n = len(values) // ipe
    with warnings.catch_warnings():  # an epoch of NaN (a divergence) has a NaN median
        warnings.simplefilter("ignore", RuntimeWarning)
        if n == 0:
            return np.array([np.nanmedian(values)]) if len(values) else np.array([math.nan])
        return np.nanmedian(values[: n * ipe].reshape(n, ipe), axis=1)


def find_evidence(record):
    """Measure every signature in a run's curves.

    Returns a dict ``name -> Finding`` with the seven :data:`SIGNATURES` and five more
    specific pieces of evidence (``"high_start"``, ``"random_evaluation"``,
    ``"dead_from_start"``, ``"unmixed_batches"``, ``"unnormalized_batchnorm"``,
    ``"accumulating_gradient"``). Each finding's ``why`` quotes the numbers.

    Raises:
        TypeError: ``record`` is not a :class:`RunRecord`.
    """
    if not isinstance(record, RunRecord):
        raise TypeError(f"record must be a RunRecord, got {type(record).__name__}")
    r = record
    ln_c = math.log(r.n_classes)
    first = r.initial_loss
    ipe = r.iterations_per_epoch
    E = r.epochs_run
    train = r.train_loss
    found = {}

    def add(name, present, value, why):
        found[name] = Finding(name, bool(present), float(value), why)

    ratio = first / ln_c
    add("high_start", ratio > HIGH_START, ratio,
        f"the first loss is {first:.3g}, {ratio:.1f} times ln({r.n_classes}) = {ln_c:.3g}")

    diff = (np.nanmax(np.abs(r.val_loss_again - r.val_loss)) if E else 0.0)
    add("random_evaluation", diff > 1e-9, diff,
        f"the validation loss measured twice with the same weights differs by up to "
        f"{diff:.3g}")

    zero = r.zero_fraction
    zero_start = float(r.initial_zero_fraction.max()) if r.initial_zero_fraction.size else 0.0
    zero_end = float(zero[-1].max()) if E and zero.shape[1] else 0.0
    dead_end = float(r.dead_fraction[-1].max()) if E and zero.shape[1] else 0.0
    add("dead_from_start", zero_start > DEAD_SHARE and ratio <= HIGH_START, zero_start,
        f"before the first update {zero_start:.0%} of a hidden layer's ReLU outputs are zero")
    add("dead_relus", zero_end > DEAD_SHARE or dead_end > 0.5, max(zero_end, dead_end),
        f"in the last epoch {zero_end:.0%} of a hidden layer's ReLU outputs are zero and "
        f"{dead_end:.0%} of its units never fired")

    # what goes in: a shuffled mini-batch holds most classes, a sorted one one or two
    mixed = float(np.mean(r.batch_classes)) if len(r.batch_classes) else math.nan
    expected = r.n_classes * (1.0 - (1.0 - 1.0 / r.n_classes) ** r.batch_size)
    add("unmixed_batches", mixed < 0.5 * expected, mixed,
        f"a mini-batch holds {mixed:.2g} different labels on average (a shuffled one about "
        f"{expected:.2g} of the {r.n_classes})")

    drift = 0.0
    if r.has_batchnorm and E >= 2:
        drift = float(np.max(np.abs(r.preact_std[-1] / r.preact_std[0] - 1.0)))
    add("unnormalized_batchnorm", drift > DRIFT, drift,
        f"the spread of the batch-normalized activations changed by {drift:.0%} from the "
        f"first epoch to the last" if r.has_batchnorm else "the network has no batch norm")

    g = _epoch_medians(r.grad_norm, ipe)
    growth = g[-1] / g[0] if len(g) >= 2 and g[0] > 0 else 1.0
    last = r.grad_norm[max(0, len(r.grad_norm) - ipe):]
    last = last[np.isfinite(last)]
    wiggle = (float(np.median(np.abs(np.diff(last)) / last[1:])) if len(last) > 2 else 1.0)
    add("accumulating_gradient", growth > GROWTH and wiggle < SMOOTH, growth,
        f"the gradient norm grew {growth:.3g} times from the first epoch to the last and "
        f"changes by only {wiggle:.1%} from one update to the next")

    # ---- the seven signatures of the curves
    spikes = (float(np.nanmax(r.grad_norm[ipe:]) / g[0]) if len(r.grad_norm) > ipe and g[0] > 0
              else 1.0)
    add("exploding_gradients", r.diverged or spikes > SPIKE, spikes,
        f"training diverged at update {r.diverged_at}" if r.diverged else
        f"the largest gradient norm after the first epoch is {spikes:.3g} times the first "
        f"epoch's median")
    if E:
        lowest = int(np.argmin(train))
        rise = float(np.max(train[lowest:]) / train[lowest]) if train[lowest] > 0 else 1.0
        rises = r.diverged or train[0] > 1.1 * first or rise > RISE
        why = (f"training diverged at update {r.diverged_at}" if r.diverged else
               f"the first epoch's mean loss {train[0]:.3g} is above the first loss {first:.3g}"
               if train[0] > 1.1 * first else
               f"the training loss climbed back to {rise:.3g} times its lowest value")
        add("lr_too_high", rises, rise, why)
        k = min(3, E - 1)
        fall = (1.0 - (train[-1] / train[-1 - k]) ** (1.0 / k)) if k > 0 else 0.0
        high = train[-1] / first
        add("lr_too_low", not rises and fall > STILL_FALLING and high > 0.15, fall,
            f"after {E} epochs the training loss is still {high:.0%} of the first loss and "
            f"still falls {fall:.0%} per epoch")
        best = int(np.argmin(r.val_loss))
        turned = float(r.val_loss[-1] / r.val_loss[best])
        add("overfitting", best < E - 1 and turned > OVERFIT and train[-1] < train[best], turned,
            f"the validation loss was lowest after epoch {best + 1} and ended {turned:.3g} "
            f"times higher while the training loss kept falling")
        gap = abs(r.val_loss[-1] - train[-1]) / train[-1] if train[-1] > 0 else 0.0
        add("underfitting", not rises and train[-1] > 0.3 * ln_c and gap < 0.3
            and fall < STILL_FALLING, train[-1],
            f"the training loss ends at {train[-1]:.3g}, with the validation loss "
            f"{r.val_loss[-1]:.3g} close to it")
        # the longest stretch of epochs, high up, over which the loss hardly moved
        longest = run = 0
        for e in range(1, E):
            flat = abs(train[e] - train[e - 1]) < FLAT * train[e] and train[e] > 0.5 * ln_c
            run = run + 1 if flat else 0
            longest = max(longest, run)
        add("plateau", longest >= 3, longest,
            f"the training loss stayed above half of ln({r.n_classes}) and changed by less "
            f"than {FLAT:.0%} per epoch for {longest} epochs in a row")
    else:
        for name in ("lr_too_high", "lr_too_low", "overfitting", "underfitting", "plateau"):
            add(name, name == "lr_too_high", math.nan,
                f"training diverged in the first epoch, at update {r.diverged_at}")
    return found


@dataclass(frozen=True)
class Diagnosis:
    """:func:`diagnose`'s verdict: the fault, the sentence that says why, and the evidence."""

    fault: str
    reason: str
    evidence: dict

    def __str__(self):
        return f"{FAULT_LABELS[self.fault]}: {self.reason}"


#: The faults in the order :func:`diagnose` tests them, each with the evidence that names it.
_RULES = (
    ("dropout_at_test", "random_evaluation"),
    ("unscaled_inputs", "high_start"),
    ("dead_relu_init", "dead_from_start"),
    ("gradients_not_zeroed", "accumulating_gradient"),
    ("unshuffled", "unmixed_batches"),
    ("batchnorm_in_eval", "unnormalized_batchnorm"),
    ("lr_too_high", "lr_too_high"),
    ("lr_too_high", "exploding_gradients"),
)


def diagnose(record):
    """Name the most likely fault of :data:`FAULTS` from the evidence of :func:`find_evidence`.

    The most specific evidence is tried first: a random evaluation (dropout at test time), a
    first loss far above ``ln(classes)`` (unscaled inputs), ReLUs dead from the first epoch
    (their initialization), a gradient norm that grows smoothly (gradients that add up), the
    same loss pattern every epoch (an order that never changes), batch-normalized activations
    that drift (batch norm in eval mode), then a loss that climbs or diverges (the rate).
    Nothing found: ``"healthy"``.

    Returns:
        :class:`Diagnosis`.
    """
    evidence = find_evidence(record)
    for fault, name in _RULES:
        if evidence[name].present:
            return Diagnosis(fault, evidence[name].why, evidence)
    return Diagnosis("healthy", "no fault signature: the loss starts near ln(classes), falls "
                                "and settles, and the gradients and activations behave",
                     evidence)


def explain(record, fault):
    """Why ``fault`` does or does not fit the run: one sentence from the evidence.

    Args:
        record: a :class:`RunRecord`.
        fault: a name from :data:`FAULTS`.

    Returns:
        ``(fits, sentence)``: ``fits`` is True when ``fault`` is :func:`diagnose`'s verdict.
    """
    check_choice("fault", fault, FAULTS)
    verdict = diagnose(record)
    if fault == verdict.fault:
        return True, f"{FAULT_LABELS[fault]}: {verdict.reason}."
    evidence = verdict.evidence
    against = {
        "healthy": "the run shows a fault signature",
        "dropout_at_test": evidence["random_evaluation"].why + " (with dropout left on it "
                                                               "would differ)",
        "unscaled_inputs": evidence["high_start"].why + " (unscaled inputs start far above "
                                                        "ln(classes))",
        "dead_relu_init": evidence["dead_from_start"].why + " (a dead initialization starts "
                                                            "with almost all of them zero)",
        "gradients_not_zeroed": evidence["accumulating_gradient"].why + " (a sum that is never "
                                                                        "cleared grows smoothly)",
        "unshuffled": evidence["unmixed_batches"].why,
        "batchnorm_in_eval": evidence["unnormalized_batchnorm"].why,
        "lr_too_high": evidence["lr_too_high"].why + "; " + evidence["exploding_gradients"].why,
    }[fault]
    return False, (f"not {FAULT_LABELS[fault] if fault != 'healthy' else 'healthy'}: {against}. The evidence points to "
                   f"{FAULT_LABELS[verdict.fault]}: {verdict.reason}.")
