"""Optimizers: the update rules of lessons 01, 04, 05 and 06, and the classes that apply them.

The update-rule interface (stated once here, shared by every rule)::

    w, *state = rule(w, g, *state, [step,] *, hyperparameters..., inplace=False)

- ``w`` is the parameter array and ``g`` its gradient dL/dw, of the same shape (any shape).
- ``state`` are the rule's buffers (velocity, moving averages, ...), each of the shape of ``w``.
- **Pure by default**: the rule returns new arrays and never changes its inputs.
  With ``inplace=True`` it writes into ``w`` and the state buffers and returns those same
  arrays; the optimizer classes do this to avoid allocations. Both modes run the same lines:
  a pure call copies its inputs first. ``g`` is never written to.
- ``step`` (where a rule needs it) is the number of the update being made, counting from 1:
  the first update is ``step=1``, as in ``torch.optim``.

Conventions. The rules and the classes named after ``torch.optim`` (``SGD``, ``Adagrad``,
``RMSprop``, ``Adam``, ``AdamW``) use PyTorch's argument names, defaults and arithmetic; their
numbers agree with ``torch.optim`` (single-tensor path) to rounding. The course's own forms
sit next to them: :func:`momentum_update` / :class:`Momentum` is the EMA momentum of the seeds,
and :func:`adam_update` has a ``bias_correction`` switch that PyTorch does not have.

The classes hold a list of :class:`nnlesson.core.Parameter`; ``step()`` applies the rule in
place to every parameter with per-parameter state created on the first step, under PyTorch's
key names (``opt.state[i]`` or ``opt.state_of(param)``)::

    opt = Adam(model.parameters(), lr=1e-3)
    for xb, yb in batches:
        opt.zero_grad()
        loss, dlogits = loss_fn(model(xb), yb)
        model.backward(dlogits)
        opt.step()
"""
from __future__ import annotations

import inspect
import math

import numpy as np

from nnlesson._validate import check_bool, check_int, check_number
from nnlesson.core import DEFAULT_DTYPE, Parameter

__all__ = [
    "gd_update",
    "sgd_update",
    "momentum_update",
    "ema_to_classical_lr",
    "adagrad_update",
    "rmsprop_update",
    "adam_update",
    "Optimizer",
    "SGD",
    "Momentum",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "OPTIMIZERS",
]


# --------------------------------------------------------------------------- argument checks

def _check_lr(name, value):
    return check_number(name, value, low=0)


def _check_nonneg(name, value):
    return check_number(name, value, low=0)


def _check_decay_rate(name, value):
    """A momentum or moving-average coefficient: 0 forgets at once, 1 would never forget."""
    return check_number(name, value, low=0, high=1, high_open=True)


def _check_eps(name, value):
    return check_number(name, value, low=0, low_open=True)


def _check_nesterov(nesterov, momentum, dampening):
    nesterov = check_bool("nesterov", nesterov)
    if nesterov and (momentum == 0 or dampening != 0):
        raise ValueError(
            "nesterov must be False unless momentum > 0 and dampening == 0, "
            f"got nesterov=True with momentum={momentum!r} and dampening={dampening!r}"
        )
    return nesterov


def _writable(name, a, inplace, like=None):
    """The array a rule writes to: ``a`` itself when in place, otherwise a copy of it.

    A pure call accepts anything array-like (integers become float64); an in-place call needs a
    floating-point ndarray, since it must be changed where it lives. ``like`` is ``w``, whose
    shape every state buffer must have.
    """
    if inplace:
        if not isinstance(a, np.ndarray) or a.dtype.kind != "f":
            raise TypeError(
                f"{name} must be a floating-point numpy array when inplace=True, "
                f"got {type(a).__name__}"
                + (f" of dtype {a.dtype}" if isinstance(a, np.ndarray) else "")
            )
    else:
        a = np.array(a, copy=True)
        if a.dtype.kind != "f":
            a = a.astype(DEFAULT_DTYPE)
    if like is not None and a.shape != like.shape:
        raise ValueError(f"{name} must have the shape of w {like.shape}, got {a.shape}")
    return a


