"""The training loop (lessons 11 and 13, and every lesson that trains a network).

:func:`fit` runs mini-batch training and returns a :class:`History`; :func:`evaluate` measures
a loss and an accuracy in evaluation mode; :func:`mlp` and :func:`residual_network` build
networks; :func:`weight_grad_norms` measures the gradient of each layer.

One iteration of :func:`fit`, in this order (the order of PyTorch's standard loop)::

    model.zero_grad()                                   1. clear the gradients
    out = model.forward(xb)                             2. forward
    L = loss(out, yb) + penalty(weights)                3. loss (+ L1/L2 penalty)
    model.backward(dL/dout); add dpenalty/dw            4. backward
    grad_norm = clipping.apply(params)                  5. clip (global norm), BEFORE the step
    optimizer.lr = schedule(t)                          6. learning rate of update t
    optimizer.step()                                    7. update the weights

``t`` counts updates from 0 across epochs, so ``schedule(t)`` is the rate of update ``t``
(the step convention of :mod:`nnlesson.schedules`). A :class:`~nnlesson.schedules.ReduceLROnPlateau`
is driven once per epoch instead: ``optimizer.lr = plateau.step(metric)`` with the validation
loss (the training loss if there is no validation set).

fit's options come in small objects, each checked when it is made: ``clipping=Clipping(
max_norm=1.0)`` (:class:`nnlesson.clip.Clipping`), ``penalty=Penalty(l2=1e-3)``,
``early_stopping=EarlyStopping(patience=10)``, and ``callbacks=[...]`` (:class:`Callback`:
objects that watch the run, e.g. lesson 14's :class:`nnlesson.diagnosis.TrainingMonitor`).

Nothing is printed except the optional progress bar, and no timings are taken.
"""
from __future__ import annotations

import math
import sys
import warnings
from dataclasses import asdict, dataclass, field

import numpy as np

from nnlesson._validate import (
    check_array,
    check_bool,
    check_choice,
    check_int,
    check_number,
    check_rng,
)
from nnlesson.clip import Clipping, _global_norm
from nnlesson.core import DEFAULT_DTYPE, Module
from nnlesson.data import iterations_per_epoch, minibatches
from nnlesson.norm import BatchNorm
from nnlesson.init import INITIALIZERS
from nnlesson.layers import Dropout, Linear, ReLU, Residual, Sequential, Sigmoid, Tanh
from nnlesson.losses import (
    accuracy,
    add_penalty_grad,
    binary_cross_entropy_with_logits,
    mse_loss,
    softmax_cross_entropy,
)

__all__ = [
    "History",
    "TrainingDiverged",
    "DivergenceWarning",
    "LOSSES",
    "fit",
    "evaluate",
    "mlp",
    "model_state",
    "load_model_state",
    "Penalty",
    "EarlyStopping",
    "early_stopping_point",
    "Callback",
    "residual_network",
    "weight_grad_norms",
]

#: Losses by name; each is ``f(out, target) -> (mean loss, dL/dout)``.
LOSSES = {
    "cross_entropy": softmax_cross_entropy,
    "mse": mse_loss,
    "bce": binary_cross_entropy_with_logits,
}

#: Losses whose outputs are class scores, so an accuracy is measured too.
_CLASSIFICATION = ("cross_entropy", "bce")


class TrainingDiverged(ValueError):
    """Raised by :func:`fit` with ``on_divergence="raise"`` when the loss or a gradient is NaN/inf."""


class DivergenceWarning(RuntimeWarning):
    """Warned by :func:`fit` (``on_divergence="stop"``) when training stops because it diverged."""


@dataclass(repr=False)
class History:
    """What :func:`fit` measured.

    Per iteration (one entry per optimizer update, ``epochs * iterations_per_epoch`` of them
    when training ran to the end; the iteration that diverged is included):

    - ``loss``: the minimized objective of that mini-batch, data loss + L1/L2 penalty.
    - ``lr``: the learning rate of that update.
    - ``grad_norm``: the global L2 norm of all gradients, *before* clipping.

    Per epoch (complete epochs only):

    - ``train_loss``, ``train_acc``: data loss (no penalty) and accuracy, averaged over the
      epoch's mini-batches weighted by their size, measured in training mode while the weights
      were changing (with dropout they read worse than the final weights are); with
      ``fit(..., eval_train=True)`` measured instead after the epoch by :func:`evaluate`.
    - ``val_loss``, ``val_acc``: on the validation set after the epoch, in evaluation mode
      (empty without a validation set).
    - Accuracies are recorded for classification losses (``"cross_entropy"``, ``"bce"``) only.

    Outcome:

    - ``best_epoch``: index (from 0) of the lowest ``val_loss``, None without validation data.
    - ``stopped_early``: True if early stopping ended training.
    - ``restored_best``: True if the weights of ``best_epoch`` were put back at the end.
    - ``diverged_at``: index (from 0) into ``loss`` of the iteration whose loss or gradient norm
      was NaN/inf, None if training did not diverge; ``diverged_epoch`` its epoch (from 0);
      ``diverged`` is ``diverged_at is not None``.
    - ``message``: one sentence saying how training ended.
    - ``iterations_per_epoch``: updates per epoch, ``ceil(n / batch_size)`` (floor with
      ``drop_last``); ``epochs_run``: the number of complete epochs.
    """

    loss: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    grad_norm: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    iterations_per_epoch: int = 0
    best_epoch: int | None = None
    stopped_early: bool = False
    restored_best: bool = False
    diverged_at: int | None = None
    diverged_epoch: int | None = None
    message: str = ""

    @property
    def epochs_run(self):
        """Number of complete epochs."""
        return len(self.train_loss)

    @property
    def diverged(self):
        """True if training stopped because the loss or a gradient became NaN/inf."""
        return self.diverged_at is not None

    def as_dict(self):
        """Everything as plain Python lists and numbers (e.g. for ``pandas.DataFrame``)."""
        return asdict(self)

    def __repr__(self):
        # the lists can be thousands long: show a summary, never the lists themselves
        parts = [f"epochs_run={self.epochs_run}", f"iterations={len(self.loss)}"]
        if self.train_loss:
            parts.append(f"train_loss={self.train_loss[-1]:.4g}")
        if self.val_loss:
            parts.append(f"val_loss={self.val_loss[-1]:.4g}")
            parts.append(f"best_epoch={self.best_epoch}")
        if self.stopped_early:
            parts.append("stopped_early=True")
        if self.diverged_at is not None:
            parts.append(f"diverged_at={self.diverged_at}")
        return f"History({', '.join(parts)})"


