"""Diagnosing a training run (lesson 14): watch a run, read the evidence, name the fault.

A loss curve alone rarely says what went wrong. :class:`TrainingMonitor` is a callback for
:func:`nnlesson.train.fit` (``fit(..., callbacks=[monitor])``) that records what a doctor
watches besides fit's :class:`~nnlesson.train.History` (the loss and global gradient norm of
every update, the losses and accuracies of every epoch): how many different labels each
mini-batch held, each layer's gradient norm, the statistics of each hidden layer's
activations on a fixed set of inputs before training and after every epoch (the mean and
spread of what goes into the activation, the share of outputs that are zero, the units that
are zero for every input: dead ReLUs), and the validation set evaluated again in evaluation
mode. :class:`RunRecord` puts the two together; :func:`record_training` trains with
:func:`~nnlesson.train.fit` and a monitor and returns one.

:func:`find_evidence` measures each signature in a :class:`RunRecord` (a first loss far above
``ln(classes)``, a loss that rises, that falls too slowly, a validation loss that turns up, a
plateau, dead ReLUs, exploding gradients, a validation loss that disagrees with an evaluation
in evaluation mode, ...); :func:`diagnose` names the most likely of :data:`FAULTS` and says
why, and :func:`explain` says why any given fault does or does not fit the evidence. The
course's patients, runs with one fault each (some of them made by a hand-written loop with a
classic bug), are course content: :mod:`nnlesson.course.patients`.

Sanity checks before training: :func:`expected_initial_loss` (``ln(classes)`` for a network
that starts out guessing) and :func:`overfit_small_batch` (a network that cannot drive the
loss on a handful of examples to about zero has a bug).
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_array, check_choice, check_int
from nnlesson.layers import Linear, ReLU, Sequential, Sigmoid, Tanh
from nnlesson.norm import BatchNorm
from nnlesson.train import Callback, DivergenceWarning, History, evaluate, fit

__all__ = [
    "FAULTS",
    "FAULT_LABELS",
    "SIGNATURES",
    "TrainingMonitor",
    "RunRecord",
    "PROBE_ROWS",
    "record_training",
    "expected_initial_loss",
    "overfit_small_batch",
    "Finding",
    "find_evidence",
    "Diagnosis",
    "diagnose",
    "explain",
]

#: The faults :func:`diagnose` can name, "healthy" first.
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

#: The signatures :func:`find_evidence` measures in a run's curves.
SIGNATURES = ("lr_too_high", "lr_too_low", "overfitting", "underfitting", "plateau",
              "dead_relus", "exploding_gradients")


# --------------------------------------------------------------------------- the monitor


def _activation_layers(model):
    return [i for i, m in enumerate(model.layers) if isinstance(m, (ReLU, Tanh, Sigmoid))]


class TrainingMonitor(Callback):
    """A callback for :func:`nnlesson.train.fit` that records what a doctor watches.

    Measured on the model, never changing it (its mode is put back after each measurement):

    - after each update: the number of different labels in the mini-batch, and the gradient
      norm ``||dL/dW||`` of each :class:`~nnlesson.layers.Linear` layer;
    - before the first update and after each epoch, on ``probe`` in evaluation mode (no
      dropout, BatchNorm with its running statistics, so measuring draws no random numbers
      and updates no statistics), for each hidden activation layer: the mean and standard
      deviation of what goes into it, the share of its outputs that are exactly 0, and the
      share of its units that are 0 for every row of ``probe`` (dead ReLUs);
    - after each epoch, with ``X_val`` and ``y_val``: the validation loss in evaluation mode
      (:func:`nnlesson.train.evaluate`), to compare with the loss the training loop reported;
    - after each epoch, for a network with :class:`~nnlesson.norm.BatchNorm`: how much its
      running statistics moved during the epoch (the largest relative change of a
      ``running_var``; exactly 0 when every forward pass of the epoch ran in evaluation mode).

    Args:
        probe: (P, D) inputs for the activation statistics (e.g. the training inputs).
        X_val, y_val: optional validation set (labels), evaluated again after each epoch.

    The model must be a :class:`~nnlesson.layers.Sequential` (e.g. from
    :func:`nnlesson.train.mlp`): its layers are run one by one on ``probe``.
    """

    def __init__(self, probe, X_val=None, y_val=None):
        self.probe = check_array("probe", probe, ndim=2, min_rows=1)
        if (X_val is None) != (y_val is None):
            raise ValueError("X_val and y_val must be given together (both or neither)")
        self.X_val = None if X_val is None else check_array("X_val", X_val, ndim=2, min_rows=1)
        self.y_val = None if y_val is None else np.asarray(y_val)
        self.batch_classes, self.batch_sizes, self.labels_seen = [], [], 0
        self.start = None
        self.epochs = []  # per epoch: a dict of the statistics
        self._layer_grads = []

    def on_train_begin(self, model):
        if not isinstance(model, Sequential):
            raise TypeError(f"model must be an nnlesson Sequential (e.g. from mlp) for a "
                            f"TrainingMonitor, got {type(model).__name__}")
        self.start = self._activations(model)
        self._running = self._running_vars(model)

    def on_batch_end(self, model, xb, yb, history):
        labels = np.unique(yb)
        self.batch_classes.append(len(labels))
        self.batch_sizes.append(len(yb))
        self.labels_seen = max(self.labels_seen, int(labels[-1]) + 1)
        self._layer_grads.append([math.sqrt(float(np.sum(m.W.grad ** 2)))
                                  for m in model.layers if isinstance(m, Linear)])

    def on_epoch_end(self, model, history):
        stats = self._activations(model)
        stats["layer_grad_norm"] = np.mean(self._layer_grads, axis=0)
        self._layer_grads = []
        running = self._running_vars(model)
        stats["batchnorm_change"] = max(
            (float(np.max(np.abs(new - old) / np.maximum(np.abs(old), 1e-12)))
             for new, old in zip(running, self._running)), default=math.nan)
        self._running = running
        stats["val_loss_eval"] = math.nan
        if self.X_val is not None:
            with np.errstate(all="ignore"):
                try:
                    stats["val_loss_eval"] = evaluate(model, self.X_val, self.y_val)[0]
                except ValueError:  # a layer refused the overflowing values: diverged
                    pass
        self.epochs.append(stats)

    @staticmethod
    def _running_vars(model):
        return [m.running_var.copy() for m in model.modules() if isinstance(m, BatchNorm)]

    def _activations(self, model):
        """Mean and spread into each activation layer, zero and dead shares, on the probe."""
        acts = _activation_layers(model)
        out = {k: np.full(len(acts), math.nan) for k in ("preact_mean", "preact_std",
                                                         "zero_fraction", "dead_fraction")}
        was_training = model.training
        model.eval()
        try:
            with np.errstate(all="ignore"):
                h = self.probe
                for i, layer in enumerate(model.layers[: acts[-1] + 1] if acts else ()):
                    if i in acts:
                        j = acts.index(i)
                        out["preact_mean"][j] = h.mean()
                        out["preact_std"][j] = h.std()
                    h = layer.forward(h)
                    if i in acts:
                        zero = h == 0
                        out["zero_fraction"][j] = zero.mean()
                        out["dead_fraction"][j] = zero.all(axis=0).mean()
        except ValueError:  # a layer refused non-finite values: the statistics stay NaN
            pass
        finally:
            model.train(was_training)
        return out


# --------------------------------------------------------------------------- the record


_PER_EPOCH = ("layer_grad_norm", "preact_mean", "preact_std", "zero_fraction", "dead_fraction")


@dataclass(frozen=True, eq=False)
class RunRecord:
    """A training run as the doctor reads it: fit's :class:`~nnlesson.train.History` and a
    :class:`TrainingMonitor`'s measurements, as read-only arrays (:meth:`from_training`).

    Per update ``t`` (``T`` of them; the last one is the update that diverged, if any):

    - ``loss`` (T,): the mini-batch loss before the update; ``grad_norm`` (T,): the global L2
      norm of all gradients the update used (both from the History).
    - ``batch_classes``: how many different labels each completed update's mini-batch held
      (what goes into the network is the first thing to look at).

    Before training: ``initial_zero_fraction`` (H,), the share of each hidden activation
    layer's outputs that are zero on the monitor's probe (about half for a healthy ReLU layer).

    Per complete epoch ``e`` (``E`` of them), with ``L`` linear layers and ``H`` hidden
    activation layers:

    - ``train_loss``, ``train_acc`` (E,): the mean over the epoch's mini-batches (History).
    - ``val_loss``, ``val_acc`` (E,): the validation set after the epoch, as the training loop
      measured it (History); ``val_loss_eval`` (E,): the same set evaluated in evaluation mode
      by the monitor (the two must agree: a difference means the loop did not evaluate in
      evaluation mode).
    - ``layer_grad_norm`` (E, L): ``||dL/dW||`` of each linear layer, mean over the epoch.
    - ``preact_mean``, ``preact_std`` (E, H): mean and standard deviation of what goes into
      each activation layer (after batch norm, if there is one), on the probe.
    - ``zero_fraction`` (E, H): the share of the activation's outputs that are exactly 0.
    - ``dead_fraction`` (E, H): the share of units that are 0 for every row of the probe
      (dead ReLUs).
    - ``batchnorm_change`` (E,): how much batch norm's running statistics moved during the
      epoch (largest relative change of a running variance; NaN without batch norm).

    Also: ``lr`` (the first update's rate), ``batch_size``, ``iterations_per_epoch``,
    ``n_classes``, ``has_batchnorm``, ``diverged_at`` (index into ``loss`` or None) and a
    ``label``.
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
    val_loss_eval: np.ndarray
    val_acc: np.ndarray
    layer_grad_norm: np.ndarray
    preact_mean: np.ndarray
    preact_std: np.ndarray
    zero_fraction: np.ndarray
    dead_fraction: np.ndarray
    batchnorm_change: np.ndarray
    diverged_at: int | None = None

    def __post_init__(self):
        for name, value in vars(self).items():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False

    @classmethod
    def from_training(cls, history, monitor, model, label=""):
        """The record of a run: ``history`` (fit's, or a loop's that fills a History the same
        way) and ``monitor``, the :class:`TrainingMonitor` the loop called, for ``model``."""
        if not isinstance(history, History):
            raise TypeError(f"history must be an nnlesson History, got {type(history).__name__}")
        if not isinstance(monitor, TrainingMonitor) or monitor.start is None:
            raise TypeError("monitor must be a TrainingMonitor the training loop has called")
        E = history.epochs_run
        H = len(monitor.start["zero_fraction"])
        L = sum(1 for m in model.layers if hasattr(m, "W"))
        width = {"layer_grad_norm": L}
        epochs = monitor.epochs[:E]
        per_epoch = {k: np.array([e[k] for e in epochs], dtype=np.float64).reshape(
            len(epochs), width.get(k, H)) for k in _PER_EPOCH}
        n_classes = monitor.labels_seen
        if monitor.y_val is not None and len(monitor.y_val):
            n_classes = max(n_classes, int(np.max(monitor.y_val)) + 1)
        return cls(
            label=str(label), lr=float(history.lr[0]) if history.lr else math.nan,
            batch_size=max(monitor.batch_sizes, default=0),
            iterations_per_epoch=history.iterations_per_epoch, n_classes=n_classes,
            has_batchnorm=any(isinstance(m, BatchNorm) for m in model.modules()),
            loss=np.array(history.loss, dtype=np.float64),
            grad_norm=np.array(history.grad_norm, dtype=np.float64),
            batch_classes=np.array(monitor.batch_classes, dtype=np.float64),
            initial_zero_fraction=np.array(monitor.start["zero_fraction"], dtype=np.float64),
            train_loss=np.array(history.train_loss, dtype=np.float64),
            train_acc=np.array(history.train_acc, dtype=np.float64),
            val_loss=np.array(history.val_loss, dtype=np.float64),
            val_loss_eval=np.array([e["val_loss_eval"] for e in epochs], dtype=np.float64),
            val_acc=np.array(history.val_acc, dtype=np.float64),
            batchnorm_change=np.array([e["batchnorm_change"] for e in epochs], dtype=np.float64),
            diverged_at=history.diverged_at, **per_epoch)

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


#: Rows of the training inputs :func:`record_training` measures the activations on.
PROBE_ROWS = 256


def record_training(model, X, y, X_val, y_val, *, optimizer, epochs, batch_size, rng=None,
                    shuffle=True, label=""):
    """Train ``model`` with :func:`nnlesson.train.fit` (softmax cross-entropy) and a
    :class:`TrainingMonitor` (probe: the first :data:`PROBE_ROWS` training inputs); return the
    :class:`RunRecord`.

    A divergence ends the run without a warning: the record says where
    (``diverged_at``).

    Args:
        model: a :class:`~nnlesson.layers.Sequential` (e.g. from :func:`nnlesson.train.mlp`)
            ending in class scores.
        X: (N, D) inputs. y: (N,) integer labels. X_val, y_val: the validation set.
        optimizer: an optimizer built on ``model.parameters()``.
        epochs: >= 1. batch_size: >= 1.
        rng: None, a seed or a Generator: the shuffling.
        shuffle: a new random order each epoch (False: the rows in the order given).
        label: a name for the run.

    Returns:
        :class:`RunRecord`.

    Raises:
        ValueError, TypeError: a bad argument (named in the message).
    """
    monitor = TrainingMonitor(X[:PROBE_ROWS], X_val, y_val)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)  # the record says so
        history = fit(model, X, y, optimizer=optimizer, epochs=epochs, batch_size=batch_size,
                      rng=rng, shuffle=shuffle, X_val=X_val, y_val=y_val, callbacks=[monitor])
    return RunRecord.from_training(history, monitor, model, label)


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
    before training on the whole data set. The training is :func:`nnlesson.train.fit` with
    the whole batch as one mini-batch, ``steps`` epochs.

    Args:
        model: a :class:`~nnlesson.core.Module` ending in class scores.
        X: (n, D) a few examples (e.g. 20). y: (n,) their labels.
        optimizer: built on ``model.parameters()``.
        steps: >= 1 updates.

    Returns:
        float64 array (steps,): the loss before each update (shorter if training diverged).
    """
    X = check_array("X", X, ndim=2, min_rows=1)
    steps = check_int("steps", steps, low=1)
    history = fit(model, X, y, optimizer=optimizer, epochs=steps, batch_size=X.shape[0],
                  shuffle=False)
    return np.array(history.loss, dtype=np.float64)


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

    Returns a dict ``name -> Finding`` with the seven :data:`SIGNATURES` and six more
    specific pieces of evidence (``"high_start"``, ``"validation_disagrees"``,
    ``"dead_from_start"``, ``"unmixed_batches"``, ``"frozen_batchnorm"``,
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

    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all NaN: no evaluation to compare
        gaps = np.abs(r.val_loss - r.val_loss_eval) / np.maximum(np.abs(r.val_loss_eval), 1e-12)
        diff = float(np.nanmax(gaps)) if E and np.any(np.isfinite(gaps)) else 0.0
    add("validation_disagrees", diff > 1e-9, diff,
        f"the validation loss the loop reported differs by up to {diff:.1%} from the same "
        f"weights evaluated in evaluation mode")

    zero = r.zero_fraction
    zero_start = float(r.initial_zero_fraction.max()) if r.initial_zero_fraction.size else 0.0
    zero_end = float(zero[-1].max()) if E and zero.shape[1] else 0.0
    dead_end = float(r.dead_fraction[-1].max()) if E and zero.shape[1] else 0.0
    add("dead_from_start", zero_start > DEAD_SHARE and ratio <= HIGH_START, zero_start,
        f"before the first update {zero_start:.0%} of a hidden layer's ReLU outputs are zero")
    add("dead_relus", zero_end > DEAD_SHARE or dead_end > 0.5, max(zero_end, dead_end),
        f"in the last epoch {zero_end:.0%} of a hidden layer's ReLU outputs are zero and "
        f"{dead_end:.0%} of its units are zero for every input measured")

    # what goes in: a shuffled mini-batch holds most classes, a sorted one one or two
    mixed = float(np.mean(r.batch_classes)) if len(r.batch_classes) else math.nan
    expected = r.n_classes * (1.0 - (1.0 - 1.0 / r.n_classes) ** r.batch_size)
    add("unmixed_batches", mixed < 0.5 * expected, mixed,
        f"a mini-batch holds {mixed:.2g} different labels on average (a shuffled one of "
        f"{r.batch_size} holds about {expected:.2g} of the {r.n_classes})")

    frozen = (int(np.sum(r.batchnorm_change[1:] == 0)) if r.has_batchnorm else 0)
    if not r.has_batchnorm:
        why = "the network has no batch norm"
    elif E < 2:
        why = "fewer than two epochs: too short to tell"
    elif frozen:
        why = (f"batch norm's running statistics did not move at all in {frozen} of the "
               f"{E - 1} epochs after the first, while the weights kept changing")
    else:
        low = float(np.nanmin(r.batchnorm_change[1:]))
        why = (f"batch norm's running statistics moved in every epoch (at least {low:.1%} "
               f"of a running variance)")
    add("frozen_batchnorm", frozen > 0, frozen, why)

    g = _epoch_medians(r.grad_norm, ipe)
    growth = g[-1] / g[0] if len(g) >= 2 and g[0] > 0 else 1.0
    last = r.grad_norm[max(0, len(r.grad_norm) - ipe):]
    last = last[np.isfinite(last)]
    wiggle = (float(np.median(np.abs(np.diff(last)) / last[1:])) if len(last) > 2 else 1.0)
    add("accumulating_gradient", growth > GROWTH and wiggle < SMOOTH, growth,
        f"the gradient norm grew {growth:.3g} times from the first epoch to the last and "
        f"changes by only {100 * wiggle:.2g} % from one update to the next")

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
    ("dropout_at_test", "validation_disagrees"),
    ("unscaled_inputs", "high_start"),
    ("dead_relu_init", "dead_from_start"),
    ("gradients_not_zeroed", "accumulating_gradient"),
    ("unshuffled", "unmixed_batches"),
    ("batchnorm_in_eval", "frozen_batchnorm"),
    ("lr_too_high", "lr_too_high"),
    ("lr_too_high", "exploding_gradients"),
)


def diagnose(record):
    """Name the most likely fault of :data:`FAULTS` from the evidence of :func:`find_evidence`.

    The most specific evidence is tried first: a validation loss that disagrees with an
    evaluation in evaluation mode (dropout at test time), a first loss far above
    ``ln(classes)`` (unscaled inputs), ReLUs off before the first update (their
    initialization), a gradient norm that grows smoothly (gradients that add up), mini-batches
    with one or two labels (an order that is never shuffled), batch norm's running statistics
    frozen (batch norm in eval mode), then a loss that climbs or diverges (the rate).
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


