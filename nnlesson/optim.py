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

One fast, checked road. Each rule is written once, as a private *kernel* (plain numpy on
arrays that were already checked, writing in place); the public function checks its
arguments, copies them unless ``inplace=True``, and calls the kernel. The classes check their
hyperparameters when they are built and whenever one is set (``opt.lr = 0.1`` is checked
there), so ``step()`` calls the kernel without checking again. :data:`RULES` describes each rule
for loops that check once and then step many times (:mod:`nnlesson.course.runner`).

Conventions. The rules and the classes named after ``torch.optim`` (``SGD``, ``Adagrad``,
``RMSprop``, ``Adam``, ``AdamW``) use PyTorch's argument names, defaults and arithmetic; their
numbers agree with ``torch.optim`` (single-tensor path) to rounding. The course's own forms
sit next to them: :func:`momentum_update` / :class:`Momentum` is the EMA momentum of the
lessons, and :func:`adam_update` has a ``bias_correction`` switch that PyTorch does not have.

The classes hold a list of :class:`nnlesson.core.Parameter`; ``step()`` applies the rule in
place to every parameter with per-parameter state created on the first step, under PyTorch's
key names (``opt.state[i]`` or ``opt.state_of(param)``)::

    opt = Adam(model.parameters(), lr=1e-3)
    for xb, yb in batches:
        opt.zero_grad()
        loss, dlogits = loss_fn(model(xb), yb)
        model.backward(dlogits)
        opt.step()

Every class that has a momentum-like coefficient exposes it as ``opt.momentum`` (read and set):
``momentum`` of SGD and RMSprop, ``beta`` of Momentum, ``betas[0]`` of Adam and AdamW.
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass

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
    "UpdateRule",
    "RULES",
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


def _check_dampening(name, value):
    return check_number(name, value, low=0, high=1)


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


# The hyperparameters of each rule, checked in one place: the public function and the runner
# (RULES) go through these; the classes' setters use the same checks. Each returns the checked
# values as a tuple in the order of its arguments, which is the order of the kernel's
# arguments after the arrays (and the step).

def _gd_hyperparameters(lr):
    return (_check_lr("lr", lr),)