# --------------------------------------------------------------------------- fit's options


@dataclass(frozen=True)
class Penalty:
    """The weight penalty :func:`fit` adds to the loss: L1, L2 or both, on the weight matrices.

    Equations (``W`` runs over the weight matrices: parameters with 2 or more dimensions, so
    not the biases nor BatchNorm's gamma and beta)::

        L = data loss + l1 * sum_W sum(|W|) + l2 / 2 * sum_W sum(W ** 2)
        dL/dW += l1 * sign(W) + l2 * W

    (:func:`nnlesson.losses.add_penalty_grad`). PyTorch's ``weight_decay=l2`` in ``SGD`` is
    the same L2 gradient, but applied to every parameter.

    Args:
        l1: >= 0, the strength of the L1 penalty (lasso).
        l2: >= 0, the strength of the L2 penalty (ridge, "weight decay").

    Raises:
        ValueError, TypeError: a strength that is not a finite number >= 0.
    """

    l1: float = 0.0
    l2: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "l1", check_number("l1", self.l1, low=0))
        object.__setattr__(self, "l2", check_number("l2", self.l2, low=0))

    @staticmethod
    def weights(params):
        """The parameters a penalty applies to: matrices (ndim >= 2), not biases, gamma, beta."""
        return [p for p in params if p.value.ndim >= 2]

    def _add(self, weights, loss):
        # adds each gradient into .grad; returns loss + each penalty, in the order l1, l2
        if self.l1:
            loss += add_penalty_grad(weights, self.l1, kind="l1")
        if self.l2:
            loss += add_penalty_grad(weights, self.l2, kind="l2")
        return loss


class EarlyStopping:
    """Stop training when the validation loss has not improved for ``patience`` epochs.

    The rule, after each epoch ``e`` (from 0) with validation loss ``loss``::

        if loss < best:   best = loss;  best_epoch = e;  bad_epochs = 0     (an improvement)
        else:             bad_epochs += 1
        stop after epoch e when bad_epochs == patience

    ``best`` starts at +inf, so the first epoch always improves; an equal loss is not an
    improvement, nor is NaN. Without a later improvement training stops after epoch
    ``best_epoch + patience``. With ``restore_best``, :func:`fit` puts back the weights of
    ``best_epoch`` at the end. Keras's ``EarlyStopping(patience=..., restore_best_weights=True)``
    with ``min_delta=0`` follows the same rule.

    Use: ``fit(..., early_stopping=EarlyStopping(patience=10))``; :func:`fit` calls
    :meth:`reset` first, so one object can serve several runs, and afterwards it describes the
    last run. By hand::

        stopper = EarlyStopping(patience=3)
        for epoch, loss in enumerate(val_losses):
            if stopper.step(loss):
                break

    Args:
        patience: epochs in a row without improvement before stopping, an integer >= 1.
        restore_best: put back the best epoch's weights at the end (fit only).

    Attributes:
        best: the lowest loss so far. best_epoch: its epoch (None before the first step).
        bad_epochs: epochs since the last improvement. improved: whether the last step improved.
        epoch: the number of steps taken. stopped: True once :meth:`step` said stop.

    Raises:
        ValueError, TypeError: ``patience`` < 1, or ``restore_best`` not a bool.
    """

    def __init__(self, patience, restore_best=True):
        self.patience = check_int("patience", patience, low=1)
        self.restore_best = check_bool("restore_best", restore_best)
        self.reset()

    def reset(self):
        """Forget every loss seen: back to the state before the first epoch."""
        self.best = math.inf
        self.best_epoch = None
        self.bad_epochs = 0
        self.improved = False
        self.epoch = 0
        self.stopped = False

    def step(self, loss):
        """Record one epoch's validation loss; return True if training should stop now.

        Args:
            loss: a real number (NaN counts as no improvement).

        Returns:
            bool.
        """
        loss = float(loss)
        self.improved = loss < self.best
        if self.improved:
            self.best, self.best_epoch, self.bad_epochs = loss, self.epoch, 0
        else:
            self.bad_epochs += 1
        self.epoch += 1
        self.stopped = self.bad_epochs >= self.patience
        return self.stopped

    def __repr__(self):
        return f"EarlyStopping(patience={self.patience}, restore_best={self.restore_best})"