def _gradient(g, w):
    g = np.asarray(g)
    if g.shape != w.shape:
        raise ValueError(f"g must have the shape of w {w.shape}, got {g.shape}")
    return g


# --------------------------------------------------------------------------- update rules

def gd_update(w, g, *, lr, inplace=False):
    """Plain gradient descent (lesson 01).

    Equations::

        w = w - lr * g

    Args:
        w: array of any shape, the parameters.
        g: array of the shape of ``w``, the gradient dL/dw.
        lr: learning rate, >= 0.
        inplace: write into ``w`` instead of returning a new array.

    Returns:
        w: the updated parameters (``w`` itself when ``inplace=True``).
    """
    lr = _check_lr("lr", lr)
    inplace = check_bool("inplace", inplace)
    w = _writable("w", w, inplace)
    g = _gradient(g, w)

    w -= lr * g
    return w


def sgd_update(w, g, buf, *, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
               inplace=False):
    """Stochastic gradient descent with PyTorch's classical momentum (``torch.optim.SGD``).

    Equations (``mu`` is ``momentum``, ``tau`` is ``dampening``, ``lam`` is ``weight_decay``)::

        g   = g + lam * w                      (L2 penalty, coupled to the gradient)
        buf = g                                (first step: pass buf=None)
        buf = mu * buf + (1 - tau) * g         (later steps)
        d   = g + mu * buf   if nesterov   else   buf
        w   = w - lr * d

    Convention: PyTorch's form ``v = mu v + g``; the learning rate multiplies the velocity
    when it is applied, not when it is accumulated. The velocity starts as the first gradient
    itself (not ``(1 - tau) * g``), exactly as PyTorch does. With ``momentum=0`` there is no
    velocity: ``d = g`` and ``buf`` is returned untouched (normally ``None``).
    The seeds' EMA form is :func:`momentum_update`; see :func:`ema_to_classical_lr`.

    Args:
        w: array of any shape, the parameters.
        g: array of the shape of ``w``, the gradient dL/dw.
        buf: the velocity, shape of ``w``, or ``None`` on the first step.
        lr: learning rate, >= 0.
        momentum: mu in [0, 1).
        dampening: tau in [0, 1], the share of the gradient left out of the velocity.
        weight_decay: lam >= 0.
        nesterov: look ahead along the velocity; needs momentum > 0 and dampening == 0.
        inplace: write into ``w`` and ``buf`` instead of returning new arrays.

    Returns:
        (w, buf): the updated parameters and velocity.
    """
    lr = _check_lr("lr", lr)
    momentum = _check_decay_rate("momentum", momentum)
    dampening = check_number("dampening", dampening, low=0, high=1)
    weight_decay = _check_nonneg("weight_decay", weight_decay)
    nesterov = _check_nesterov(nesterov, momentum, dampening)
    inplace = check_bool("inplace", inplace)
    w = _writable("w", w, inplace)
    g = _gradient(g, w)
    if momentum != 0 and buf is not None:
        buf = _writable("buf", buf, inplace, like=w)

    if weight_decay != 0:
        g = g + weight_decay * w
    d = g
    if momentum != 0:
        if buf is None:
            buf = np.array(g, copy=True)
        else:
            buf *= momentum
            buf += g if dampening == 0 else (1 - dampening) * g
        d = g + momentum * buf if nesterov else buf
    w -= lr * d
    return w, buf


def momentum_update(w, g, v, *, lr, beta=0.9, inplace=False):
    """Gradient descent with momentum in the seeds' EMA form (lesson 04).

    Equations::

        v = beta * v + (1 - beta) * g
        w = w - lr * v

    Convention: ``v`` is an exponential moving average of the gradients, so it has the size of
    a gradient and the learning rate means what it means without momentum. It starts at zero
    (``v=None`` means zeros). Starting from zero, this is PyTorch's
    ``SGD(momentum=beta, lr=lr * (1 - beta))`` step for step (:func:`ema_to_classical_lr`):
    its velocity is ``v / (1 - beta)``.

    Args:
        w: array of any shape, the parameters.
        g: array of the shape of ``w``, the gradient dL/dw.
        v: the velocity, shape of ``w``, or ``None`` (zeros) on the first step.
        lr: learning rate, >= 0.
        beta: momentum coefficient in [0, 1); 0 gives plain gradient descent.
        inplace: write into ``w`` and ``v`` instead of returning new arrays.

    Returns:
        (w, v): the updated parameters and velocity.
    """
    lr = _check_lr("lr", lr)
    beta = _check_decay_rate("beta", beta)
    inplace = check_bool("inplace", inplace)
    w = _writable("w", w, inplace)
    g = _gradient(g, w)
    v = np.zeros_like(w) if v is None else _writable("v", v, inplace, like=w)

    v *= beta
    v += (1 - beta) * g
    w -= lr * v
    return w, v