def _sgd_hyperparameters(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    momentum = _check_decay_rate("momentum", momentum)
    dampening = _check_dampening("dampening", dampening)
    return (_check_lr("lr", lr), momentum, dampening, _check_nonneg("weight_decay", weight_decay),
            _check_nesterov(nesterov, momentum, dampening))


def _momentum_hyperparameters(lr, beta=0.9):
    return (_check_lr("lr", lr), _check_decay_rate("beta", beta))


def _adagrad_hyperparameters(lr, lr_decay=0.0, weight_decay=0.0, eps=1e-10):
    return (_check_lr("lr", lr), _check_nonneg("lr_decay", lr_decay),
            _check_nonneg("weight_decay", weight_decay), _check_eps("eps", eps))


def _rmsprop_hyperparameters(lr, alpha, eps, weight_decay=0.0, momentum=0.0, centered=False):
    return (_check_lr("lr", lr), _check_decay_rate("alpha", alpha), _check_eps("eps", eps),
            _check_nonneg("weight_decay", weight_decay), _check_decay_rate("momentum", momentum),
            check_bool("centered", centered))


def _adam_hyperparameters(lr, beta1, beta2, eps, weight_decay=0.0, decoupled_weight_decay=False,
                          amsgrad=False, bias_correction=True):
    return (_check_lr("lr", lr), _check_decay_rate("beta1", beta1),
            _check_decay_rate("beta2", beta2), _check_eps("eps", eps),
            _check_nonneg("weight_decay", weight_decay),
            check_bool("decoupled_weight_decay", decoupled_weight_decay),
            check_bool("amsgrad", amsgrad), check_bool("bias_correction", bias_correction))


# --------------------------------------------------------------------------- kernels
#
# The arithmetic of each rule, once. A kernel trusts its arguments (checked by the caller),
# writes into w and the state buffers, never into g, and returns (w, *state). A state buffer
# given as None is created on the first step.

def _gd(w, g, lr):
    w -= lr * g
    return w


def _sgd(w, g, buf, lr, momentum, dampening, weight_decay, nesterov):
    if weight_decay != 0:
        g = g + weight_decay * w
    d = g
    if momentum != 0:
        if buf is None:
            buf = np.array(g, copy=True)  # PyTorch: the first velocity is the gradient itself
        else:
            buf *= momentum
            buf += g if dampening == 0 else (1 - dampening) * g
        d = g + momentum * buf if nesterov else buf
    w -= lr * d
    return w, buf


def _momentum(w, g, v, lr, beta):
    if v is None:
        v = np.zeros_like(w)
    v *= beta
    v += (1 - beta) * g
    w -= lr * v
    return w, v


def _adagrad(w, g, state_sum, step, lr, lr_decay, weight_decay, eps):
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


def _rmsprop(w, g, square_avg, momentum_buf, grad_avg, lr, alpha, eps, weight_decay, momentum,
             centered):
    if weight_decay != 0:
        g = g + weight_decay * w
    square_avg *= alpha
    square_avg += (1 - alpha) * (g * g)
    if centered:
        if grad_avg is None:
            grad_avg = np.zeros_like(w)
        grad_avg *= alpha
        grad_avg += (1 - alpha) * g
        avg = square_avg - grad_avg * grad_avg
        np.sqrt(avg, out=avg)
    else:
        avg = np.sqrt(square_avg)
    avg += eps
    scaled = np.divide(g, avg, out=avg)  # reuse the buffer: scaled = g / avg
    if momentum > 0:
        if momentum_buf is None:
            momentum_buf = np.zeros_like(w)
        momentum_buf *= momentum
        momentum_buf += scaled
        np.multiply(momentum_buf, lr, out=scaled)
    else:
        scaled *= lr
    w -= scaled
    return w, square_avg, momentum_buf, grad_avg


def _adam(w, g, m, v, v_max, step, lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay,
          amsgrad, bias_correction):
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
        if v_max is None:
            v_max = np.zeros_like(v)
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

    Raises:
        ValueError, TypeError: a hyperparameter out of range, or arrays of the wrong shape.
    """
    h = _gd_hyperparameters(lr)
    inplace = check_bool("inplace", inplace)
    w = _writable("w", w, inplace)
    g = _gradient(g, w)
    return _gd(w, g, *h)


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
    The course's EMA form is :func:`momentum_update`; see :func:`ema_to_classical_lr`.

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

    Raises:
        ValueError, TypeError: a hyperparameter out of range, or arrays of the wrong shape.
    """
    h = _sgd_hyperparameters(lr, momentum, dampening, weight_decay, nesterov)
    inplace = check_bool("inplace", inplace)
    w = _writable("w", w, inplace)
    g = _gradient(g, w)
    if h[1] != 0 and buf is not None:  # h[1]: momentum
        buf = _writable("buf", buf, inplace, like=w)
    return _sgd(w, g, buf, *h)


def momentum_update(w, g, v, *, lr, beta=0.9, inplace=False):
    """Gradient descent with momentum in the EMA form of lesson 04.

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

    Raises:
        ValueError, TypeError: a hyperparameter out of range, or arrays of the wrong shape.
    """
    h = _momentum_hyperparameters(lr, beta)
    inplace = check_bool("inplace", inplace)
    w = _writable("w", w, inplace)
    g = _gradient(g, w)
    if v is not None:
        v = _writable("v", v, inplace, like=w)
    return _momentum(w, g, v, *h)


def ema_to_classical_lr(lr, beta):
    """The PyTorch ``SGD(momentum=beta)`` learning rate that reproduces EMA momentum.

    Equations::

        lr_classical = lr * (1 - beta)

    EMA momentum (:func:`momentum_update`, learning rate ``lr``) and classical momentum
    (:func:`sgd_update` with ``momentum=beta``, ``dampening=0``, learning rate
    ``lr_classical``) then take the same steps, both starting from zero velocity.

    Args:
        lr: the EMA form's learning rate, >= 0.
        beta: the momentum coefficient in [0, 1), shared by both forms.

    Returns:
        float, the classical form's learning rate.

    Raises:
        ValueError, TypeError: ``lr`` or ``beta`` out of range.
    """
    lr, beta = _momentum_hyperparameters(lr, beta)
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

    Raises:
        ValueError, TypeError: a hyperparameter out of range, or arrays of the wrong shape.
    """
    step = check_int("step", step, low=1)
    h = _adagrad_hyperparameters(lr, lr_decay, weight_decay, eps)
    inplace = check_bool("inplace", inplace)
    w = _writable("w", w, inplace)
    g = _gradient(g, w)
    state_sum = _writable("state_sum", state_sum, inplace, like=w)
    return _adagrad(w, g, state_sum, step, *h)


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

    Convention: PyTorch's: ``alpha`` is the decay rate that lesson 05 calls beta; ``eps`` is
    added outside the square root; ``square_avg``, ``grad_avg`` and ``momentum_buf`` start at
    zero (pass ``None`` for the last two on the first step). A buffer the options do not use is
    returned as it was given, normally ``None``. "Centered" divides by an estimate of the
    standard deviation of the gradient instead of its root mean square.

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
        momentum_buf: the velocity (momentum > 0 only), shape of ``w``, or ``None``.
        grad_avg: the moving average of ``g`` (centered only), shape of ``w``, or ``None``.
        inplace: write into ``w`` and the buffers instead of returning new arrays.

    Returns:
        (w, square_avg, momentum_buf, grad_avg)

    Raises:
        ValueError, TypeError: a hyperparameter out of range, or arrays of the wrong shape.
    """
    h = _rmsprop_hyperparameters(lr, alpha, eps, weight_decay, momentum, centered)
    inplace = check_bool("inplace", inplace)
    w = _writable("w", w, inplace)
    g = _gradient(g, w)
    square_avg = _writable("square_avg", square_avg, inplace, like=w)
    momentum, centered = h[4], h[5]
    if momentum > 0 and momentum_buf is not None:
        momentum_buf = _writable("momentum_buf", momentum_buf, inplace, like=w)
    if centered and grad_avg is not None:
        grad_avg = _writable("grad_avg", grad_avg, inplace, like=w)
    return _rmsprop(w, g, square_avg, momentum_buf, grad_avg, *h)


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
        m: first moment estimate, shape of ``w``.
        v: second moment estimate, shape of ``w``.
        step: t, the number of this update, >= 1.
        lr: learning rate, >= 0.
        beta1: decay rate of the first moment, in [0, 1).
        beta2: decay rate of the second moment, in [0, 1).
        eps: > 0.
        weight_decay: lam >= 0.
        decoupled_weight_decay: AdamW's decay of ``w`` instead of the L2 gradient term.
        amsgrad: divide by the largest ``v`` seen so far.
        v_max: that largest ``v`` (amsgrad only), shape of ``w``, or ``None`` on the first step.
        bias_correction: divide the moments by ``1 - beta ** t`` (True in PyTorch).
        inplace: write into ``w``, ``m``, ``v`` (and ``v_max``) instead of returning new arrays.

    Returns:
        (w, m, v, v_max); without ``amsgrad``, ``v_max`` is returned as given (normally ``None``).

    Raises:
        ValueError, TypeError: a hyperparameter out of range, or arrays of the wrong shape.
    """
    step = check_int("step", step, low=1)
    h = _adam_hyperparameters(lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay,
                              amsgrad, bias_correction)
    inplace = check_bool("inplace", inplace)
    w = _writable("w", w, inplace)
    g = _gradient(g, w)
    m = _writable("m", m, inplace, like=w)
    v = _writable("v", v, inplace, like=w)
    if h[6] and v_max is not None:  # h[6]: amsgrad
        v_max = _writable("v_max", v_max, inplace, like=w)
    return _adam(w, g, m, v, v_max, step, *h)


# --------------------------------------------------------------------------- the rules as data


@dataclass(frozen=True, eq=False)
class UpdateRule:
    """One update rule described for a loop that checks once and then steps many times.

    :mod:`nnlesson.course.runner` uses these: :meth:`check` checks the hyperparameters (the
    keyword names of :attr:`update`) once, :meth:`initial_state` makes the buffers, and then
    each step is one call of the unchecked kernel::

        state = rule.initial_state(w)
        h = rule.check({"lr": 0.1, "beta": 0.9})
        for t in range(1, n + 1):
            w, *state = rule.step(w, g(w), state, t, h)     # in place, no checks

    Attributes:
        name: the key in :data:`RULES` (``"adam"``).
        update: the public, checked function (:func:`adam_update`); a student's version of it
            takes the same positional arguments.
        state: the names of all its state buffers, in order (``("m", "v", "v_max")``).
        positional: how many of them ``update`` takes as positional arguments after ``g``
            (the rest are keyword arguments, such as ``v_max``).
        takes_step: True if ``update`` takes the step number t (from 1) after the state.
        initial: per buffer, ``"zeros"`` (starts at zero) or None (created by the first step,
            as ``sgd_update``'s ``buf``, or unused with these hyperparameters).
        defaults: hyperparameters fixed by the rule (AdamW: ``decoupled_weight_decay=True``).
    """

    name: str
    update: object
    state: tuple
    positional: int
    takes_step: bool
    initial: tuple
    defaults: tuple = ()
    _kernel: object = None
    _check: object = None

    def hyperparameter_names(self):
        """The keyword arguments :attr:`update` accepts, besides state buffers and ``inplace``."""
        names = [p.name for p in inspect.signature(self.update).parameters.values()
                 if p.kind is p.KEYWORD_ONLY]
        return tuple(n for n in names if n not in self.state and n != "inplace")

    def check(self, hyperparameters):
        """Check the hyperparameters once; return them as floats and bools for :meth:`step`.

        Args:
            hyperparameters: dict of keyword arguments of :attr:`update`, ``lr`` included.

        Returns:
            dict of the checked values, defaults filled in.

        Raises:
            TypeError: a name :attr:`update` does not take, or ``lr`` missing.
            ValueError: a value out of range (the message names it).
        """
        if not isinstance(hyperparameters, dict):
            raise TypeError(f"hyperparameters must be a dict {{name: value}}, "
                            f"got {type(hyperparameters).__name__}")
        known = self.hyperparameter_names()
        given = dict(self.defaults)
        for name, value in hyperparameters.items():
            if name not in known or name in given:
                raise TypeError(f"hyperparameters of {self.name!r} must be among "
                                f"{', '.join(n for n in known if n not in dict(self.defaults))}; "
                                f"got {name!r}")
            given[name] = value
        spec = inspect.signature(self._check).parameters.values()
        missing = [p.name for p in spec if p.default is p.empty and p.name not in given]
        if missing:
            raise TypeError(f"hyperparameters of {self.name!r} must include "
                            f"{', '.join(missing)}; got {sorted(hyperparameters)}")
        return dict(zip((p.name for p in spec), self._check(**given)))

    def initial_state(self, w):
        """The buffers before the first step: zeros of ``w``'s shape, or None."""
        return [np.zeros_like(w) if kind == "zeros" else None for kind in self.initial]

    def step(self, w, g, state, t, hyperparameters):
        """One update, in place and unchecked: ``(w, *state)``.

        Only for arguments checked before: ``hyperparameters`` from :meth:`check`, float
        arrays ``w`` and ``g`` of one shape, ``state`` from :meth:`initial_state` or the
        previous step, ``t`` an int >= 1.
        """
        if self.takes_step:
            return self._kernel(w, g, *state, t, **hyperparameters)
        if not self.state:  # gd: the kernel returns w alone
            return (self._kernel(w, g, **hyperparameters),)
        return self._kernel(w, g, *state, **hyperparameters)


#: The update rules by name, for loops that check once and then step many times.
RULES = {
    "gd": UpdateRule("gd", gd_update, (), 0, False, (), _kernel=_gd, _check=_gd_hyperparameters),
    "sgd": UpdateRule("sgd", sgd_update, ("buf",), 1, False, (None,), _kernel=_sgd,
                      _check=_sgd_hyperparameters),
    "momentum": UpdateRule("momentum", momentum_update, ("v",), 1, False, ("zeros",),
                           _kernel=_momentum, _check=_momentum_hyperparameters),
    "adagrad": UpdateRule("adagrad", adagrad_update, ("state_sum",), 1, True, ("zeros",),
                          _kernel=_adagrad, _check=_adagrad_hyperparameters),
    "rmsprop": UpdateRule("rmsprop", rmsprop_update, ("square_avg", "momentum_buf", "grad_avg"),
                          1, False, ("zeros", None, None), _kernel=_rmsprop,
                          _check=_rmsprop_hyperparameters),
    "adam": UpdateRule("adam", adam_update, ("m", "v", "v_max"), 2, True,
                       ("zeros", "zeros", None), _kernel=_adam, _check=_adam_hyperparameters),
    "adamw": UpdateRule("adamw", adam_update, ("m", "v", "v_max"), 2, True,
                        ("zeros", "zeros", None), defaults=(("decoupled_weight_decay", True),),
                        _kernel=_adam, _check=_adam_hyperparameters),
}


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


class _Checked:
    """A hyperparameter attribute whose value is checked whenever it is set.

    ``lr = _Checked(_check_lr)`` in a class body makes ``opt.lr = -1`` raise at once (the
    message names ``lr``); the checked value is kept in ``opt._lr``, which ``step()`` reads
    without checking again.
    """

    def __init__(self, check):
        self.check = check

    def __set_name__(self, owner, name):
        self.name, self.private = name, "_" + name

    def __get__(self, obj, objtype=None):
        return self if obj is None else getattr(obj, self.private)

    def __set__(self, obj, value):
        setattr(obj, self.private, self.check(self.name, value))


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

    The other hyperparameters are attributes named as the constructor's arguments, checked
    when they are set (at construction or later), so a bad value is reported where it comes
    from and ``step()`` calls the rule's kernel without checking again. Subclasses implement
    ``_update(param, state)``.
    """

    lr = _Checked(_check_lr)

    def __init__(self, params, lr):
        self.params = _check_params(params)
        self.lr = lr
        self.state = [{} for _ in self.params]
        self.step_count = 0

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
        """The state dict of ``param`` (empty before the first step).

        Raises:
            ValueError: ``param`` is not one of this optimizer's parameters.
        """
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
    count for SGD; ours is for inspection only). ``momentum``, ``dampening`` and ``nesterov``
    are checked together whenever one of them is set (Nesterov needs momentum > 0 and no
    dampening).
    """

    weight_decay = _Checked(_check_nonneg)

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False):
        super().__init__(params, lr)
        self._nesterov = False
        self.momentum = momentum
        self.dampening = dampening
        self.weight_decay = weight_decay
        self.nesterov = nesterov

    @property
    def momentum(self):
        """mu in [0, 1); > 0 while ``nesterov`` is True."""
        return self._momentum

    @momentum.setter
    def momentum(self, value):
        value = _check_decay_rate("momentum", value)
        _check_nesterov(self._nesterov, value, getattr(self, "_dampening", 0.0))
        self._momentum = value

    @property
    def dampening(self):
        """tau in [0, 1]; 0 while ``nesterov`` is True."""
        return self._dampening

    @dampening.setter
    def dampening(self, value):
        value = _check_dampening("dampening", value)
        _check_nesterov(self._nesterov, self._momentum, value)
        self._dampening = value

    @property
    def nesterov(self):
        """Look ahead along the velocity (needs momentum > 0 and dampening == 0)."""
        return self._nesterov

    @nesterov.setter
    def nesterov(self, value):
        self._nesterov = _check_nesterov(value, self._momentum, self._dampening)

    def _update(self, param, state):
        state["step"] = state.get("step", 0) + 1
        _, buf = _sgd(param.value, param.grad, state.get("momentum_buffer"), self._lr,
                      self._momentum, self._dampening, self._weight_decay, self._nesterov)
        if buf is not None:
            state["momentum_buffer"] = buf


class Momentum(Optimizer):
    """Gradient descent with the EMA momentum of lesson 04.

    Rule: :func:`momentum_update` (``v = beta * v + (1 - beta) * g``; ``w -= lr * v``).
    Same steps as ``SGD(momentum=beta, lr=ema_to_classical_lr(lr, beta))``.
    State: ``'step'`` and ``'velocity'`` (v, zero before the first step).
    ``momentum`` is another name for ``beta``.
    """

    beta = _Checked(_check_decay_rate)

    def __init__(self, params, lr, beta=0.9):
        super().__init__(params, lr)
        self.beta = beta

    @property
    def momentum(self):
        """The momentum coefficient, ``beta`` (the name every optimizer with momentum shares)."""
        return self._beta

    @momentum.setter
    def momentum(self, value):
        self._beta = _check_decay_rate("momentum", value)

    def _update(self, param, state):
        if not state:
            state.update(step=0, velocity=np.zeros_like(param.value))
        state["step"] += 1
        _momentum(param.value, param.grad, state["velocity"], self._lr, self._beta)


class Adagrad(Optimizer):
    """AdaGrad, as ``torch.optim.Adagrad``.

    Rule: :func:`adagrad_update`. State: ``'step'`` and ``'sum'`` (the running sum of squared
    gradients, starting at ``initial_accumulator_value``). AdaGrad has no momentum.
    """

    lr_decay = _Checked(_check_nonneg)
    weight_decay = _Checked(_check_nonneg)
    initial_accumulator_value = _Checked(_check_nonneg)
    eps = _Checked(_check_eps)

    def __init__(self, params, lr=0.01, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10):
        super().__init__(params, lr)
        self.lr_decay = lr_decay
        self.weight_decay = weight_decay
        self.initial_accumulator_value = initial_accumulator_value
        self.eps = eps

    def _update(self, param, state):
        if not state:
            state.update(step=0, sum=np.full_like(param.value, self._initial_accumulator_value))
        state["step"] += 1
        _adagrad(param.value, param.grad, state["sum"], state["step"], self._lr, self._lr_decay,
                 self._weight_decay, self._eps)


class RMSprop(Optimizer):
    """RMSProp, as ``torch.optim.RMSprop`` (``alpha`` is the decay rate).

    Rule: :func:`rmsprop_update`. State: ``'step'``, ``'square_avg'``, and
    ``'momentum_buffer'`` when ``momentum > 0``, ``'grad_avg'`` when ``centered``.
    """

    alpha = _Checked(_check_decay_rate)
    eps = _Checked(_check_eps)
    weight_decay = _Checked(_check_nonneg)
    momentum = _Checked(_check_decay_rate)
    centered = _Checked(lambda name, value: check_bool(name, value))

    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False):
        super().__init__(params, lr)
        self.alpha = alpha
        self.eps = eps
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.centered = centered

    def _update(self, param, state):
        if not state:
            state.update(step=0, square_avg=np.zeros_like(param.value))
        state["step"] += 1
        _, _, buf, grad_avg = _rmsprop(
            param.value, param.grad, state["square_avg"], state.get("momentum_buffer"),
            state.get("grad_avg"), self._lr, self._alpha, self._eps, self._weight_decay,
            self._momentum, self._centered)
        if buf is not None:
            state["momentum_buffer"] = buf
        if grad_avg is not None:
            state["grad_avg"] = grad_avg