class Callback:
    """What :func:`fit` calls while it trains; subclass it and override the hooks you need.

    ``fit(..., callbacks=[watcher])`` calls, in this order:

    - ``on_train_begin(model)``: once, after ``model.train()``, before the first update;
    - ``on_batch_end(model, xb, yb, history)``: after each update (``optimizer.step()``). The
      gradients of that update are still in each parameter's ``.grad``; its loss, learning
      rate and gradient norm are the last entries of ``history.loss``, ``history.lr`` and
      ``history.grad_norm``. Not called for an iteration that diverged (no update);
    - ``on_epoch_end(model, history)``: after each complete epoch, once its training and
      validation numbers are in ``history``.

    ``on_batch_end`` and ``on_epoch_end`` may return True to stop training there (the
    learning-rate range test stops so); ``history.message`` then says so. A callback that only
    watches (changes neither the model nor the optimizer, and never says stop) leaves every
    number of the run as it is without it.
    """

    def on_train_begin(self, model):
        """Called once, before the first update."""

    def on_batch_end(self, model, xb, yb, history):
        """Called after each update; return True to stop training."""

    def on_epoch_end(self, model, history):
        """Called after each complete epoch; return True to stop training."""


def _check_callbacks(callbacks):
    if callbacks is None:
        return ()
    items = (callbacks,) if isinstance(callbacks, Callback) else callbacks
    if not isinstance(items, (list, tuple)) or not all(isinstance(c, Callback) for c in items):
        raise TypeError(f"callbacks must be a Callback or a list of them (subclasses of "
                        f"nnlesson.train.Callback), got {callbacks!r}")
    return tuple(items)


def _callbacks_stop(callbacks, hook, *args):
    """Call ``hook`` on every callback; True if any of them says stop."""
    return any([bool(getattr(c, hook)(*args)) for c in callbacks])


def early_stopping_point(val_losses, patience):
    """Replay early stopping on per-epoch validation losses: ``(best_epoch, stop_epoch)``.

    The rule of :class:`EarlyStopping` (and of ``fit(..., early_stopping=...)``), run on a
    list: ``stop_epoch`` is the epoch after which training stops (the last epoch when it never
    stops), ``best_epoch`` the epoch whose weights are restored. Epochs count from 0.

    Args:
        val_losses: 1-D array-like of validation losses, one per epoch, at least one.
        patience: an integer >= 1.

    Returns:
        ``(best_epoch, stop_epoch)``, two ints.

    Raises:
        ValueError, TypeError: an empty or non-1-D ``val_losses``, or ``patience`` < 1.
    """
    losses = check_array("val_losses", val_losses, ndim=1, min_rows=1)
    stopper = EarlyStopping(patience)
    for epoch, loss in enumerate(losses):
        if stopper.step(loss):
            return stopper.best_epoch, epoch
    return stopper.best_epoch, len(losses) - 1


# --------------------------------------------------------------------------- helpers


def _loss_function(loss):
    """(name, f) for a loss given by name or as a callable ``f(out, target) -> (loss, grad)``."""
    if callable(loss):
        return getattr(loss, "__name__", "custom loss"), loss
    if not isinstance(loss, str):
        raise TypeError(
            f"loss must be one of {', '.join(repr(k) for k in LOSSES)} or a function "
            f"(out, target) -> (loss, dloss/dout), got {loss!r}"
        )
    check_choice("loss", loss, tuple(LOSSES))
    return loss, LOSSES[loss]


def _check_targets(name, y, loss_name, n_rows, x_name):
    """Labels for cross-entropy (1-D integers); 2-D float targets kept as given otherwise."""
    if loss_name == "cross_entropy":
        y = check_array(name, y, ndim=1)
        if not np.issubdtype(y.dtype, np.integer):
            if np.any(y != np.round(y)):
                raise ValueError(f"{name} must hold integer class labels for loss='cross_entropy', "
                                 f"got non-integer values such as {y[y != np.round(y)][0]!r}")
            y = y.astype(np.int64)
        if np.any(y < 0):
            raise ValueError(f"{name} must hold class labels >= 0 for loss='cross_entropy', "
                             f"got {int(y.min())}")
    else:
        y = check_array(name, y, ndim=(1, 2))
        if loss_name in ("mse", "bce") and y.ndim == 1:
            y = y[:, None]  # one output column: (n,) -> (n, 1), the shape of the model's output
    if y.shape[0] != n_rows:
        raise ValueError(f"{x_name} and {name} must have the same number of rows, "
                         f"got {n_rows} and {y.shape[0]}")
    return y


def _accuracy(loss_name, out, target):
    """Fraction of correct predictions for a classification loss, else None."""
    if loss_name == "cross_entropy":
        return float(accuracy(out, target))
    if loss_name == "bce":
        return float(np.mean((out > 0) == (target > 0.5)))
    return None


def _is_buffer(name, value):
    # the PyTorch naming of state that is not learned but must be saved with the weights
    return (name.startswith("running_") and isinstance(value, np.ndarray)) or name == "num_batches_tracked"


def model_state(model):
    """A copy of everything that defines the model's predictions.

    Args:
        model: a :class:`~nnlesson.core.Module`.

    Returns:
        ``{"params": [copy of each parameter's value], "buffers": [{name: copy}, ...]}``
        where the buffers are, per sub-module (in the order of ``model.modules()``), the
        attributes named ``running_*`` (BatchNorm's ``running_mean`` and ``running_var``) and
        ``num_batches_tracked``.
    """
    params = [p.value.copy() for p in model.parameters()]
    buffers = []
    for m in model.modules():
        buffers.append({k: (v.copy() if isinstance(v, np.ndarray) else v)
                        for k, v in vars(m).items() if _is_buffer(k, v)})
    return {"params": params, "buffers": buffers}