def ema_to_classical_lr(lr, beta):
    """The PyTorch ``SGD(momentum=beta)`` learning rate that reproduces EMA momentum.

    Equations::

        lr_classical = lr * (1 - beta)

    EMA momentum (:func:`momentum_update`, learning rate ``lr``) and classical momentum
    (:func:`sgd_update` with ``momentum=beta``, ``dampening=0``, learning rate
    ``lr_classical``) then take the same steps, both starting from zero velocity.
    """
    lr = _check_lr("lr", lr)
    beta = _check_decay_rate("beta", beta)
    return lr * (1 - beta)


def adagrad_update(w, g, state_sum, step, *, lr, lr_decay=0.0, weight_decay=0.0, eps=1e-10,
                   inplace=False):
    """AdaGrad (``torch.optim.Adagrad``, lesson 05): each weight's step shrinks with its history.

    Equations (``lam`` is ``weight_decay``)::

        g         = g + lam * w                          (L2 penalty, coupled)
        clr       = lr / (1 + (step - 1) * lr_decay)
        state_sum = state_sum + g * g
        w         = w - clr * g / (sqrt(state_sum) + eps)

    Convention: PyTorch's: ``eps`` outside the square root; ``step`` counts from 1.
    ``state_sum`` starts at ``initial_accumulator_value`` (0 by default).

    Args:
        w: array of any shape, the parameters.
        g: array of the shape of ``w``, the gradient dL/dw.
        state_sum: running sum of squared gradients, shape of ``w``.
        step: number of this update, >= 1.
        lr: learning rate, >= 0.
        lr_decay: >= 0, divides the learning rate by ``1 + (step - 1) * lr_decay``.
        weight_decay: lam >= 0.
        eps: > 0, keeps the division finite.
        inplace: write into ``w`` and ``state_sum`` instead of returning new arrays.

    Returns:
        (w, state_sum)
    """
    step = check_int("step", step, low=1)
    lr = _check_lr("lr", lr)
    lr_decay = _check_nonneg("lr_decay", lr_decay)
    weight_decay = _check_nonneg("weight_decay", weight_decay)
    eps = _check_eps("eps", eps)
    inplace = check_bool("inplace", inplace)
    w = _writable("w", w, inplace)
    g = _gradient(g, w)
    state_sum = _writable("state_sum", state_sum, inplace, like=w)

    if weight_decay != 0:
        g = g + weight_decay * w
    clr = lr / (1 + (step - 1) * lr_decay)
    state_sum += g * g
    std = np.sqrt(state_sum)
    std += eps
    update = np.divide(g, std, out=std)  # reuse the buffer: update = g / std
    update *= clr
    w -= update
    return w, state_sum


