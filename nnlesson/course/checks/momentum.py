"""Checks for lesson 04, momentum: the EMA form, PyTorch's classical form, Nesterov.

Every exercise is one update step ``(w, g, state, lr, ...) -> (w, state)`` that returns new
arrays. The references are the library's rules (:func:`nnlesson.optim.momentum_update` and
:func:`nnlesson.optim.sgd_update`, checked against ``torch.optim.SGD`` in the test suite).
"""
from __future__ import annotations

import numpy as np

from nnlesson.course.checks._core import Case, Mistake, run_check
from nnlesson.optim import momentum_update, sgd_update

__all__ = ["check_momentum_update", "check_sgd_momentum_update", "check_nesterov_update"]


def _arrays(seed, shape):
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape), rng.normal(size=shape), rng.normal(size=shape)


# --------------------------------------------------------------------------- EMA momentum


def _ema(w, g, v, lr, beta):
    return momentum_update(w, g, v, lr=lr, beta=beta)


def _ema_cases():
    w1, g1, _ = _arrays(40, 3)
    w2, g2, v2 = _arrays(41, 3)
    w3, g3, v3 = _arrays(42, (2, 3))
    w4, g4, v4 = _arrays(43, 4)
    w5, g5, v5 = _arrays(44, 1)
    return [
        Case("first step: v is zero", (w1, g1, np.zeros(3)), {"lr": 0.1, "beta": 0.9}),
        Case("a later step: v carries earlier gradients", (w2, g2, v2),
             {"lr": 0.1, "beta": 0.9}),
        Case("a matrix of weights, beta = 0.5", (w3, g3, v3), {"lr": 0.05, "beta": 0.5}),
        Case("lr = 1, beta = 0.8", (w4, g4, v4), {"lr": 1.0, "beta": 0.8}),
        Case("beta = 0: plain gradient descent", (w5, g5, v5), {"lr": 0.3, "beta": 0.0}),
    ]


def check_momentum_update(student_fn):
    """Check ``momentum_update(w, g, v, lr, beta) -> (w, v)`` in the seeds' EMA form.

    ``v = beta * v + (1 - beta) * g``, then ``w = w - lr * v``; new arrays, inputs unchanged.
    """
    mistakes = [
        Mistake(
            "(1 - beta) missing",
            "Your velocity is v = beta * v + g: the factor (1 - beta) on the gradient is "
            "missing. That is PyTorch's form, whose velocity is 1 / (1 - beta) = 10 times "
            "larger at beta = 0.9. The seeds' EMA form averages: v = beta * v + (1 - beta) * g.",
            lambda w, g, v, lr, beta: (w - lr * (beta * v + g), beta * v + g)),
        Mistake(
            "velocity not carried over",
            "Your velocity forgets the previous one: v = (1 - beta) * g ignores the v that was "
            "passed in, so every step starts from rest. Keep the memory: "
            "v = beta * v + (1 - beta) * g with the v given to the function.",
            lambda w, g, v, lr, beta: (w - lr * (1 - beta) * g, (1 - beta) * g)),
        Mistake(
            "velocity is the gradient",
            "Your velocity is just the current gradient (v = g), so this is plain gradient "
            "descent without any momentum. Average it with the previous velocity: "
            "v = beta * v + (1 - beta) * g.",
            lambda w, g, v, lr, beta: (w - lr * g, np.array(g, dtype=float))),
        Mistake(
            "beta and 1 - beta swapped",
            "Your velocity is v = (1 - beta) * v + beta * g: the two weights are swapped. beta "
            "(0.9) is the share of the OLD velocity that is kept; the new gradient gets the "
            "small weight 1 - beta.",
            lambda w, g, v, lr, beta: (w - lr * ((1 - beta) * v + beta * g),
                                       (1 - beta) * v + beta * g)),
        Mistake(
            "step with the old velocity",
            "Your weights move with the velocity from BEFORE this step's update. First update "
            "the velocity with the new gradient, then step with it: v = beta * v + (1 - beta) "
            "* g; w = w - lr * v.",
            lambda w, g, v, lr, beta: (w - lr * v, beta * v + (1 - beta) * g)),
        Mistake(
            "sign error",
            "Your weights move uphill: w + lr * v. The velocity follows the gradient, which "
            "points uphill, so the step subtracts it: w = w - lr * v.",
            lambda w, g, v, lr, beta: (w + lr * (beta * v + (1 - beta) * g),
                                       beta * v + (1 - beta) * g)),
        Mistake(
            "learning rate folded into the velocity",
            "You wrote the cs231n form, v = beta * v - lr * g; w = w + v, where the velocity "
            "holds steps, not gradients. This exercise asks for the seeds' EMA form: the "
            "velocity averages gradients (v = beta * v + (1 - beta) * g) and lr multiplies it "
            "when the weights move (w = w - lr * v).",
            lambda w, g, v, lr, beta: (w + (beta * v - lr * g), beta * v - lr * g)),
    ]
    return run_check("check_momentum_update", student_fn, _ema_cases(), _ema, mistakes,
                     output_names=("w", "v"))