def load_model_state(model, state):
    """Put back a state from :func:`model_state`, *in place* (optimizers keep their references).

    Args:
        model: the model the state was taken from (or one built the same way).
        state: a dict from :func:`model_state`.

    Raises:
        ValueError: the state holds another number of parameters.
    """
    params = model.parameters()
    if len(params) != len(state["params"]):
        raise ValueError(f"state must come from the same model: it holds {len(state['params'])} "
                         f"parameters, the model has {len(params)}")
    for p, value in zip(params, state["params"]):
        np.copyto(p.value, value)
    for m, buffers in zip(model.modules(), state["buffers"]):
        for k, v in buffers.items():
            if isinstance(v, np.ndarray):
                np.copyto(getattr(m, k), v)
            else:
                setattr(m, k, v)


class _NonFinite(ValueError):
    """Internal: a loss or gradient norm that is NaN or infinite."""


class _Diverged(Exception):
    """Internal: the iteration failed; ``what`` says why, with the loss and norm reached."""

    def __init__(self, what, loss=math.nan, grad_norm=math.nan):
        super().__init__(what)
        self.what, self.loss, self.grad_norm = what, loss, grad_norm


def _non_finite_reason(exc):
    """What went wrong, in words, if ``exc`` is a sign of divergence; re-raise it otherwise."""
    if isinstance(exc, _NonFinite):
        return str(exc)
    if isinstance(exc, FloatingPointError):
        return f"the numbers overflowed ({exc})"
    if "finite" in str(exc):  # a layer refused NaN/inf coming from the previous layer
        return f"a layer received NaN or infinite values ({exc})"
    raise exc


def _train_step(model, xb, yb, loss_fn, optimizer, lr, params, weights, penalty, clipping):
    """One iteration of :func:`fit`, steps 1 to 7; returns ``(objective, data_loss, grad_norm, out)``.

    Raises :class:`_Diverged` (before the update) when the loss or the gradient norm is not
    finite or a number overflows on the way.
    """
    objective = norm = math.nan
    try:
        # a diverging network overflows long before its loss is NaN: stop at the first
        # overflow instead of computing on with infinities
        with np.errstate(over="raise", invalid="raise"):
            # 1-3: zero, forward, loss (params is model.parameters(), gathered once)
            for p in params:
                p.zero_grad()
            out = model.forward(xb)
            data_loss, dout = loss_fn(out, yb)
            objective = data_loss = float(data_loss)
            if not math.isfinite(data_loss):
                raise _NonFinite(f"the loss became {data_loss}")
            # 4: backward; the penalty's value comes with its gradient
            model.backward(dout)
            if penalty is not None:
                objective = penalty._add(weights, objective)
            # 5: measure the global norm, then clip (the setting was checked once, by Clipping)
            grads = [p.grad for p in params]
            norm = clipping._apply(grads) if clipping is not None else _global_norm(grads)
            if not math.isfinite(objective):
                raise _NonFinite(f"the loss became {objective}")
            if not math.isfinite(norm):
                raise _NonFinite(f"the gradient norm became {norm}")
    except (FloatingPointError, ValueError) as exc:
        raise _Diverged(_non_finite_reason(exc), objective, norm) from None
    # 6-7: learning rate, update (an overflow here shows up in the next forward pass)
    optimizer.lr = lr
    optimizer.step()
    return objective, data_loss, norm, out


def _format_lr(lr):
    return f"{lr:.3g}"


def _divergence_message(what, iteration, epoch, batch, lr, clipping):
    tips = [f"lower the learning rate (it was {_format_lr(lr)}; try {_format_lr(lr / 10)})"]
    if clipping is None or clipping.max_norm is None:
        tips.append("clip the gradients (e.g. clipping=Clipping(max_norm=1.0))")
    else:
        tips.append(f"clip the gradients harder (max_norm is {clipping.max_norm:g})")
    tips.append("scale the features (standardize X)")
    return (f"Training diverged at iteration {iteration} (epoch {epoch}, batch {batch}; "
            f"counting from 0): {what}. Try to " + ", ".join(tips[:-1]) + f" or {tips[-1]}.")


class _TextBar:
    """``[#####.....] epoch 5/10  loss 0.1234`` rewritten in place on one line."""

    def __init__(self, total, stream=None):
        self.total = total
        self.stream = sys.stdout if stream is None else stream

    def update(self, done, text):
        width = 20
        filled = int(round(width * done / self.total))
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] epoch {done}/{self.total}  {text}")
        self.stream.flush()

    def close(self):
        self.stream.write("\n")
        self.stream.flush()


class _WidgetBar:
    """An ``ipywidgets.IntProgress`` with a label, for notebooks."""

    def __init__(self, total):
        import ipywidgets
        from IPython.display import display

        self.total = total
        self.bar = ipywidgets.IntProgress(value=0, min=0, max=total, description="training")
        self.label = ipywidgets.Label(value=f"epoch 0/{total}")
        display(ipywidgets.HBox([self.bar, self.label]))

    def update(self, done, text):
        self.bar.value = done
        self.label.value = f"epoch {done}/{self.total}  {text}"

    def close(self):
        self.bar.bar_style = "success" if self.bar.value == self.total else "warning"


def _in_notebook():
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _progress_bar(total):
    if _in_notebook():
        try:
            return _WidgetBar(total)
        except ImportError:  # no ipywidgets: fall back to text
            pass
    return _TextBar(total)


# --------------------------------------------------------------------------- evaluate