def rmsprop_update(w, g, square_avg, *, lr, alpha, eps, weight_decay=0.0, momentum=0.0,
                   centered=False, momentum_buf=None, grad_avg=None, inplace=False):
    """RMSProp (``torch.optim.RMSprop``, lesson 05): divide by a moving RMS of the gradients.

    Equations (``lam`` is ``weight_decay``, ``mu`` is ``momentum``)::

        g          = g + lam * w                                  (L2 penalty, coupled)
        square_avg = alpha * square_avg + (1 - alpha) * g * g
        grad_avg   = alpha * grad_avg + (1 - alpha) * g           (centered only)
        avg        = sqrt(square_avg - grad_avg ** 2) + eps   if centered
                     sqrt(square_avg) + eps                   otherwise
        momentum_buf = mu * momentum_buf + g / avg                (momentum > 0 only)
        w          = w - lr * momentum_buf   if mu > 0   else   w - lr * g / avg

    Convention: PyTorch's: ``alpha`` is the decay rate the seeds call beta; ``eps`` is added
    outside the square root; ``square_avg``, ``grad_avg`` and ``momentum_buf`` start at zero
    (pass ``None`` for the last two on the first step). A buffer the options do not use is
    returned as it was given, normally ``None``. "Centered" divides by an estimate of the standard deviation of the gradient
    instead of its root mean square.

    Args:
        w: array of any shape, the parameters.
        g: array of the shape of ``w``, the gradient dL/dw.
        square_avg: moving average of ``g * g``, shape of ``w``.
        lr: learning rate, >= 0.
        alpha: decay rate of the averages, in [0, 1).
        eps: > 0.
        weight_decay: lam >= 0.
        momentum: mu in [0, 1).
        centered: subtract the squared moving average of ``g``.
        momentum_buf, grad_avg: the optional buffers, shape of ``w``, or ``None``.
        inplace: write into ``w`` and the buffers instead of returning new arrays.

    Returns:
        (w, square_avg, momentum_buf, grad_avg)
    """
    lr = _check_lr("lr", lr)
    alpha = _check_decay_rate("alpha", alpha)
    eps = _check_eps("eps", eps)
    weight_decay = _check_nonneg("weight_decay", weight_decay)
    momentum = _check_decay_rate("momentum", momentum)
    centered = check_bool("centered", centered)
    inplace = check_bool("inplace", inplace)
    w = _writable("w", w, inplace)
    g = _gradient(g, w)
    square_avg = _writable("square_avg", square_avg, inplace, like=w)
    if momentum > 0:
        momentum_buf = (np.zeros_like(w) if momentum_buf is None
                        else _writable("momentum_buf", momentum_buf, inplace, like=w))
    if centered:
        grad_avg = (np.zeros_like(w) if grad_avg is None
                    else _writable("grad_avg", grad_avg, inplace, like=w))

    if weight_decay != 0:
        g = g + weight_decay * w
    square_avg *= alpha
    square_avg += (1 - alpha) * (g * g)
    if centered:
        grad_avg *= alpha
        grad_avg += (1 - alpha) * g
        avg = square_avg - grad_avg * grad_avg
        np.sqrt(avg, out=avg)
    else:
        avg = np.sqrt(square_avg)
    avg += eps
    scaled = np.divide(g, avg, out=avg)  # reuse the buffer: scaled = g / avg
    if momentum > 0:
        momentum_buf *= momentum
        momentum_buf += scaled
        np.multiply(momentum_buf, lr, out=scaled)
    else:
        scaled *= lr
    w -= scaled
    return w, square_avg, momentum_buf, grad_avg