# --------------------------------------------------------------------------- PyTorch's form


def _classical(w, g, buf, lr, momentum, dampening=0.0):
    return sgd_update(w, g, buf, lr=lr, momentum=momentum, dampening=dampening)


def _classical_cases():
    w1, g1, _ = _arrays(50, 3)
    w2, g2, b2 = _arrays(51, 3)
    w3, g3, _ = _arrays(52, 4)
    w4, g4, b4 = _arrays(53, 4)
    w5, g5, b5 = _arrays(54, (2, 3))
    w6, g6, b6 = _arrays(55, 1)
    return [
        Case("first step: buf is None", (w1, g1, None), {"lr": 0.1, "momentum": 0.9}),
        Case("a later step", (w2, g2, b2), {"lr": 0.1, "momentum": 0.9}),
        Case("first step with dampening = 0.5", (w3, g3, None),
             {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}),
        Case("a later step with dampening = 0.3", (w4, g4, b4),
             {"lr": 0.2, "momentum": 0.8, "dampening": 0.3}),
        Case("a matrix of weights, momentum = 0.5", (w5, g5, b5),
             {"lr": 0.05, "momentum": 0.5}),
        Case("lr = 1, momentum = 0.7", (w6, g6, b6), {"lr": 1.0, "momentum": 0.7}),
    ]


def _torch_buf(g, buf, momentum, dampening):
    return np.array(g, dtype=float) if buf is None else momentum * buf + (1 - dampening) * g


def _ema_instead(w, g, buf, lr, momentum, dampening=0.0):
    b = (1 - momentum) * g if buf is None else momentum * buf + (1 - momentum) * g
    return w - lr * b, b


def _dampened_first_step(w, g, buf, lr, momentum, dampening=0.0):
    b = (1 - dampening) * g if buf is None else momentum * buf + (1 - dampening) * g
    return w - lr * b, b


def _dampening_ignored(w, g, buf, lr, momentum, dampening=0.0):
    b = np.array(g, dtype=float) if buf is None else momentum * buf + g
    return w - lr * b, b


def _dampening_inverted(w, g, buf, lr, momentum, dampening=0.0):
    b = np.array(g, dtype=float) if buf is None else momentum * buf + dampening * g
    return w - lr * b, b


def _buffer_not_carried(w, g, buf, lr, momentum, dampening=0.0):
    return w - lr * g, np.array(g, dtype=float)


def _classical_sign(w, g, buf, lr, momentum, dampening=0.0):
    b = _torch_buf(g, buf, momentum, dampening)
    return w + lr * b, b


def _cs231n(w, g, buf, lr, momentum, dampening=0.0):
    b = -lr * g if buf is None else momentum * buf - lr * g
    return w + b, b


def _classical_old_buffer(w, g, buf, lr, momentum, dampening=0.0):
    b = _torch_buf(g, buf, momentum, dampening)
    return w - lr * (g if buf is None else buf), b


def check_sgd_momentum_update(student_fn):
    """Check ``sgd_momentum_update(w, g, buf, lr, momentum, dampening=0.0) -> (w, buf)``.

    PyTorch's ``torch.optim.SGD``: ``buf = g`` on the first step (``buf`` is None), later
    ``buf = momentum * buf + (1 - dampening) * g``; then ``w = w - lr * buf``.
    """
    mistakes = [
        Mistake(
            "EMA form instead of PyTorch's",
            "You wrote the seeds' EMA velocity, buf = momentum * buf + (1 - momentum) * g. "
            "PyTorch adds the whole gradient, buf = momentum * buf + g (times "
            "(1 - dampening) when dampening is set), so its velocity is 1 / (1 - momentum) "
            "times larger; that is why its learning rates are smaller.",
            _ema_instead),
        Mistake(
            "dampening on the first step",
            "Your first velocity is (1 - dampening) * g (or you started from zeros, which gives "
            "the same). PyTorch starts the velocity as the first gradient itself, buf = g, "
            "with no dampening; dampening applies from the second step on.",
            _dampened_first_step),
        Mistake(
            "dampening ignored",
            "Your result ignores `dampening`: later steps must add (1 - dampening) * g to "
            "momentum * buf, not the whole gradient.",
            _dampening_ignored),
        Mistake(
            "dampening used instead of 1 - dampening",
            "Your velocity adds dampening * g. Dampening is the share of the gradient LEFT OUT: "
            "buf = momentum * buf + (1 - dampening) * g.",
            _dampening_inverted),
        Mistake(
            "velocity not carried over",
            "Your velocity is reset to the current gradient at every step (buf = g), which is "
            "plain gradient descent. On every step after the first, keep the memory: "
            "buf = momentum * buf + (1 - dampening) * g with the buf passed in.",
            _buffer_not_carried),
        Mistake(
            "sign error",
            "Your weights move uphill: w + lr * buf. The velocity points uphill like the "
            "gradient, so subtract it: w = w - lr * buf.",
            _classical_sign),
        Mistake(
            "learning rate folded into the velocity",
            "You wrote the cs231n form, v = momentum * v - lr * g; w = w + v, whose velocity "
            "already contains the learning rate. PyTorch keeps lr out of the velocity: "
            "buf = momentum * buf + g, then w = w - lr * buf.",
            _cs231n),
        Mistake(
            "step with the old velocity",
            "Your weights move with the velocity from BEFORE this step. Update buf with the new "
            "gradient first, then step with the new buf: w = w - lr * buf.",
            _classical_old_buffer),
    ]
    return run_check("check_sgd_momentum_update", student_fn, _classical_cases(), _classical,
                     mistakes, output_names=("w", "buf"))