def evaluate(model, X, y, loss="cross_entropy", batch_size=None):
    """Loss and accuracy of ``model`` on ``(X, y)``, in evaluation mode.

    The model is switched to ``eval()`` (BatchNorm uses its running statistics, dropout is off)
    and put back in the mode it was in afterwards. Nothing is learned: no backward, no update.

    Args:
        model: a :class:`~nnlesson.core.Module` mapping (N, D) to outputs.
        X: (N, D) inputs. y: (N,) integer labels for ``"cross_entropy"``; (N,) or (N, K) targets
            for ``"mse"`` and ``"bce"``.
        loss: ``"cross_entropy"``, ``"mse"``, ``"bce"`` or a function
            ``(out, target) -> (mean loss, dL/dout)``.
        batch_size: None (all rows at once) or the number of rows per forward pass, to bound
            memory; the result is the same mean either way (up to rounding).

    Returns:
        ``(loss, accuracy)``: the mean data loss (no penalty) and the fraction of correct
        predictions, or None as accuracy for a regression or custom loss.
    """
    if not isinstance(model, Module):
        raise TypeError(f"model must be an nnlesson Module, got {type(model).__name__}")
    loss_name, loss_fn = _loss_function(loss)
    X = check_array("X", X, ndim=2, min_rows=1)
    y = _check_targets("y", y, loss_name, X.shape[0], "X")
    n = X.shape[0]
    batch_size = n if batch_size is None else check_int("batch_size", batch_size, low=1)
    return _evaluate(model, X, y, loss_name, loss_fn, batch_size)


def _evaluate(model, X, y, loss_name, loss_fn, batch_size):
    was_training = model.training
    model.eval()
    try:
        n = X.shape[0]
        total_loss, total_acc = 0.0, 0.0
        for start in range(0, n, batch_size):
            xb, yb = X[start:start + batch_size], y[start:start + batch_size]
            out = model.forward(xb)
            value, _ = loss_fn(out, yb)
            acc = _accuracy(loss_name, out, yb)
            total_loss += float(value) * len(xb)
            if acc is not None:
                total_acc += acc * len(xb)
        acc = total_acc / n if loss_name in _CLASSIFICATION else None
        return total_loss / n, acc
    finally:
        model.train(was_training)


# --------------------------------------------------------------------------- fit