def _check_betas(name, betas):
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"{name} must be a pair (beta1, beta2), got {betas!r}")
    return (_check_decay_rate(f"{name}[0]", betas[0]), _check_decay_rate(f"{name}[1]", betas[1]))


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (weight decay is an L2 term added to the gradient).

    Rule: :func:`adam_update`. State: ``'step'``, ``'exp_avg'`` (m), ``'exp_avg_sq'`` (v) and,
    with ``amsgrad``, ``'max_exp_avg_sq'`` (v_max). ``bias_correction=False`` is a teaching
    switch that PyTorch does not have. ``momentum`` is another name for ``betas[0]``.
    """

    decoupled_weight_decay = False
    betas = _Checked(_check_betas)
    eps = _Checked(_check_eps)
    weight_decay = _Checked(_check_nonneg)
    amsgrad = _Checked(lambda name, value: check_bool(name, value))
    bias_correction = _Checked(lambda name, value: check_bool(name, value))

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, bias_correction=True):
        super().__init__(params, lr)
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.amsgrad = amsgrad
        self.bias_correction = bias_correction

    @property
    def momentum(self):
        """``betas[0]``, the decay rate of the first moment (what one-cycle schedules cycle)."""
        return self._betas[0]

    @momentum.setter
    def momentum(self, value):
        self._betas = (_check_decay_rate("momentum", value), self._betas[1])

    def _update(self, param, state):
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(param.value),
                         exp_avg_sq=np.zeros_like(param.value))
        state["step"] += 1
        beta1, beta2 = self._betas
        v_max = _adam(param.value, param.grad, state["exp_avg"], state["exp_avg_sq"],
                      state.get("max_exp_avg_sq"), state["step"], self._lr, beta1, beta2,
                      self._eps, self._weight_decay, self.decoupled_weight_decay,
                      self._amsgrad, self._bias_correction)[3]
        if v_max is not None:
            state["max_exp_avg_sq"] = v_max


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