# --------------------------------------------------------------------------- Nesterov


def _nesterov(w, g, buf, lr, momentum):
    return sgd_update(w, g, buf, lr=lr, momentum=momentum, nesterov=True)


def _nesterov_cases():
    w1, g1, _ = _arrays(60, 3)
    w2, g2, b2 = _arrays(61, 3)
    w3, g3, b3 = _arrays(62, (2, 3))
    w4, g4, b4 = _arrays(63, 4)
    w5, g5, _ = _arrays(64, 1)
    return [
        Case("first step: buf is None", (w1, g1, None), {"lr": 0.1, "momentum": 0.9}),
        Case("a later step", (w2, g2, b2), {"lr": 0.1, "momentum": 0.9}),
        Case("a matrix of weights, momentum = 0.5", (w3, g3, b3),
             {"lr": 0.05, "momentum": 0.5}),
        Case("lr = 1, momentum = 0.8", (w4, g4, b4), {"lr": 1.0, "momentum": 0.8}),
        Case("first step, momentum = 0.3", (w5, g5, None), {"lr": 0.5, "momentum": 0.3}),
    ]


def _buf(g, buf, momentum):
    return np.array(g, dtype=float) if buf is None else momentum * buf + g


def _no_lookahead(w, g, buf, lr, momentum):
    b = _buf(g, buf, momentum)
    return w - lr * b, b


def _lookahead_old_buffer(w, g, buf, lr, momentum):
    # right on the first step (buf = g), then g + momentum * (the buf passed in)
    b = _buf(g, buf, momentum)
    old = b if buf is None else buf
    return w - lr * (g + momentum * old), b


def _lookahead_without_gradient(w, g, buf, lr, momentum):
    b = _buf(g, buf, momentum)
    return w - lr * momentum * b, b


def _nesterov_sign(w, g, buf, lr, momentum):
    b = _buf(g, buf, momentum)
    return w + lr * (g + momentum * b), b


def _nesterov_ema(w, g, buf, lr, momentum):
    b = (1 - momentum) * g if buf is None else momentum * buf + (1 - momentum) * g
    return w - lr * (g + momentum * b), b


def _lookahead_velocity_twice(w, g, buf, lr, momentum):
    b = _buf(g, buf, momentum)
    return w - lr * (b + momentum * b), b


def check_nesterov_update(student_fn):
    """Check ``nesterov_update(w, g, buf, lr, momentum) -> (w, buf)`` (PyTorch's Nesterov).

    ``buf = g`` on the first step (``buf`` is None), later ``buf = momentum * buf + g``;
    then ``w = w - lr * (g + momentum * buf)`` with the NEW ``buf``.
    """
    mistakes = [
        Mistake(
            "no look-ahead",
            "Your step is w - lr * buf: that is classical momentum, not Nesterov (it is also "
            "what g + momentum * buf gives when buf is the OLD velocity). Nesterov first "
            "updates buf = momentum * buf + g, then steps along the gradient plus a look-ahead "
            "along that new velocity: w = w - lr * (g + momentum * buf).",
            _no_lookahead),
        Mistake(
            "look-ahead with the old velocity",
            "Your first step is right, but later your look-ahead uses the velocity from "
            "BEFORE this step. Update it first (buf = momentum * buf + g), then step with "
            "w = w - lr * (g + momentum * buf) using that new buf.",
            _lookahead_old_buffer),
        Mistake(
            "gradient left out of the step",
            "Your step is w - lr * momentum * buf: the current gradient g is missing. Nesterov's "
            "step is w = w - lr * (g + momentum * buf).",
            _lookahead_without_gradient),
        Mistake(
            "velocity instead of the gradient in the step",
            "Your step is w - lr * (buf + momentum * buf): the first term must be the current "
            "gradient g, not the velocity. Use w = w - lr * (g + momentum * buf).",
            _lookahead_velocity_twice),
        Mistake(
            "EMA velocity",
            "Your velocity is buf = momentum * buf + (1 - momentum) * g (the EMA form). "
            "PyTorch's Nesterov adds the whole gradient: buf = momentum * buf + g, starting "
            "from buf = g.",
            _nesterov_ema),
        Mistake(
            "sign error",
            "Your weights move uphill: w + lr * (...). Subtract the step: "
            "w = w - lr * (g + momentum * buf).",
            _nesterov_sign),
    ]
    return run_check("check_nesterov_update", student_fn, _nesterov_cases(), _nesterov,
                     mistakes, output_names=("w", "buf"))