def adam_update(w, g, m, v, step, *, lr, beta1, beta2, eps, weight_decay=0.0,
                decoupled_weight_decay=False, amsgrad=False, v_max=None, bias_correction=True,
                inplace=False):
    """Adam and AdamW (``torch.optim.Adam``, ``torch.optim.AdamW``, lesson 06).

    Equations (``lam`` is ``weight_decay``, ``t`` is ``step``)::

        w     = w * (1 - lr * lam)                 (AdamW: decoupled_weight_decay=True)
        g     = g + lam * w                        (Adam: L2 penalty coupled to the gradient)
        m     = beta1 * m + (1 - beta1) * g        (first moment: mean of g)
        v     = beta2 * v + (1 - beta2) * g * g    (second moment: mean of g squared)
        v_max = maximum(v_max, v)                  (amsgrad only; then used in place of v)
        bc1   = 1 - beta1 ** t,   bc2 = 1 - beta2 ** t      (1 and 1 if not bias_correction)
        w     = w - (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps)

    The last line is the textbook ``w - lr * m_hat / (sqrt(v_hat) + eps)`` with
    ``m_hat = m / bc1`` and ``v_hat = v / bc2``, written in PyTorch's order.

    Conventions: PyTorch's. ``step`` counts from 1 (the first update is ``t = 1``); ``eps``
    is added outside the square root; ``m``, ``v`` and ``v_max`` start at zero (``v_max=None``
    on the first step); AdamW's decay is multiplied by the learning rate (not by ``lr / bc1``).
    ``bias_correction=False`` is a teaching switch that PyTorch does not have: it shows the
    steps Adam would take with moments that are biased towards their zero start.
    On the first step, with the correction the step is ``lr * g / (|g| + eps)``, about ``lr``
    per weight; without it, it is ``lr * (1 - beta1) * g / (sqrt(1 - beta2) * |g| + eps)``:
    smaller than ``lr`` when ``1 - beta1 < sqrt(1 - beta2)``, larger for the default betas
    (about ``3.16 * lr``).

    Args:
        w: array of any shape, the parameters.
        g: array of the shape of ``w``, the gradient dL/dw.
        m, v: first and second moment estimates, shape of ``w``.
        step: t, the number of this update, >= 1.
        lr: learning rate, >= 0.
        beta1, beta2: decay rates of the moments, in [0, 1).
        eps: > 0.
        weight_decay: lam >= 0.
        decoupled_weight_decay: AdamW's decay of ``w`` instead of the L2 gradient term.
        amsgrad: divide by the largest ``v`` seen so far.
        v_max: that largest ``v`` (amsgrad only), shape of ``w``, or ``None`` on the first step.
        bias_correction: divide the moments by ``1 - beta ** t`` (True in PyTorch).
        inplace: write into ``w``, ``m``, ``v`` (and ``v_max``) instead of returning new arrays.

    Returns:
        (w, m, v, v_max); without ``amsgrad``, ``v_max`` is returned as given (normally ``None``).
    """
    step = check_int("step", step, low=1)
    lr = _check_lr("lr", lr)
    beta1 = _check_decay_rate("beta1", beta1)
    beta2 = _check_decay_rate("beta2", beta2)
    eps = _check_eps("eps", eps)
    weight_decay = _check_nonneg("weight_decay", weight_decay)
    decoupled_weight_decay = check_bool("decoupled_weight_decay", decoupled_weight_decay)
    amsgrad = check_bool("amsgrad", amsgrad)
    bias_correction = check_bool("bias_correction", bias_correction)
    inplace = check_bool("inplace", inplace)
    w = _writable("w", w, inplace)
    g = _gradient(g, w)
    m = _writable("m", m, inplace, like=w)
    v = _writable("v", v, inplace, like=w)
    if amsgrad:
        v_max = np.zeros_like(v) if v_max is None else _writable("v_max", v_max, inplace, like=w)

    if weight_decay != 0:
        if decoupled_weight_decay:
            w *= 1 - lr * weight_decay
        else:
            g = g + weight_decay * w
    m *= beta1
    m += (1 - beta1) * g
    v *= beta2
    v += (1 - beta2) * (g * g)
    if amsgrad:
        np.maximum(v_max, v, out=v_max)
    bc1 = 1 - beta1 ** step if bias_correction else 1.0
    bc2 = 1 - beta2 ** step if bias_correction else 1.0

    denom = np.sqrt(v_max if amsgrad else v)
    denom /= math.sqrt(bc2)
    denom += eps
    update = np.divide(m, denom, out=denom)  # reuse the buffer: update = m / denom
    update *= lr / bc1
    w -= update
    return w, m, v, v_max


# --------------------------------------------------------------------------- optimizer classes

def _check_params(params):
    if isinstance(params, Parameter):
        raise TypeError("params must be a list of Parameter, got a single Parameter; wrap it in a list")
    try:
        params = list(params)
    except TypeError:
        raise TypeError(
            f"params must be a list of Parameter (e.g. model.parameters()), got {type(params).__name__}"
        ) from None
    if not params:
        raise ValueError("params must be a non-empty list of Parameter, got an empty list")
    seen = set()
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise TypeError(f"params must hold only Parameter objects, got {type(p).__name__} at index {i}")
        if id(p) in seen:
            raise ValueError(f"params must not list a Parameter twice, got {p.name!r} again at index {i}")
        seen.add(id(p))
    return params