def fit(model, X, y, *, loss="cross_entropy", optimizer, epochs, batch_size, rng=None,
        shuffle=True, drop_last=False, schedule=None, cycle_momentum=False, clipping=None,
        penalty=None, X_val=None, y_val=None, early_stopping=None, eval_train=False,
        progress=False, on_divergence="stop", callbacks=None):
    """Train ``model`` on ``(X, y)`` with mini-batches; return a :class:`History`.

    Each iteration, in this order (PyTorch's standard loop)::

        1. model.zero_grad()
        2. out = model.forward(xb)                               xb: (B, D)
        3. L = loss(out, yb) + l1 * sum|W| + l2 / 2 * sum W^2    (penalty, see Penalty)
        4. model.backward(dL/dout), plus the penalty's gradient
        5. grad_norm = ||all gradients||_2, then clipping: the global norm is scaled down to
           max_norm (or each entry cut to [-clip_value, clip_value]) BEFORE the update
        6. optimizer.lr = schedule(t)                            t = 0, 1, 2, ... over all epochs
           (and, with cycle_momentum, optimizer.momentum = schedule.momentum(t))
        7. optimizer.step()
        8. callbacks' on_batch_end

    After each epoch: validation loss (evaluation mode), early stopping, callbacks'
    ``on_epoch_end``, ``ReduceLROnPlateau`` if given, progress bar.

    Args:
        model: a :class:`~nnlesson.core.Module`, e.g. from :func:`mlp`.
        X: (N, D) training inputs, finite.
        y: (N,) integer labels for ``"cross_entropy"``, (N,) or (N, K) targets for ``"mse"``
            and ``"bce"`` ((N,) becomes (N, 1)).
        loss: ``"cross_entropy"`` (softmax + cross-entropy on logits), ``"mse"``, ``"bce"``
            (sigmoid + binary cross-entropy on logits), or a function
            ``(out, target) -> (mean loss, dL/dout)``. All are means over the batch.
        optimizer: an :mod:`nnlesson.optim` optimizer built on ``model.parameters()``.
        epochs: >= 1 passes over the data.
        batch_size: >= 1 rows per update.
        rng: None, a seed or a ``numpy.random.Generator``: the shuffling order.
        shuffle: reshuffle the rows at every epoch (False: always in order).
        drop_last: drop the last, smaller batch of each epoch.
        schedule: None (keep ``optimizer.lr``), a schedule ``t -> lr`` called at every update,
            or a :class:`~nnlesson.schedules.ReduceLROnPlateau` stepped once per epoch.
        cycle_momentum: with a schedule that also has a ``momentum(t)``
            (:class:`~nnlesson.schedules.OneCycle`), set ``optimizer.momentum`` before each
            update too (SGD's and RMSprop's momentum, Momentum's beta, Adam's betas[0]).
            PyTorch's ``OneCycleLR`` does this by default (``cycle_momentum=True`` there);
            here it is off unless asked for, so that a schedule changes the learning rate only.
        clipping: None, or a :class:`~nnlesson.clip.Clipping`, e.g. ``Clipping(max_norm=1.0)``
            (global norm) or ``Clipping(clip_value=0.5)`` (each entry).
        penalty: None, or a :class:`Penalty`, e.g. ``Penalty(l2=1e-3)``, on the weight
            matrices (not biases, not gamma/beta).
        X_val: optional validation inputs, evaluated after each epoch (with ``y_val``).
        y_val: the validation targets, as ``y``.
        early_stopping: None, or an :class:`EarlyStopping`, e.g. ``EarlyStopping(patience=10)``:
            stop when the validation loss has not gone below its best for ``patience`` epochs
            in a row and, with ``restore_best`` (its default), put back the weights (and
            BatchNorm running statistics) of the best epoch at the end. Needs ``X_val``.
        eval_train: also re-measure the training set in evaluation mode after each epoch.
        progress: show a progress bar (a widget in a notebook, text elsewhere).
        on_divergence: when the loss or the gradient norm becomes NaN/inf, ``"stop"`` warns a
            :class:`DivergenceWarning` and returns the history; ``"raise"`` raises
            :class:`TrainingDiverged`. Either way training stops before the update of the
            failing iteration; an overflow also counts (numpy's ``over`` and ``invalid``
            floating-point errors are raised during forward, loss, backward and clipping).
        callbacks: None, a :class:`Callback` or a list of them, called before the first
            update, after each update and after each epoch; one may stop training.

    Returns:
        A :class:`History`.

    Raises:
        TypeError, ValueError: a bad argument (named in the message).
        TrainingDiverged: with ``on_divergence="raise"``, when training diverges.
    """
    # ---- arguments
    if not isinstance(model, Module):
        raise TypeError(f"model must be an nnlesson Module, got {type(model).__name__}")
    loss_name, loss_fn = _loss_function(loss)
    X = check_array("X", X, ndim=2, min_rows=1)
    y = _check_targets("y", y, loss_name, X.shape[0], "X")
    for attr in ("step", "zero_grad", "lr"):
        if not hasattr(optimizer, attr):
            raise TypeError(f"optimizer must be an nnlesson optimizer (with step(), zero_grad() "
                            f"and lr), got {type(optimizer).__name__}")
    params = model.parameters()
    if hasattr(optimizer, "params"):
        ids = {id(p) for p in params}
        if not any(id(p) in ids for p in optimizer.params):
            raise ValueError("optimizer must be built on this model's parameters "
                             "(optimizer = Adam(model.parameters(), ...)), but it holds none of them")
    epochs = check_int("epochs", epochs, low=1)
    batch_size = check_int("batch_size", batch_size, low=1)
    rng = check_rng(rng)
    shuffle = check_bool("shuffle", shuffle)
    drop_last = check_bool("drop_last", drop_last)
    if drop_last and batch_size > X.shape[0]:
        raise ValueError(f"batch_size must be <= the number of rows of X ({X.shape[0]}) with "
                         f"drop_last=True, got {batch_size}")
    if (not drop_last and X.shape[0] % batch_size == 1 and X.shape[0] > 1
            and any(isinstance(m, BatchNorm) for m in model.modules())):
        raise ValueError(
            f"batch_size must not leave a last batch of 1 sample with BatchNorm in the model "
            f"(batch statistics need 2 or more): {X.shape[0]} rows % {batch_size} = 1; "
            f"pass drop_last=True or another batch_size")
    plateau = schedule is not None and hasattr(schedule, "step") and not callable(schedule)
    if schedule is not None and not (plateau or callable(schedule)):
        raise TypeError(f"schedule must be None, a callable t -> lr or a ReduceLROnPlateau, "
                        f"got {schedule!r}")
    _check_option("clipping", clipping, Clipping, "Clipping(max_norm=1.0)")
    _check_option("penalty", penalty, Penalty, "Penalty(l2=0.001)")
    _check_option("early_stopping", early_stopping, EarlyStopping, "EarlyStopping(patience=10)")
    if (X_val is None) != (y_val is None):
        raise ValueError("X_val and y_val must be given together (both or neither)")
    has_val = X_val is not None
    if has_val:
        X_val = check_array("X_val", X_val, ndim=2, min_rows=1)
        if X_val.shape[1] != X.shape[1]:
            raise ValueError(f"X_val must have as many columns as X ({X.shape[1]}), "
                             f"got {X_val.shape[1]}")
        y_val = _check_targets("y_val", y_val, loss_name, X_val.shape[0], "X_val")
    if early_stopping is not None and not has_val:
        raise ValueError("early_stopping needs a validation set: give X_val and y_val")
    eval_train = check_bool("eval_train", eval_train)
    progress = check_bool("progress", progress)
    callbacks = _check_callbacks(callbacks)
    check_choice("on_divergence", on_divergence, ("stop", "raise"))
    cycle_momentum = check_bool("cycle_momentum", cycle_momentum)
    if cycle_momentum:
        if plateau or not callable(getattr(schedule, "momentum", None)):
            raise ValueError(f"cycle_momentum=True needs a schedule with a momentum(t), such as "
                             f"OneCycle, got schedule={schedule!r}")
        if not hasattr(optimizer, "momentum"):
            raise ValueError(f"cycle_momentum=True needs an optimizer with a momentum (SGD, "
                             f"RMSprop, Momentum, Adam, AdamW), got {type(optimizer).__name__}")
        optimizer.momentum = schedule.momentum(0)

    # ---- training
    n = X.shape[0]
    ipe = iterations_per_epoch(n, batch_size, drop_last=drop_last)
    history = History(iterations_per_epoch=ipe)
    weights = Penalty.weights(params)
    is_classifier = loss_name in _CLASSIFICATION
    if early_stopping is not None:
        early_stopping.reset()
    keep_best = early_stopping is not None and early_stopping.restore_best
    best_state = None
    bar = _progress_bar(epochs) if progress else None
    if plateau:
        optimizer.lr = schedule.lr  # the plateau schedule owns the rate from the start
    t = 0

    def diverge(what, iteration, epoch, batch, lr):
        history.diverged_at, history.diverged_epoch = iteration, epoch
        history.message = _divergence_message(what, iteration, epoch, batch, lr, clipping)

    model.train()
    stopped_by = None  # the update after which a callback stopped training
    for callback in callbacks:
        callback.on_train_begin(model)
    try:
        for epoch in range(epochs):
            sum_loss = sum_acc = 0.0
            seen = 0
            batches = minibatches(X, y, batch_size, shuffle=shuffle, rng=rng, drop_last=drop_last)
            for batch, (xb, yb) in enumerate(batches):
                lr = float(schedule(t)) if (schedule is not None and not plateau) else optimizer.lr
                if cycle_momentum:
                    optimizer.momentum = schedule.momentum(t)
                try:
                    objective, data_loss, norm, out = _train_step(
                        model, xb, yb, loss_fn, optimizer, lr, params, weights, penalty, clipping)
                except _Diverged as exc:
                    objective, norm = exc.loss, exc.grad_norm
                    diverge(exc.what, t, epoch, batch, lr)
                history.loss.append(objective)
                history.lr.append(lr)
                history.grad_norm.append(norm)
                if history.diverged_at is not None:
                    break
                t += 1
                sum_loss += data_loss * len(xb)
                if is_classifier:
                    sum_acc += _accuracy(loss_name, out, yb) * len(xb)
                seen += len(xb)
                if callbacks and _callbacks_stop(callbacks, "on_batch_end", model, xb, yb,
                                                 history):
                    stopped_by = t - 1
                    break
            if history.diverged_at is not None or stopped_by is not None:
                break

            # ---- end of epoch
            try:
                with np.errstate(over="raise", invalid="raise"):
                    if eval_train:
                        train_loss, train_acc = _evaluate(model, X, y, loss_name, loss_fn, n)
                    else:
                        train_loss = sum_loss / seen
                        train_acc = sum_acc / seen if is_classifier else None
                    if has_val:
                        val_loss, val_acc = _evaluate(model, X_val, y_val, loss_name, loss_fn,
                                                      X_val.shape[0])
                        if not math.isfinite(val_loss):
                            raise _NonFinite(f"the validation loss became {val_loss}")
            except (FloatingPointError, ValueError) as exc:
                # blame the epoch's last update
                diverge(_non_finite_reason(exc) + " when measured after the epoch", t - 1, epoch,
                        batch, history.lr[-1])
                break
            history.train_loss.append(train_loss)
            if is_classifier:
                history.train_acc.append(train_acc)
            stop = False
            if has_val:
                history.val_loss.append(val_loss)
                if is_classifier:
                    history.val_acc.append(val_acc)
                # the best epoch: the first with the lowest validation loss (EarlyStopping's rule)
                history.best_epoch = int(np.argmin(history.val_loss))
                if early_stopping is not None:
                    stop = early_stopping.step(val_loss)
                    if keep_best and early_stopping.improved:
                        best_state = model_state(model)
            if callbacks and _callbacks_stop(callbacks, "on_epoch_end", model, history):
                stopped_by = t - 1
            if plateau:
                optimizer.lr = schedule.step(history.val_loss[-1] if has_val else train_loss)
            if bar is not None:
                shown = f"val_loss {val_loss:.4g}" if has_val else f"loss {train_loss:.4g}"
                bar.update(epoch + 1, shown)
            if stop:
                history.stopped_early = True
                break
            if stopped_by is not None:
                break
    finally:
        if bar is not None:
            bar.close()

    # ---- outcome
    # the best weights are not the current ones unless the best epoch was the last one
    if best_state is not None and (history.diverged_at is not None
                                   or history.best_epoch != history.epochs_run - 1):
        load_model_state(model, best_state)
        history.restored_best = True
    restored = f" Restored the weights of epoch {history.best_epoch}." if history.restored_best else ""
    if history.diverged_at is not None:
        history.message += restored
        if on_divergence == "raise":
            raise TrainingDiverged(history.message)
        warnings.warn(history.message, DivergenceWarning, stacklevel=2)
    elif history.stopped_early:
        history.message = (f"Stopped early after epoch {history.epochs_run - 1}: the validation "
                           f"loss had not improved for {early_stopping.patience} epochs (best "
                           f"{early_stopping.best:.4g} at epoch {history.best_epoch}).{restored}")
    elif stopped_by is not None:
        history.message = f"Stopped by a callback after update {stopped_by}.{restored}"
    else:
        history.message = f"Trained {epochs} epochs ({t} updates).{restored}"
    return history