#: The evidence of :func:`find_evidence` that names each fault, and what a run with that
#: fault would show instead (said when the evidence is absent).
_EVIDENCE_OF = {
    "dropout_at_test": (("validation_disagrees",), "with dropout left on they would differ"),
    "unscaled_inputs": (("high_start",), "unscaled inputs start far above ln(classes)"),
    "dead_relu_init": (("dead_from_start",), "a dead initialization starts with almost all of "
                                             "them zero"),
    "gradients_not_zeroed": (("accumulating_gradient",), "a sum that is never cleared grows "
                                                         "smoothly"),
    "unshuffled": (("unmixed_batches",), "batches cut from data sorted by label hold one or two"),
    "batchnorm_in_eval": (("frozen_batchnorm",), "in evaluation mode they never move"),
    "lr_too_high": (("lr_too_high", "exploding_gradients"), "a rate too high makes the loss "
                                                            "climb or the gradients blow up"),
}


def explain(record, fault):
    """Why ``fault`` does or does not fit the run, from the evidence, without naming another
    fault: a wrong answer gets the evidence against it and the run's strongest sign.

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
    if fault == "healthy":
        against = "the run shows a fault signature"
    else:
        names, absent = _EVIDENCE_OF[fault]
        seen = [evidence[n] for n in names if evidence[n].present]
        against = (f"{seen[0].why}, but a more specific sign comes first" if seen else
                   f"{'; '.join(evidence[n].why for n in names)} ({absent})")
    strongest = ("No fault signature shows: the loss starts near ln(classes), falls and "
                 "settles" if verdict.fault == "healthy" else
                 f"The strongest sign in this run: {verdict.reason}")
    label = "healthy" if fault == "healthy" else FAULT_LABELS[fault]
    return False, f"not {label}: {against}. {strongest}."