class Optimizer:
    """Base class: applies an update rule in place to a list of parameters.

    Attributes:
        params: the list of :class:`~nnlesson.core.Parameter` being optimized.
        lr: the learning rate; may be changed between steps (a schedule does that), and is
            checked when set.
        state: one dict per parameter, in the order of ``params``, filled on the first
            ``step()`` with PyTorch's key names (``'step'``, ``'momentum_buffer'``,
            ``'exp_avg'``, ...). ``state_of(param)`` finds the dict of one parameter.
        step_count: how many times ``step()`` has run.

    The other hyperparameters are attributes named as the constructor's arguments; the update
    rule checks them again at every step, so a bad value set later is reported by name.
    Subclasses implement ``_update(param, state)``.
    """

    def __init__(self, params, lr):
        self.params = _check_params(params)
        self.lr = lr
        self.state = [{} for _ in self.params]
        self.step_count = 0

    @property
    def lr(self):
        return self._lr

    @lr.setter
    def lr(self, value):
        self._lr = _check_lr("lr", value)

    def step(self):
        """Update every parameter once from its current ``.grad``."""
        for param, state in zip(self.params, self.state):
            self._update(param, state)
        self.step_count += 1

    def zero_grad(self):
        """Set every parameter's ``.grad`` to zero (``backward`` adds into it)."""
        for param in self.params:
            param.zero_grad()

    def state_of(self, param):
        """The state dict of ``param`` (empty before the first step)."""
        for p, state in zip(self.params, self.state):
            if p is param:
                return state
        raise ValueError(f"param must be one of this optimizer's params, got {param!r}")

    def _update(self, param, state):  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def hyperparameters(self):
        """The constructor's arguments other than ``params``, read from the attributes."""
        names = list(inspect.signature(type(self).__init__).parameters)[2:]  # skip self, params
        return {name: getattr(self, name) for name in names}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters.items())
        return f"{type(self).__name__}(<{len(self.params)} parameters>, {args})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional classical momentum, as ``torch.optim.SGD``.

    Rule: :func:`sgd_update` (``buf = mu * buf + (1 - dampening) * g``; ``w -= lr * buf``).
    State: ``'step'`` and, when ``momentum > 0``, ``'momentum_buffer'`` (PyTorch keeps no step
    count for SGD; ours is for inspection only).
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False):
        super().__init__(params, lr)
        self.momentum = _check_decay_rate("momentum", momentum)
        self.dampening = check_number("dampening", dampening, low=0, high=1)
        self.weight_decay = _check_nonneg("weight_decay", weight_decay)
        self.nesterov = _check_nesterov(nesterov, self.momentum, self.dampening)

    def _update(self, param, state):
        state["step"] = state.get("step", 0) + 1
        _, buf = sgd_update(param.value, param.grad, state.get("momentum_buffer"), lr=self.lr,
                            momentum=self.momentum, dampening=self.dampening,
                            weight_decay=self.weight_decay, nesterov=self.nesterov, inplace=True)
        if buf is not None:
            state["momentum_buffer"] = buf


class Momentum(Optimizer):
    """Gradient descent with the seeds' EMA momentum (lesson 04).

    Rule: :func:`momentum_update` (``v = beta * v + (1 - beta) * g``; ``w -= lr * v``).
    Same steps as ``SGD(momentum=beta, lr=ema_to_classical_lr(lr, beta))``.
    State: ``'step'`` and ``'velocity'`` (v, zero before the first step).
    """

    def __init__(self, params, lr, beta=0.9):
        super().__init__(params, lr)
        self.beta = _check_decay_rate("beta", beta)

    def _update(self, param, state):
        if not state:
            state.update(step=0, velocity=np.zeros_like(param.value))
        state["step"] += 1
        momentum_update(param.value, param.grad, state["velocity"], lr=self.lr, beta=self.beta,
                        inplace=True)