def _check_option(name, value, cls, example):
    if value is not None and not isinstance(value, cls):
        raise TypeError(f"{name} must be None or a {cls.__name__} such as {example}, "
                        f"got {value!r}")


# --------------------------------------------------------------------------- mlp


_ACTIVATIONS = ("relu", "tanh", "sigmoid")


def mlp(sizes, activation="relu", batch_norm=False, dropout=0.0, init=None, rng=None,
        dtype=DEFAULT_DTYPE):
    """A multi-layer perceptron as a :class:`~nnlesson.layers.Sequential`.

    ``sizes = [D, H1, ..., K]`` gives, for every hidden size H::

        Linear(n_in, H) -> [BatchNorm(H)] -> activation -> [Dropout(dropout)]

    and a last ``Linear(H_last, K)`` with no activation: the model returns logits (or raw
    regression outputs); the loss applies softmax or sigmoid. The first Linear is built with
    ``input_grad=False``: its input is the data, so ``backward`` skips dL/dx there (as PyTorch
    does) and the model's ``backward`` returns None.

    Args:
        sizes: at least two layer widths, each >= 1.
        activation: ``"relu"``, ``"tanh"`` or ``"sigmoid"``.
        batch_norm: put a BatchNorm after each hidden Linear (whose bias is then dropped:
            BatchNorm's beta plays its role).
        dropout: in [0, 1), inverted-dropout rate after each hidden activation (0: none).
        init: weight initializer name (see :mod:`nnlesson.init`); None picks ``"he_uniform"``
            for ReLU and ``"xavier_uniform"`` for tanh and sigmoid.
        rng: None, a seed or a Generator, shared by the initializers and the dropout masks.
        dtype: floating dtype of every parameter.
    """
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        raise TypeError(f"sizes must be a list of layer widths such as [2, 16, 3], got {sizes!r}")
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least 2 widths (inputs and outputs), got {list(sizes)}")
    sizes = [check_int(f"sizes[{i}]", s, low=1) for i, s in enumerate(sizes)]
    check_choice("activation", activation, _ACTIVATIONS)
    batch_norm = check_bool("batch_norm", batch_norm)
    dropout = check_number("dropout", dropout, low=0, high=1, high_open=True)
    if init is None:
        init = "he_uniform" if activation == "relu" else "xavier_uniform"
    check_choice("init", init, tuple(INITIALIZERS))
    rng = check_rng(rng)
    act = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}[activation]

    layers = []
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
        # the first layer's input is the data: nobody needs dL/dx there (PyTorch skips it too)
        layers.append(Linear(n_in, n_out, bias=not batch_norm, init=init, rng=rng, dtype=dtype,
                             input_grad=bool(layers)))
        if batch_norm:
            layers.append(BatchNorm(n_out, dtype=dtype))
        layers.append(act())
        if dropout > 0:
            layers.append(Dropout(dropout, rng=rng))
    layers.append(Linear(sizes[-2], sizes[-1], init=init, rng=rng, dtype=dtype,
                         input_grad=bool(layers)))
    return Sequential(*layers)


