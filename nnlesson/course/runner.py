"""One loop for every small experiment: an update rule on a small problem for N steps.

Every lesson that watches an optimizer move (a path on a 2-D surface, gradient descent on a
least-squares problem, a schedule driving SGD, clipping on a cliff) runs :func:`run`, and every
run returns one :class:`OptimizerPath`::

    path = run(Ravine(), "momentum", lr=0.06, hyperparameters={"beta": 0.9}, n_steps=200)
    path.points, path.values, path.diverged_at

What runs the step (``rule``):

- a rule of :data:`nnlesson.optim.RULES` by name (``"gd"``, ``"sgd"``, ``"momentum"``,
  ``"adagrad"``, ``"rmsprop"``, ``"adam"``, ``"adamw"``) with the keyword arguments of its
  function (``momentum_update``'s ``beta``, ``adam_update``'s ``beta1``...) in
  ``hyperparameters``;
- the same, computed by a student's function with that rule's positional interface
  (``update=my_momentum_update``): ``w, *state = update(w, g, *state, [t,] lr=..., **hp)``;
- an optimizer class (``rule=Adam``, ``hyperparameters={"betas": (0.9, 0.99)}``) or a factory
  ``params -> optimizer`` (``rule=lambda params: SGD(params, lr=0.1)``), stepped on one
  :class:`~nnlesson.core.Parameter`.

One fast, checked road: every argument is checked once, when :func:`run` is called (a slider
value included); the learning rates of a schedule are computed and checked once; then the loop
calls the rule's unchecked kernel (:meth:`nnlesson.optim.UpdateRule.step`) and the objective's
gradient without checking again.

One divergence rule, for every experiment:

    **A run diverges at update t** (counting from 1) when the weights that update produced
    are not all finite or lie farther than :data:`DIVERGED_NORM` = 1e6 from the origin in the
    Euclidean norm, ``||w_t||_2 > 1e6``. The run stops there; ``diverged_at = t``; that point
    is not in ``points`` (so ``len(points) == t`` and everything in ``points`` can be plotted),
    while the per-update records (``lrs``, ``grads``, ``grad_norms``) include update t.

The objective is anything with ``value(w)`` and ``grad(w)`` for ``w`` of shape (d,): every
:class:`~nnlesson.course.surfaces.Surface`, or a problem a lesson defines. ``value`` must also
accept a stack of points (k, d) and return k values (it is called once, at the end, on all
the points). If the objective has ``grad_point(w)`` (an unchecked gradient at one point, as
every Surface has), the loop calls that instead of ``grad``.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np

from nnlesson._validate import check_array, check_bool, check_int, check_number
from nnlesson.clip import Clipping
from nnlesson.core import Parameter
from nnlesson.optim import RULES, Optimizer
from nnlesson.schedules import schedule_values

__all__ = ["DIVERGED_NORM", "OptimizerPath", "run"]

#: A run has diverged once ``||w||_2`` exceeds this, or w is not finite (see the module text).
DIVERGED_NORM = 1e6


def _read_only(a):
    a = np.asarray(a)
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class OptimizerPath:
    """Where an update rule went on an objective: the one result type of :func:`run`.

    With k updates kept (k = n_steps, or diverged_at - 1 when the run diverged) and m updates
    made (m = n_steps, or diverged_at):

    Attributes:
        points: float64 array (k + 1, d): the start, then w after each kept update.
        values: float64 array (k + 1,): the objective at each point.
        diverged_at: None, or the update t (from 1) whose result was not finite or had
            ``||w||_2 > DIVERGED_NORM``; that point is not in ``points``.
        lrs: float64 array (m,): the learning rate of each update made.
        grads: float64 array (m, d): the gradient each update was given, before clipping.
        clipped_grads: float64 array (m, d): the gradient the rule used (after clipping; the
            same values as ``grads`` without clipping).
        grad_norms: float64 array (m,): ``||grads[i]||_2``, what a training loop records.
        state: dict ``{name: float64 array (m, d)}``, the rule's buffers after each update,
            with ``record_state=True`` (empty otherwise). Names: the rule function's argument
            names for a rule by name or a student's function (``"v"``, ``"m"``...), PyTorch's
            state keys for an optimizer (``"exp_avg"``...).

    Every array is read-only, so a path can be cached and shared. Only ``points``, ``values``
    and ``diverged_at`` are needed to build one by hand; the rest default to empty.
    """

    points: np.ndarray
    values: np.ndarray
    diverged_at: int | None = None
    lrs: np.ndarray = None
    grads: np.ndarray = None
    clipped_grads: np.ndarray = None
    grad_norms: np.ndarray = None
    state: dict = field(default_factory=dict)

    def __post_init__(self):
        points = np.asarray(self.points, dtype=np.float64)
        d = points.shape[-1] if points.ndim == 2 else 0
        for name, empty in (("lrs", (0,)), ("grads", (0, d)), ("clipped_grads", (0, d)),
                            ("grad_norms", (0,))):
            if getattr(self, name) is None:
                object.__setattr__(self, name, np.zeros(empty))

    @property
    def diverged(self):
        """True if the run stopped because it diverged."""
        return self.diverged_at is not None

    @property
    def final(self):
        """The last point reached, shape (d,)."""
        return self.points[-1]

    @property
    def n_updates(self):
        """How many updates were made (``len(lrs)``), the diverging one included."""
        return len(self.lrs)

    @property
    def message(self):
        """One sentence: how the run ended (and, if it diverged, when and what to try)."""
        if self.diverged:
            lr = f" (it was {self.lrs[-1]:.3g})" if len(self.lrs) else ""
            return (f"Diverged at update {self.diverged_at}: the weights left the ball "
                    f"||w|| <= {DIVERGED_NORM:g} or stopped being finite. Try a smaller learning "
                    f"rate{lr}, or clip the gradients.")
        return (f"Ran {len(self.points) - 1} updates; the objective went from "
                f"{self.values[0]:.4g} to {self.values[-1]:.4g}.")

    def __repr__(self):
        final = ", ".join(f"{v:.6g}" for v in self.final[:4]) + (", ..." if self.final.size > 4
                                                                  else "")
        return (f"OptimizerPath(steps={len(self.points) - 1}, final=({final}), "
                f"diverged_at={self.diverged_at})")


# --------------------------------------------------------------------------- argument checks


def _check_objective(objective, batch_grad):
    needs = ("value",) if batch_grad is not None else ("value", "grad")
    for method in needs:
        if not callable(getattr(objective, method, None)):
            raise TypeError(
                f"objective must have {' and '.join(f'{m}(w)' for m in needs)} (a Surface such "
                f"as Ravine(), or an object of your own), got {type(objective).__name__} "
                f"without {method}()")
    if batch_grad is not None:
        if not callable(batch_grad):
            raise TypeError(f"batch_grad must be None or a function (w, i) -> gradient of "
                            f"update i, got {batch_grad!r}")
        return lambda w, i: batch_grad(w, i)
    grad = getattr(objective, "grad_point", None)
    if not callable(grad):
        grad = objective.grad
    return lambda w, i: grad(w)


def _check_start(objective, start):
    if start is None:
        start = getattr(objective, "default_start", None)
        if start is None:
            raise ValueError(f"start must be given: {type(objective).__name__} has no "
                             f"default_start")
    start = check_array("start", start, ndim=1, dtype=np.float64)
    if start.size == 0:
        raise ValueError("start must hold at least one weight, got shape (0,)")
    return start


def _learning_rates(lr, schedule, n_steps, required):
    """The learning rate of every update, checked once: (lrs array, first lr or None)."""
    if schedule is not None:
        if lr is not None:
            raise ValueError("lr and schedule: give one of them, not both")
        if not callable(schedule):
            raise TypeError(f"schedule must be a callable t -> lr (t = 0 for the first update), "
                            f"such as CosineAnnealing(0.1, T_max=100); got {schedule!r}")
        lrs = schedule_values(schedule, n_steps) if n_steps else np.zeros(0)
        bad = np.flatnonzero(~(np.isfinite(lrs) & (lrs >= 0)))
        if len(bad):
            raise ValueError(f"schedule must give finite learning rates >= 0, got "
                             f"{float(lrs[bad[0]])!r} at t = {int(bad[0])}")
        return lrs, (float(lrs[0]) if n_steps else None)
    if lr is None:
        if required:
            raise TypeError("lr must be given (a finite number >= 0), or a schedule")
        return None, None
    lr = check_number("lr", lr, low=0)
    return np.full(n_steps, lr), lr


def _check_hyperparameters(hyperparameters):
    if hyperparameters is None:
        return {}
    if not isinstance(hyperparameters, dict):
        raise TypeError(f"hyperparameters must be None or a dict {{name: value}}, "
                        f"got {type(hyperparameters).__name__}")
    if "lr" in hyperparameters:
        raise TypeError("hyperparameters must not hold lr: give the learning rate as lr= or "
                        "schedule=")
    return dict(hyperparameters)


_NOT_A_FACTORY = ("rule must be a name of RULES, an Optimizer class or a factory params -> "
                  "optimizer with step(); got {what} (for a function w, g, state -> w, state, "
                  "pass it as update= with the name of the rule it implements)")


def _check_factory(make):
    """Refuse an update function given as rule: a factory takes one argument, the params."""
    if isinstance(make, type):
        return
    try:
        required = [p for p in inspect.signature(make).parameters.values()
                    if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY,
                                                           p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):  # no signature to read: let the call show
        return
    if len(required) > 1:
        raise TypeError(_NOT_A_FACTORY.format(
            what=f"{getattr(make, '__name__', 'a function')} with {len(required)} arguments"))


# --------------------------------------------------------------------------- the steppers
# Each stepper is built (and checked) once; step(w, g, t, lr) then updates w in place or
# returns the new w, and record() gives the buffers to keep.


class _RuleStepper:
    """A rule of RULES by name: its kernel, in place, no checks."""

    def __init__(self, rule, hyperparameters, lr0, w):
        self.rule = rule
        self.h = rule.check({**hyperparameters, "lr": 0.0 if lr0 is None else lr0})
        self.buffers = rule.initial_state(w)

    def step(self, w, g, t, lr):
        self.h["lr"] = lr
        w, *self.buffers = self.rule.step(w, g, self.buffers, t, self.h)
        return w

    def record(self):
        return {name: b for name, b in zip(self.rule.state, self.buffers) if b is not None}


class _FunctionStepper:
    """A student's function with a rule's positional interface, called as written."""

    def __init__(self, rule, update, hyperparameters, w):
        if not callable(update):
            raise TypeError(f"update must be a function with the interface of "
                            f"{rule.update.__name__}, got {update!r}")
        self.rule, self.update, self.h = rule, update, hyperparameters
        self.buffers = rule.initial_state(w)[:rule.positional]
        self.names = rule.state[:rule.positional]
        self.checked = False

    def step(self, w, g, t, lr):
        args = (w, g, *self.buffers, t) if self.rule.takes_step else (w, g, *self.buffers)
        out = self.update(*args, lr=lr, **self.h)
        if not self.checked:  # the first answer shows whether the function keeps the interface
            self._check_output(out, w)
            self.checked = True
        if self.rule.positional == 0 and not isinstance(out, (tuple, list)):
            return np.array(out, dtype=np.float64)
        self.buffers = list(out[1:1 + self.rule.positional])
        return np.array(out[0], dtype=np.float64)

    def _check_output(self, out, w):
        want = "(" + ", ".join(("w",) + self.names) + ")"
        n = 1 + self.rule.positional
        if self.rule.positional and (not isinstance(out, (tuple, list)) or len(out) < n):
            raise TypeError(f"update must return {want} like {self.rule.update.__name__}, got "
                            f"{type(out).__name__}"
                            + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""))
        new_w = out[0] if isinstance(out, (tuple, list)) else out
        if np.shape(new_w) != w.shape:
            raise ValueError(f"update must return w of the shape of w {w.shape}, "
                             f"got {np.shape(new_w)}")

    def record(self):
        return {name: b for name, b in zip(self.names, self.buffers) if b is not None}


class _OptimizerStepper:
    """An optimizer (a class, or a factory params -> optimizer) on one Parameter."""

    def __init__(self, make, hyperparameters, lr, scheduled, w):
        self.param = Parameter(w, name="w")
        if isinstance(make, type) and issubclass(make, Optimizer):
            kwargs = dict(hyperparameters)
            if lr is not None:
                kwargs["lr"] = lr
            self.optimizer = make([self.param], **kwargs)  # the constructor checks them
        else:
            if hyperparameters:
                raise TypeError("hyperparameters must be None when rule is a factory "
                                "params -> optimizer: give them to the optimizer it builds")
            if lr is not None and not scheduled:
                raise TypeError("lr must be None when rule is a factory params -> optimizer: "
                                "give it to the optimizer it builds (or pass a schedule)")
            self.optimizer = make([self.param])
        if not callable(getattr(self.optimizer, "step", None)):
            raise TypeError(_NOT_A_FACTORY.format(
                what=f"a callable that returned {type(self.optimizer).__name__}"))
        self.scheduled = scheduled
        if scheduled and lr is not None:
            self.optimizer.lr = lr

    @property
    def lr(self):
        return float(getattr(self.optimizer, "lr", np.nan))

    def step(self, w, g, t, lr):
        self.param.grad[...] = g
        if self.scheduled:
            self.optimizer.lr = lr  # the optimizer's own setter (the value was checked already)
        self.optimizer.step()
        return np.asarray(self.param.value, dtype=np.float64)

    def record(self):
        state = getattr(self.optimizer, "state", None)
        if isinstance(state, list) and state and isinstance(state[0], dict):
            return {k: v for k, v in state[0].items() if isinstance(v, np.ndarray)}
        return {}


# --------------------------------------------------------------------------- run


def run(objective, rule="gd", *, lr=None, schedule=None, n_steps=100, start=None,
        hyperparameters=None, update=None, clipping=None, batch_grad=None, record_state=False):
    """Run an update rule on ``objective`` for ``n_steps`` updates; return the path.

    Each update ``t = 1, ..., n_steps`` (the loop of a training step, on one weight vector)::

        g     = objective.grad(w)            (or batch_grad(w, t - 1): a mini-batch gradient)
        g     = clipping applied to g        (if clipping is given: Clipping(max_norm=...) ...)
        lr_t  = lr, or schedule(t - 1)       (a schedule's clock starts at 0)
        w     = rule(w, g, state, t, lr_t)   (the library's kernel, a student's function, or
                                              optimizer.step() on a Parameter holding w)
        stop if w is not finite or ||w||_2 > DIVERGED_NORM  ->  diverged_at = t

    Args:
        objective: anything with ``value(w)`` (also vectorized: (k, d) -> (k,)) and
            ``grad(w)``, such as a :class:`~nnlesson.course.surfaces.Surface`.
        rule: a name in :data:`nnlesson.optim.RULES` (default ``"gd"``); or an
            :class:`~nnlesson.optim.Optimizer` subclass; or a factory ``params -> optimizer``.
        lr: the learning rate, a finite number >= 0 (required for a rule by name unless a
            schedule gives it; an optimizer class uses its default when None).
        schedule: instead of ``lr``, a callable ``t -> lr`` (t = 0 for the first update),
            such as :class:`~nnlesson.schedules.CosineAnnealing`. Its values are computed and
            checked once, before the first update.
        n_steps: the number of updates, an integer in [0, 1_000_000].
        start: the first point, a 1-D array of finite numbers; default
            ``objective.default_start``.
        hyperparameters: dict of the rule's other arguments: keyword arguments of the rule's
            function for a rule by name (checked once, e.g. ``{"beta1": 0.9, "beta2": 0.999,
            "eps": 1e-8}`` for ``"adam"``), of ``update`` when given (passed as they are), or
            of the optimizer class (checked by its constructor). Never ``lr``.
        update: a function with the positional interface of ``rule``'s function, e.g. a
            student's ``momentum_update(w, g, v, lr, beta)`` with ``rule="momentum"``; called
            ``update(w, g, *state, [t,] lr=lr_t, **hyperparameters)`` and expected to return
            ``(w, *state)`` (w alone for ``"gd"``). Its state starts as the rule's does
            (zeros, or None for ``"sgd"``'s buf).
        clipping: None, or a :class:`~nnlesson.clip.Clipping` applied to each gradient.
        batch_grad: None, or a function ``(w, i) -> gradient`` used for update ``i + 1``
            instead of ``objective.grad`` (a mini-batch gradient); ``objective.value`` still
            measures the points.
        record_state: keep the rule's buffers after every update in ``path.state``.

    Returns:
        :class:`OptimizerPath` (read-only arrays).

    Raises:
        TypeError, ValueError: a bad argument, named in the message (checked before the first
        update, or at the first update for what only the first answer shows: the gradient's
        shape, the shape of what ``update`` returns).
    """
    # ---- check everything once
    grad = _check_objective(objective, batch_grad)
    w = _check_start(objective, start).copy()
    n_steps = check_int("n_steps", n_steps, low=0, high=1_000_000)
    hyperparameters = _check_hyperparameters(hyperparameters)
    if clipping is not None and not isinstance(clipping, Clipping):
        raise TypeError(f"clipping must be None or a Clipping such as Clipping(max_norm=1.0), "
                        f"got {clipping!r}")
    record_state = check_bool("record_state", record_state)
    by_name = isinstance(rule, str)
    if by_name:
        if rule not in RULES:
            raise ValueError(f"rule must be one of {', '.join(map(repr, RULES))}, an Optimizer "
                             f"class or a factory params -> optimizer; got {rule!r}")
        lrs, lr0 = _learning_rates(lr, schedule, n_steps, required=True)
        if update is None:
            stepper = _RuleStepper(RULES[rule], hyperparameters, lr0, w)
        else:
            stepper = _FunctionStepper(RULES[rule], update, hyperparameters, w)
    else:
        if update is not None:
            raise TypeError("update needs rule to be the name of the rule it implements "
                            f"(one of {', '.join(map(repr, RULES))}), got rule={rule!r}")
        if not callable(rule):
            raise TypeError(f"rule must be one of {', '.join(map(repr, RULES))}, an Optimizer "
                            f"class or a factory params -> optimizer; got {rule!r}")
        _check_factory(rule)
        lrs, lr0 = _learning_rates(lr, schedule, n_steps, required=False)
        stepper = _OptimizerStepper(rule, hyperparameters, lr0, schedule is not None, w)
        if lrs is None:
            lrs = np.full(n_steps, stepper.lr)

    # ---- the loop: no checks from here on
    d = w.size
    points = np.empty((n_steps + 1, d))
    points[0] = w
    grads = np.empty((n_steps, d))
    clipped = np.empty((n_steps, d)) if clipping is not None else grads
    states = {}
    limit = DIVERGED_NORM ** 2
    diverged_at = None
    m = n_steps
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, n_steps + 1):
            g = np.asarray(grad(w, t - 1), dtype=np.float64)
            if t == 1 and g.shape != w.shape:
                raise ValueError(f"objective's gradient must have the shape of w {w.shape}, "
                                 f"got {g.shape}")
            grads[t - 1] = g
            if clipping is not None:
                g = g.copy()
                clipping._apply([g])  # checked once, when the Clipping was made
                clipped[t - 1] = g
            w = stepper.step(w, g, t, lrs[t - 1])
            if record_state:
                for name, buffer in stepper.record().items():
                    states.setdefault(name, np.full((n_steps, d), np.nan))[t - 1] = buffer
            if not np.dot(w, w) <= limit:  # also catches NaN and inf
                diverged_at, m = t, t
                break
            points[t] = w
        norms = np.sqrt(np.einsum("ij,ij->i", grads[:m], grads[:m]))
    k = m - 1 if diverged_at is not None else m
    points = points[:k + 1]
    values = np.asarray(objective.value(points), dtype=np.float64)
    if values.shape != (k + 1,):
        raise TypeError(f"objective.value must accept an array of points (k, d) and return k "
                        f"values: for points of shape {points.shape} it returned shape "
                        f"{values.shape}")
    return OptimizerPath(
        points=_read_only(points), values=_read_only(values), diverged_at=diverged_at,
        lrs=_read_only(np.array(lrs[:m], dtype=np.float64)),
        grads=_read_only(grads[:m]), clipped_grads=_read_only(clipped[:m]),
        grad_norms=_read_only(norms),
        state={name: _read_only(a[:m]) for name, a in states.items()})