class Adagrad(Optimizer):
    """AdaGrad, as ``torch.optim.Adagrad``.

    Rule: :func:`adagrad_update`. State: ``'step'`` and ``'sum'`` (the running sum of squared
    gradients, starting at ``initial_accumulator_value``).
    """

    def __init__(self, params, lr=0.01, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10):
        super().__init__(params, lr)
        self.lr_decay = _check_nonneg("lr_decay", lr_decay)
        self.weight_decay = _check_nonneg("weight_decay", weight_decay)
        self.initial_accumulator_value = _check_nonneg(
            "initial_accumulator_value", initial_accumulator_value)
        self.eps = _check_eps("eps", eps)

    def _update(self, param, state):
        if not state:
            state.update(step=0, sum=np.full_like(param.value, self.initial_accumulator_value))
        state["step"] += 1
        adagrad_update(param.value, param.grad, state["sum"], state["step"], lr=self.lr,
                       lr_decay=self.lr_decay, weight_decay=self.weight_decay, eps=self.eps,
                       inplace=True)


class RMSprop(Optimizer):
    """RMSProp, as ``torch.optim.RMSprop`` (``alpha`` is the decay rate).

    Rule: :func:`rmsprop_update`. State: ``'step'``, ``'square_avg'``, and
    ``'momentum_buffer'`` when ``momentum > 0``, ``'grad_avg'`` when ``centered``.
    """

    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False):
        super().__init__(params, lr)
        self.alpha = _check_decay_rate("alpha", alpha)
        self.eps = _check_eps("eps", eps)
        self.weight_decay = _check_nonneg("weight_decay", weight_decay)
        self.momentum = _check_decay_rate("momentum", momentum)
        self.centered = check_bool("centered", centered)

    def _update(self, param, state):
        if not state:
            state.update(step=0, square_avg=np.zeros_like(param.value))
        state["step"] += 1
        _, _, buf, grad_avg = rmsprop_update(
            param.value, param.grad, state["square_avg"], lr=self.lr, alpha=self.alpha,
            eps=self.eps, weight_decay=self.weight_decay, momentum=self.momentum,
            centered=self.centered, momentum_buf=state.get("momentum_buffer"),
            grad_avg=state.get("grad_avg"), inplace=True)
        if buf is not None:
            state["momentum_buffer"] = buf
        if grad_avg is not None:
            state["grad_avg"] = grad_avg


def _check_betas(betas):
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    return (_check_decay_rate("betas[0]", betas[0]), _check_decay_rate("betas[1]", betas[1]))


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (weight decay is an L2 term added to the gradient).

    Rule: :func:`adam_update`. State: ``'step'``, ``'exp_avg'`` (m), ``'exp_avg_sq'`` (v) and,
    with ``amsgrad``, ``'max_exp_avg_sq'`` (v_max). ``bias_correction=False`` is a teaching
    switch that PyTorch does not have.
    """

    decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, bias_correction=True):
        super().__init__(params, lr)
        self.betas = _check_betas(betas)
        self.eps = _check_eps("eps", eps)
        self.weight_decay = _check_nonneg("weight_decay", weight_decay)
        self.amsgrad = check_bool("amsgrad", amsgrad)
        self.bias_correction = check_bool("bias_correction", bias_correction)

    def _update(self, param, state):
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(param.value),
                         exp_avg_sq=np.zeros_like(param.value))
            if self.amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(param.value)
        state["step"] += 1
        beta1, beta2 = self.betas
        adam_update(param.value, param.grad, state["exp_avg"], state["exp_avg_sq"], state["step"],
                    lr=self.lr, beta1=beta1, beta2=beta2, eps=self.eps,
                    weight_decay=self.weight_decay,
                    decoupled_weight_decay=self.decoupled_weight_decay, amsgrad=self.amsgrad,
                    v_max=state.get("max_exp_avg_sq"), bias_correction=self.bias_correction,
                    inplace=True)


class AdamW(Adam):
    """AdamW, as ``torch.optim.AdamW``: Adam with decoupled weight decay.

    Each step first shrinks the weights, ``w = w * (1 - lr * weight_decay)``, then takes the
    Adam step with the plain gradient, so the decay is not divided by ``sqrt(v)``.
    Rule and state: as :class:`Adam`.
    """

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


OPTIMIZERS = {
    "sgd": SGD,
    "momentum": Momentum,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
}