def residual_network(depth, *, skip, activation="sigmoid", width=16, n_in=64, n_out=10, seed=0):
    """``Linear(n_in, width)``, then ``depth`` blocks, then ``Linear(width, n_out)`` (lesson 12).

    Each block is ``F(x) = Linear(act(Linear(x)))``, ``width -> width -> width``; with
    ``skip=True`` it is wrapped in :class:`~nnlesson.layers.Residual`, ``y = x + F(x)``. The
    initializer is the one the library pairs with the activation (Xavier for sigmoid and tanh,
    He for ReLU); the weights are drawn in the same order from ``seed`` either way, so the plain
    and the residual network of the same seed have identical weights. The first Linear skips
    dL/dx (its input is the data).

    Args:
        depth: the number of blocks, an integer >= 0.
        skip: wrap each block in a skip connection.
        activation: ``"sigmoid"``, ``"tanh"`` or ``"relu"``, inside each block.
        width: units of every hidden layer, >= 1.
        n_in: input features, >= 1 (64 for the digits).
        n_out: outputs, >= 1 (10 classes).
        seed: an integer >= 0, the random seed of the weights.

    Returns:
        :class:`~nnlesson.layers.Sequential` of ``depth + 2`` items.

    Raises:
        ValueError, TypeError: an argument out of range.
    """
    depth = check_int("depth", depth, low=0)
    skip = check_bool("skip", skip)
    blocks = {"sigmoid": (Sigmoid, "xavier_uniform"), "tanh": (Tanh, "xavier_uniform"),
              "relu": (ReLU, "he_uniform")}
    check_choice("activation", activation, tuple(blocks))
    width = check_int("width", width, low=1)
    act, init = blocks[activation]
    rng = np.random.default_rng(check_int("seed", seed, low=0))
    layers = [Linear(check_int("n_in", n_in, low=1), width, init=init, rng=rng, input_grad=False)]
    for _ in range(depth):
        block = Sequential(Linear(width, width, init=init, rng=rng), act(),
                           Linear(width, width, init=init, rng=rng))
        layers.append(Residual(block) if skip else block)
    layers.append(Linear(width, check_int("n_out", n_out, low=1), init=init, rng=rng))
    return Sequential(*layers)


def weight_grad_norms(model, X, y):
    """``||dL/dW||`` of every linear layer of ``model``, from the input to the output.

    One forward and backward pass of the mean softmax cross-entropy on ``(X, y)``, after
    clearing the gradients::

        model.zero_grad();  L, dlogits = softmax_cross_entropy(model.forward(X), y)
        model.backward(dlogits);  norms[k] = sqrt(sum(W_k.grad ** 2))

    The layers are found with :meth:`~nnlesson.core.Module.modules` (depth first).

    Args:
        model: a :class:`~nnlesson.core.Module` holding Linear layers.
        X: (N, D) inputs.
        y: (N,) integer labels.

    Returns:
        float64 array (number of Linear layers,); the weights' gradients are left in ``.grad``.

    Raises:
        TypeError: ``model`` is not a Module.
    """
    if not isinstance(model, Module):
        raise TypeError(f"model must be an nnlesson Module, got {type(model).__name__}")
    model.zero_grad()
    _, dlogits = softmax_cross_entropy(model.forward(X), y)
    model.backward(dlogits)
    return np.array([np.sqrt(np.sum(m.W.grad**2)) for m in model.modules()
                     if isinstance(m, Linear)])
