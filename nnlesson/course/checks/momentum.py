"""Checks for lesson 04, momentum, declared as data: the EMA form, PyTorch's classical form,
Nesterov, and the heavy-ball settings of a valley the student measures.

* Every update exercise is one step ``(w, g, state, lr, ...) -> (w, state)`` that returns new
  arrays. The references are the library's rules (:func:`nnlesson.optim.momentum_update` and
  :func:`nnlesson.optim.sgd_update`, checked against ``torch.optim.SGD`` in the test suite).
  The cases vary every argument (``lr``, ``beta``/``momentum``, ``dampening``), the state (the
  first step with a zero velocity or ``buf = None``, a later step) and the shape.
* ``heavy_ball_settings(grad, w0) -> (lr, beta)``: the student measures the curvatures of a
  quadratic valley from its gradient alone (the valley may be tilted, and have more than two
  weights), then applies Polyak's heavy-ball analysis (Polyak 1964) for PyTorch's form:
  ``beta = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2``, ``lr = 4 / (sqrt(L) + sqrt(m))^2``
  with ``L`` and ``m`` the largest and smallest eigenvalues of the Hessian. The reference
  measures the Hessian by central differences (exact for a quadratic);
  tests/test_checks_momentum.py verifies its settings against the spectral radius of the
  heavy-ball iteration. :func:`mystery_valley` is the tilted valley the exercise confirms
  the settings on, by a run.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from nnlesson.course.checks._core import Case, Check, Mistake
from nnlesson.course.surfaces import Surface
from nnlesson.optim import momentum_update, sgd_update

__all__ = ["EMA", "CLASSICAL", "NESTEROV", "HEAVY_BALL", "CHECKS", "Valley", "mystery_valley",
           "check_momentum_update", "check_sgd_momentum_update", "check_nesterov_update",
           "check_heavy_ball_settings"]

# The library's momentum in any form: the rules, their private kernels, the classes, the runner.
FORBIDDEN = ("nnlesson.optim.momentum_update", "nnlesson.optim.sgd_update",
             "nnlesson.optim._momentum", "nnlesson.optim._sgd", "nnlesson.optim.Momentum.*",
             "nnlesson.optim.SGD.*", "nnlesson.optim.UpdateRule.*", "nnlesson.course.runner.*")

# The titles of the hint levels in the exercise notebook ("Hint 2 · the formula").
HINTS = ("the idea", "the formula", "a partial line")


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
    w6, g6, v6 = _arrays(45, 5)
    return [
        Case("first step: v is zero", (w1, g1, np.zeros(3), 0.1, 0.9)),
        Case("a later step: v carries earlier gradients", (w2, g2, v2, 0.1, 0.9)),
        Case("a matrix of weights, beta = 0.5", (w3, g3, v3, 0.05, 0.5)),
        Case("lr = 1, beta = 0.8", (w4, g4, v4, 1.0, 0.8)),
        Case("beta = 0: plain gradient descent", (w5, g5, v5, 0.3, 0.0)),
        Case("beta = 0.99, lr = 0.02", (w6, g6, v6, 0.02, 0.99)),
    ]


EMA = Check(
    name="check_momentum_update",
    function="momentum_update",
    reference=_ema,
    cases=_ema_cases,
    mistakes=(
        Mistake(
            "(1 - beta) missing",
            "Your velocity is v = beta * v + g: the factor (1 - beta) on the gradient is "
            "missing. That is PyTorch's form, whose velocity is 1 / (1 - beta) = 10 times "
            "larger at beta = 0.9. The EMA form averages: the new gradient gets the weight "
            "1 - beta.",
            lambda w, g, v, lr, beta: (w - lr * (beta * v + g), beta * v + g), hint=2),
        Mistake(
            "velocity not carried over",
            "Your velocity forgets the previous one: v = (1 - beta) * g ignores the v that was "
            "passed in, so every step starts from rest. Keep the memory: the new velocity is "
            "beta times the v given to the function plus (1 - beta) times the gradient.",
            lambda w, g, v, lr, beta: (w - lr * (1 - beta) * g, (1 - beta) * g), hint=1),
        Mistake(
            "velocity is the gradient",
            "Your velocity is just the current gradient (v = g), so this is plain gradient "
            "descent without any momentum. Average it with the previous velocity.",
            lambda w, g, v, lr, beta: (w - lr * g, np.array(g, dtype=float)), hint=1),
        Mistake(
            "beta and 1 - beta swapped",
            "Your velocity is v = (1 - beta) * v + beta * g: the two weights are swapped. beta "
            "(0.9) is the share of the OLD velocity that is kept; the new gradient gets the "
            "small weight 1 - beta.",
            lambda w, g, v, lr, beta: (w - lr * ((1 - beta) * v + beta * g),
                                       (1 - beta) * v + beta * g), hint=2),
        Mistake(
            "step with the old velocity",
            "Your weights move with the velocity from BEFORE this step's update. First update "
            "the velocity with the new gradient, then step with the new velocity.",
            lambda w, g, v, lr, beta: (w - lr * v, beta * v + (1 - beta) * g), hint=1),
        Mistake(
            "sign error",
            "Your weights move uphill: w + lr * v. The velocity follows the gradient, which "
            "points uphill, so the step subtracts it: w - lr * v.",
            lambda w, g, v, lr, beta: (w + lr * (beta * v + (1 - beta) * g),
                                       beta * v + (1 - beta) * g), hint=2),
        Mistake(
            "learning rate folded into the velocity",
            "You wrote the cs231n form, v = beta * v - lr * g; w = w + v, where the velocity "
            "holds steps, not gradients. This exercise asks for the EMA form: the velocity "
            "averages gradients and lr multiplies it when the weights move.",
            lambda w, g, v, lr, beta: (w + (beta * v - lr * g), beta * v - lr * g), hint=2),
        Mistake(
            "learning rate folded into the velocity",
            "Your velocity holds steps, not gradients: v = beta * v + lr * g, then w = w - v "
            "(a form some tutorials use). This exercise asks for the EMA form: the velocity "
            "averages gradients, v = beta * v + (1 - beta) * g, and lr multiplies it when the "
            "weights move.",
            lambda w, g, v, lr, beta: (w - (beta * v + lr * g), beta * v + lr * g), hint=2),
        Mistake(
            "step with the gradient instead of the velocity",
            "Your velocity is right, but the weights move by lr * g, plain gradient descent: "
            "the velocity you just computed is never used. Step against the new velocity.",
            lambda w, g, v, lr, beta: (w - lr * g, beta * v + (1 - beta) * g), hint=1),
        Mistake(
            "beta hard-coded to 0.9",
            "Your function uses beta = 0.9 whatever beta it is given (the cases with beta = "
            "0.5, 0.8, 0 and 0.99 fail). Use the argument.",
            lambda w, g, v, lr, beta: (w - lr * (0.9 * v + 0.1 * g), 0.9 * v + 0.1 * g),
            hint=None),
        Mistake(
            "(1 - beta) applied twice",
            "Your velocity is right, but the step multiplies it by (1 - beta) once more: "
            "w - lr * (1 - beta) * v. The EMA velocity already carries the factor; the step is "
            "lr times the velocity.",
            lambda w, g, v, lr, beta: (w - lr * (1 - beta) * (beta * v + (1 - beta) * g),
                                       beta * v + (1 - beta) * g), hint=2),
        Mistake(
            "PyTorch's velocity with the EMA step",
            "Your weights are right, but the velocity you return is PyTorch's, beta * v + g, "
            "and you multiply the step by (1 - beta) to make up for it. The next call gets that "
            "velocity as v and mixes the two forms: keep the EMA velocity itself, "
            "beta * v + (1 - beta) * g.",
            lambda w, g, v, lr, beta: (w - lr * (1 - beta) * (beta * v + g), beta * v + g),
            hint=2),
        Mistake(
            "learning rate inside the average",
            "Your velocity averages lr * g, v = beta * v + (1 - beta) * lr * g, and the weights "
            "move by v alone. From zero velocity the weights are right, but the velocity "
            "holds steps, not gradients, so it has the wrong size and every later step mixes "
            "two units. Average the gradients themselves; lr multiplies the velocity when the "
            "weights move.",
            lambda w, g, v, lr, beta: (w - (beta * v + (1 - beta) * lr * g),
                                       beta * v + (1 - beta) * lr * g), hint=2),
        Mistake(
            "velocity with the opposite sign",
            "Your velocity points downhill: v = beta * v - (1 - beta) * g, then w + lr * v. "
            "From zero velocity that step is right, but the v you return has the opposite "
            "sign of the one you receive, so every later step mixes the two conventions. In "
            "this exercise v averages the gradients (v = beta * v + (1 - beta) * g) and the "
            "step subtracts it.",
            lambda w, g, v, lr, beta: (w - lr * (-beta * v + (1 - beta) * g),
                                       beta * v - (1 - beta) * g), hint=2),
        Mistake(
            "gradient step added to the velocity step",
            "Your velocity is right, but the weights move twice: w - lr * g - lr * v, a plain "
            "gradient step plus the momentum step. The velocity already contains the new "
            "gradient (its share 1 - beta); the weights move by lr times the velocity alone.",
            lambda w, g, v, lr, beta: (w - lr * g - lr * (beta * v + (1 - beta) * g),
                                       beta * v + (1 - beta) * g), hint=2),
        Mistake(
            "(1 - beta) missing and the step with the old velocity",
            "Two things differ. Your velocity is v = beta * v + g, PyTorch's form: the EMA "
            "gives the new gradient the weight 1 - beta. And your weights move with the "
            "velocity from BEFORE this step: update the velocity first, then step with the new "
            "one.",
            lambda w, g, v, lr, beta: (w - lr * v, beta * v + g), hint=2),
        Mistake(
            "(1 - beta) missing and a sign error",
            "Two things differ. Your velocity is v = beta * v + g, PyTorch's form: the EMA "
            "gives the new gradient the weight 1 - beta. And your weights move uphill, "
            "w + lr * v: the step subtracts the velocity.",
            lambda w, g, v, lr, beta: (w + lr * (beta * v + g), beta * v + g), hint=2),
        Mistake(
            "old velocity returned",
            "Your weights are right, but you return the velocity you were given, not the new "
            "one: the next step then starts from a velocity that never remembers this "
            "gradient. Return the updated velocity with the new weights.",
            lambda w, g, v, lr, beta: (w - lr * (beta * v + (1 - beta) * g),
                                       np.array(v, dtype=float)), hint=1),
    ),
    output_names=("w", "v"),
    forbidden=FORBIDDEN,
    hints=HINTS,
    doc="``momentum_update(w, g, v, lr, beta) -> (w, v)``: ``v = beta v + (1 - beta) g``, "
        "then ``w = w - lr v``; new arrays, inputs unchanged",
)


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
        Case("first step: buf is None", (w1, g1, None, 0.1, 0.9)),
        Case("a later step", (w2, g2, b2, 0.1, 0.9)),
        Case("first step with dampening = 0.5", (w3, g3, None, 0.1, 0.9), {"dampening": 0.5}),
        Case("a later step with dampening = 0.3", (w4, g4, b4, 0.2, 0.8), {"dampening": 0.3}),
        Case("a matrix of weights, momentum = 0.5", (w5, g5, b5, 0.05, 0.5)),
        Case("lr = 1, momentum = 0.7", (w6, g6, b6, 1.0, 0.7)),
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


def _lr_in_velocity(w, g, buf, lr, momentum, dampening=0.0):
    b = lr * g if buf is None else momentum * buf + lr * g
    return w - b, b


def _dampening_on_velocity(w, g, buf, lr, momentum, dampening=0.0):
    b = np.array(g, dtype=float) if buf is None else (momentum * buf + g) * (1 - dampening)
    return w - lr * b, b


def _ema_from_second_step(w, g, buf, lr, momentum, dampening=0.0):
    b = np.array(g, dtype=float) if buf is None else momentum * buf + (1 - momentum) * g
    return w - lr * b, b


def _classical_gradient_step(w, g, buf, lr, momentum, dampening=0.0):
    b = _torch_buf(g, buf, momentum, dampening)
    return w - lr * g, b


def _classical_gradient_added(w, g, buf, lr, momentum, dampening=0.0):
    b = _torch_buf(g, buf, momentum, dampening)
    return w - lr * (g + b), b


def _momentum_dampening_swapped(w, g, buf, lr, momentum, dampening=0.0):
    b = np.array(g, dtype=float) if buf is None else (1 - dampening) * buf + momentum * g
    return w - lr * b, b


def _dampened_first_and_inverted(w, g, buf, lr, momentum, dampening=0.0):
    b = dampening * g if buf is None else momentum * buf + dampening * g
    return w - lr * b, b


def _old_buffer_returned(w, g, buf, lr, momentum, dampening=0.0):
    b = _torch_buf(g, buf, momentum, dampening)
    return w - lr * b, (b if buf is None else np.array(buf, dtype=float))


def _classical_old_buffer(w, g, buf, lr, momentum, dampening=0.0):
    b = _torch_buf(g, buf, momentum, dampening)
    return w - lr * (g if buf is None else buf), b


CLASSICAL = Check(
    name="check_sgd_momentum_update",
    function="sgd_momentum_update",
    reference=_classical,
    cases=_classical_cases,
    mistakes=(
        Mistake(
            "EMA form instead of PyTorch's",
            "You wrote the EMA velocity, buf = momentum * buf + (1 - momentum) * g. PyTorch "
            "adds the whole gradient (times 1 - dampening from the second step on), so its "
            "velocity is 1 / (1 - momentum) times larger; that is why its learning rates are "
            "smaller.",
            _ema_instead, hint=2),
        Mistake(
            "dampening on the first step",
            "Your first velocity is (1 - dampening) * g (or you started from zeros, which gives "
            "the same). PyTorch starts the velocity as the first gradient itself, buf = g, "
            "with no dampening; dampening applies from the second step on.",
            _dampened_first_step, hint=1),
        Mistake(
            "dampening ignored",
            "Your result ignores `dampening`: later steps must add (1 - dampening) * g to "
            "momentum * buf, not the whole gradient.",
            _dampening_ignored, hint=2),
        Mistake(
            "dampening used instead of 1 - dampening",
            "Your velocity adds dampening * g. Dampening is the share of the gradient LEFT OUT: "
            "the gradient's weight is 1 - dampening.",
            _dampening_inverted, hint=2),
        Mistake(
            "velocity not carried over",
            "Your velocity is reset to the current gradient at every step (buf = g), which is "
            "plain gradient descent. On every step after the first, keep the memory: momentum "
            "times the buf passed in, plus the (dampened) gradient.",
            _buffer_not_carried, hint=1),
        Mistake(
            "sign error",
            "Your weights move uphill: w + lr * buf. The velocity points uphill like the "
            "gradient, so subtract it: w - lr * buf.",
            _classical_sign, hint=2),
        Mistake(
            "learning rate folded into the velocity",
            "You wrote the cs231n form, v = momentum * v - lr * g; w = w + v, whose velocity "
            "already contains the learning rate. PyTorch keeps lr out of the velocity and "
            "multiplies it in when the weights move.",
            _cs231n, hint=2),
        Mistake(
            "learning rate folded into the velocity",
            "Your velocity holds steps: buf = momentum * buf + lr * g, then w = w - buf (a form "
            "some tutorials use). PyTorch keeps lr out of the velocity, buf = momentum * buf + "
            "(1 - dampening) * g, and multiplies it in when the weights move.",
            _lr_in_velocity, hint=2),
        Mistake(
            "step with the old velocity",
            "Your weights move with the velocity from BEFORE this step. Update buf with the new "
            "gradient first, then step with the new buf.",
            _classical_old_buffer, hint=1),
        Mistake(
            "dampening applied to the whole velocity",
            "You multiplied the whole new velocity by (1 - dampening): "
            "(momentum * buf + g) * (1 - dampening). Dampening shrinks only the NEW gradient's "
            "share: momentum * buf + (1 - dampening) * g.",
            _dampening_on_velocity, hint=2),
        Mistake(
            "EMA form from the second step on",
            "Your first step is right (buf = g), but later you average: buf = momentum * buf + "
            "(1 - momentum) * g, the EMA form. PyTorch adds the whole gradient, times "
            "1 - dampening: momentum * buf + (1 - dampening) * g.",
            _ema_from_second_step, hint=2),
        Mistake(
            "step with the gradient instead of the velocity",
            "Your velocity is right, but the weights move by lr * g, plain gradient descent: "
            "the velocity you just computed is never used. Step against the new velocity, "
            "w - lr * buf.",
            _classical_gradient_step, hint=2),
        Mistake(
            "old velocity returned",
            "Your weights are right, but from the second step on you return the buf you were "
            "given, not the new one: the next step then starts from a velocity that never "
            "remembers this gradient. Return the updated buf with the new weights.",
            _old_buffer_returned, hint=1),
        Mistake(
            "gradient added to the velocity in the step",
            "Your step is w - lr * (g + buf): the velocity already contains the new gradient, "
            "so it is counted twice (that sum, with momentum on buf, is Nesterov's step). "
            "Classical momentum moves by the velocity alone: w - lr * buf.",
            _classical_gradient_added, hint=2),
        Mistake(
            "momentum and 1 - dampening swapped",
            "Your velocity is (1 - dampening) * buf + momentum * g: the two factors are "
            "swapped. momentum multiplies the OLD velocity, and (1 - dampening) the new "
            "gradient: momentum * buf + (1 - dampening) * g.",
            _momentum_dampening_swapped, hint=2),
        Mistake(
            "dampening on the first step and instead of 1 - dampening",
            "Two things differ. Your velocity adds dampening * g, but dampening is the share "
            "LEFT OUT: the gradient's weight is 1 - dampening. And your first velocity is "
            "dampened (or started from zeros): PyTorch's first velocity is the first gradient "
            "itself, buf = g.",
            _dampened_first_and_inverted, hint=2),
    ),
    output_names=("w", "buf"),
    forbidden=FORBIDDEN,
    hints=HINTS,
    doc="``sgd_momentum_update(w, g, buf, lr, momentum, dampening=0.0) -> (w, buf)``: "
        "``buf = g`` on the first step (``buf`` is None), later "
        "``buf = momentum buf + (1 - dampening) g``; then ``w = w - lr buf`` (torch.optim.SGD)",
)


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
        Case("first step: buf is None", (w1, g1, None, 0.1, 0.9)),
        Case("a later step", (w2, g2, b2, 0.1, 0.9)),
        Case("a matrix of weights, momentum = 0.5", (w3, g3, b3, 0.05, 0.5)),
        Case("lr = 1, momentum = 0.8", (w4, g4, b4, 1.0, 0.8)),
        Case("first step, momentum = 0.3", (w5, g5, None, 0.5, 0.3)),
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


def _nesterov_ema_from_second_step(w, g, buf, lr, momentum):
    b = np.array(g, dtype=float) if buf is None else momentum * buf + (1 - momentum) * g
    return w - lr * (g + momentum * b), b


def _momentum_on_the_gradient(w, g, buf, lr, momentum):
    b = _buf(g, buf, momentum)
    return w - lr * (momentum * g + b), b


def _nesterov_old_buffer_returned(w, g, buf, lr, momentum):
    b = _buf(g, buf, momentum)
    return w - lr * (g + momentum * b), (b if buf is None else np.array(buf, dtype=float))


def _lookahead_velocity_twice(w, g, buf, lr, momentum):
    b = _buf(g, buf, momentum)
    return w - lr * (b + momentum * b), b


NESTEROV = Check(
    name="check_nesterov_update",
    function="nesterov_update",
    reference=_nesterov,
    cases=_nesterov_cases,
    mistakes=(
        Mistake(
            "no look-ahead",
            "Your step is w - lr * buf: that is classical momentum, not Nesterov. Nesterov "
            "first updates the velocity, then steps along the gradient PLUS a look-ahead along "
            "that new velocity.",
            _no_lookahead, hint=1),
        Mistake(
            "look-ahead with the old velocity",
            "Your first step is right, but later your look-ahead uses the velocity from "
            "BEFORE this step. Update it first, then take the look-ahead along the new one.",
            _lookahead_old_buffer, hint=1),
        Mistake(
            "gradient left out of the step",
            "Your step is w - lr * momentum * buf: the current gradient g is missing. "
            "Nesterov's step is along g plus momentum times the new velocity.",
            _lookahead_without_gradient, hint=2),
        Mistake(
            "velocity instead of the gradient in the step",
            "Your step is w - lr * (buf + momentum * buf): the first term must be the current "
            "gradient g, not the velocity.",
            _lookahead_velocity_twice, hint=2),
        Mistake(
            "EMA velocity",
            "Your velocity is buf = momentum * buf + (1 - momentum) * g (the EMA form). "
            "PyTorch's Nesterov adds the whole gradient, starting from buf = g.",
            _nesterov_ema, hint=2),
        Mistake(
            "sign error",
            "Your weights move uphill: w + lr * (...). Subtract the step.",
            _nesterov_sign, hint=2),
        Mistake(
            "momentum missing in the look-ahead",
            "Your step is w - lr * (g + buf): the look-ahead along the new velocity must be "
            "weighted by momentum, w - lr * (g + momentum * buf).",
            lambda w, g, buf, lr, momentum: (w - lr * (g + _buf(g, buf, momentum)),
                                             _buf(g, buf, momentum)), hint=2),
        Mistake(
            "EMA velocity from the second step on",
            "Your first step is right (buf = g), but later you average: buf = momentum * buf + "
            "(1 - momentum) * g, the EMA form. PyTorch's Nesterov adds the whole gradient: "
            "buf = momentum * buf + g.",
            _nesterov_ema_from_second_step, hint=2),
        Mistake(
            "momentum on the gradient instead of the look-ahead",
            "Your step is w - lr * (momentum * g + buf): momentum multiplies the wrong term. "
            "The step is the current gradient as it is, plus momentum times the new velocity: "
            "w - lr * (g + momentum * buf).",
            _momentum_on_the_gradient, hint=2),
        Mistake(
            "old velocity returned",
            "Your weights are right, but from the second step on you return the buf you were "
            "given, not the new one: the next step then starts from a velocity that never "
            "remembers this gradient. Return the updated buf with the new weights.",
            _nesterov_old_buffer_returned, hint=1),
    ),
    output_names=("w", "buf"),
    forbidden=FORBIDDEN,
    hints=HINTS,
    doc="``nesterov_update(w, g, buf, lr, momentum) -> (w, buf)``: ``buf = g`` on the first "
        "step, later ``buf = momentum buf + g``; then ``w = w - lr (g + momentum buf)`` with the "
        "NEW ``buf`` (torch.optim.SGD(nesterov=True))",
)


# --------------------------------------------------------------------------- heavy-ball settings


def _rotation(angle):
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s], [s, c]])


@dataclass(frozen=True, eq=False)
class Valley(Surface):
    """A tilted quadratic valley: ``f(w) = (w - c)^T H (w - c) / 2``; minimum 0 at ``c``.

    ``H = R diag(m, L) R^T`` with ``R`` the rotation by ``angle`` (radians): curvature ``L``
    across the valley and ``m`` along it, neither along an axis. Gradient ``H (w - c)``.

    Args:
        L, m: the two curvatures, finite numbers with L >= m > 0.
        angle: the tilt of the valley's floor, radians.
        center: the minimum ``c``. start: the point runs start from.
    """

    L: float = 32.0
    m: float = 0.5
    angle: float = math.radians(30.0)
    center: tuple = (1.0, -0.5)
    start: tuple = (-3.0, 2.0)
    _hessian: np.ndarray = field(init=False, repr=False)

    name = "valley"
    formula = r"$\frac{1}{2}(w - c)^\top H (w - c)$"
    min_value = 0.0
    bounds = ((-4.0, 5.0), (-3.0, 3.0))

    def __post_init__(self):
        if not (math.isfinite(self.L) and math.isfinite(self.m) and self.L >= self.m > 0):
            raise ValueError(f"L and m must be finite numbers with L >= m > 0, got L={self.L!r} "
                             f"and m={self.m!r}")
        rotation = _rotation(self.angle)
        hessian = rotation @ np.diag([self.m, self.L]) @ rotation.T
        hessian.flags.writeable = False
        object.__setattr__(self, "_hessian", hessian)

    @property
    def minimum(self):
        return tuple(self.center)

    @property
    def default_start(self):
        return tuple(self.start)

    def _value(self, x, y):
        (a, b), (_, d) = self._hessian
        dx, dy = x - self.center[0], y - self.center[1]
        return 0.5 * (a * dx * dx + 2 * b * dx * dy + d * dy * dy)

    def _grad(self, x, y):
        (a, b), (_, d) = self._hessian
        dx, dy = x - self.center[0], y - self.center[1]
        return a * dx + b * dy, b * dx + d * dy


def mystery_valley():
    """The valley of exercise 4: tilted by 30 degrees, its curvatures not given (measure them)."""
    return Valley()


class _Gradient:
    """The gradient of a hidden quadratic ``(w - c)^T H (w - c) / 2``: ``w -> H (w - c)``."""

    def __init__(self, hessian, center):
        self._hessian = np.array(hessian, dtype=np.float64)
        self._center = np.array(center, dtype=np.float64)

    def __call__(self, w):
        return self._hessian @ (np.asarray(w, dtype=np.float64) - self._center)

    def __repr__(self):
        return f"the gradient of a hidden valley with {len(self._center)} weights"

    def __deepcopy__(self, memo):
        return self  # nothing in it changes


def _measured_hessian(grad, w0, h=1.0):
    """Central differences of the gradient, column by column (exact for a quadratic)."""
    w0 = np.asarray(w0, dtype=np.float64)
    n = len(w0)
    hessian = np.empty((n, n))
    for j in range(n):
        step = np.zeros(n)
        step[j] = h
        hessian[:, j] = (np.asarray(grad(w0 + step)) - np.asarray(grad(w0 - step))) / (2 * h)
    return (hessian + hessian.T) / 2


def _settings(L, m):
    """Polyak's heavy ball in PyTorch's form: ``(lr, beta)`` from the curvatures."""
    root = math.sqrt(L / m)
    return 4.0 / (math.sqrt(L) + math.sqrt(m)) ** 2, ((root - 1) / (root + 1)) ** 2


def _curvatures(grad, w0, diagonal=False, scale=1.0, columns=False):
    hessian = scale * _measured_hessian(grad, w0)
    if columns:
        values = np.linalg.norm(hessian, axis=0)
    else:
        values = np.diag(hessian) if diagonal else np.linalg.eigvalsh(hessian)
    return float(np.max(values)), float(np.min(values))


def _heavy_ball(grad, w0):
    return _settings(*_curvatures(grad, w0))


def _heavy_ball_cases():
    rng = np.random.default_rng(70)
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    three = q @ np.diag([0.2, 1.0, 5.0]) @ q.T
    tilted = _rotation(math.radians(-50)) @ np.diag([4.0, 400.0]) @ _rotation(math.radians(-50)).T
    return [
        Case("the exercise's valley, tilted by 30 degrees",
             (_Gradient(Valley()._hessian, Valley().center), np.array([-3.0, 2.0]))),
        Case("the lesson's ravine f = (x^2 + 25 y^2) / 2, measured at (-4.5, 2)",
             (_Gradient(np.diag([1.0, 25.0]), [0.0, 0.0]), np.array([-4.5, 2.0]))),
        Case("three weights, curvatures 0.2, 1 and 5 in tilted directions",
             (_Gradient(three, [1.0, 2.0, -1.0]), np.array([0.0, 0.0, 0.0]))),
        Case("a round bowl with curvature 3 (kappa = 1)",
             (_Gradient(3.0 * np.eye(2), [0.5, 0.5]), np.array([2.0, -1.0]))),
        Case("steep: curvatures 4 and 400, tilted by -50 degrees, far from the minimum",
             (_Gradient(tilted, [-2.0, 3.0]), np.array([10.0, -10.0]))),
        Case("four weights, curvatures 9, 0.5, 2 and 1 along the axes",
             (_Gradient(np.diag([9.0, 0.5, 2.0, 1.0]), [0.0, 1.0, 0.0, -1.0]),
              np.array([1.0, 1.0, 1.0, 1.0]))),
    ]


def _wrong_settings(settings=None, diagonal=False, scale=1.0, columns=False):
    settings = settings or _settings

    def wrong(grad, w0):
        return settings(*_curvatures(grad, w0, diagonal=diagonal, scale=scale, columns=columns))
    return wrong


def _lr_square_misplaced(L, m):
    return 4.0 / (math.sqrt(L) + math.sqrt(m) ** 2), _settings(L, m)[1]


def _root_of_m_only(L, m):
    root = L / math.sqrt(m)  # L / m ** 0.5: the power binds before the division
    return _settings(L, m)[0], ((root - 1) / (root + 1)) ** 2


def _kappa_not_rooted(L, m):
    kappa = L / m
    return _settings(L, m)[0], ((kappa - 1) / (kappa + 1)) ** 2


def _beta_not_squared(L, m):
    root = math.sqrt(L / m)
    return _settings(L, m)[0], (root - 1) / (root + 1)


def _ema_lr(L, m):
    lr, beta = _settings(L, m)
    return lr / (1 - beta), beta


def _gd_lr(L, m):
    return 2.0 / (L + m), _settings(L, m)[1]


def _gd_only(L, m):
    return 2.0 / (L + m), 0.0


def _lr_without_roots(L, m):
    return 4.0 / (L + m), _settings(L, m)[1]


def _lr_square_missing(L, m):
    return 4.0 / (math.sqrt(L) + math.sqrt(m)), _settings(L, m)[1]


def _lr_times_one_minus_beta(L, m):
    lr, beta = _settings(L, m)
    return lr * (1 - beta), beta


def _written_in(L, m):
    """Settings computed for fixed curvatures, whatever the valley (a hard-coded answer)."""
    def wrong(grad, w0):
        return _settings(L, m)
    return wrong


def _gd_limit_lr(L, m):
    return 2.0 / L, _settings(L, m)[1]


def _gd_textbook_lr(L, m):
    return 1.0 / L, _settings(L, m)[1]


def _lr_from_kappa(L, m):
    root = math.sqrt(L / m)
    return 4.0 / (root + 1) ** 2, _settings(L, m)[1]


HEAVY_BALL = Check(
    name="check_heavy_ball_settings",
    function="heavy_ball_settings",
    reference=_heavy_ball,
    cases=_heavy_ball_cases,
    mistakes=(
        Mistake(
            "diagonal of the Hessian instead of its eigenvalues",
            "You took the curvatures from the diagonal of the Hessian (how the gradient's j-th "
            "component changes along axis j). That is right only when the valley lies along the "
            "axes; a tilted valley's steepest and flattest curvatures are the largest and "
            "smallest EIGENVALUES of the Hessian (np.linalg.eigvalsh).",
            _wrong_settings(diagonal=True), hint=1),
        Mistake(
            "curvatures twice too large",
            "Your curvatures are twice the real ones, so your lr is half the best one (beta "
            "is right: it depends only on their ratio). A central difference "
            "(grad(w + h e) - grad(w - h e)) spans 2 h: divide by 2 h, not h.",
            _wrong_settings(scale=2.0), hint=3),
        Mistake(
            "curvatures half the real ones",
            "Your curvatures are half the real ones, so your lr is twice the best one and the "
            "run diverges. For f = (w - c)^T H (w - c) / 2 the curvatures are the eigenvalues "
            "of H itself (the 1/2 cancels the 2 of the derivative); a one-sided difference "
            "(grad(w + h e) - grad(w)) divides by h, a central one by 2 h.",
            _wrong_settings(scale=0.5), hint=2),
        Mistake(
            "kappa instead of sqrt(kappa) in beta",
            "Your beta is ((kappa - 1) / (kappa + 1))^2: the best beta uses the square root "
            "of the condition number, ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2. That square "
            "root is momentum's whole advantage (it replaces kappa by sqrt(kappa)).",
            _wrong_settings(_kappa_not_rooted), hint=2),
        Mistake(
            "beta not squared",
            "Your beta is (sqrt(kappa) - 1) / (sqrt(kappa) + 1): that is how much the error "
            "shrinks per step at the best settings, the square root of the best beta. Square "
            "it.",
            _wrong_settings(_beta_not_squared), hint=2),
        Mistake(
            "EMA learning rate",
            "Your lr is the EMA form's, lr / (1 - beta). This exercise asks for PyTorch's form "
            "(buf = beta buf + g, w = w - lr buf), the form of your sgd_momentum_update: "
            "lr = 4 / (sqrt(L) + sqrt(m))^2.",
            _wrong_settings(_ema_lr), hint=2),
        Mistake(
            "gradient descent's best rate",
            "Your lr is 2 / (L + m), plain gradient descent's best rate. With momentum the best "
            "rate is larger: 4 / (sqrt(L) + sqrt(m))^2.",
            _wrong_settings(_gd_lr), hint=2),
        Mistake(
            "no momentum",
            "You returned plain gradient descent's best settings (lr = 2 / (L + m), beta = 0). "
            "The exercise asks for the best heavy-ball momentum: beta > 0 whenever the valley "
            "is not round.",
            _wrong_settings(_gd_only), hint=2),
        Mistake(
            "square roots missing in lr",
            "Your lr is 4 / (L + m); the best heavy-ball rate is 4 / (sqrt(L) + sqrt(m))^2, the "
            "square of a sum of square roots.",
            _wrong_settings(_lr_without_roots), hint=2),
        Mistake(
            "lr from kappa alone",
            "Your lr is 4 / (sqrt(kappa) + 1)^2, which is the best rate divided by the "
            "flattest curvature m: a rate has the units of 1 / curvature, so it needs L and m "
            "themselves, not only their ratio: 4 / (sqrt(L) + sqrt(m))^2.",
            _wrong_settings(_lr_from_kappa), hint=2),
        Mistake(
            "L / m ** 0.5 instead of (L / m) ** 0.5",
            "Your lr is right but your beta is not: your sqrt(kappa) is L / sqrt(m). In "
            "`L / m ** 0.5` Python takes the power first; the square root of the condition "
            "number is (L / m) ** 0.5, or np.sqrt(L / m).",
            _wrong_settings(_root_of_m_only), hint=2),
        Mistake(
            "square of sqrt(m) alone in lr",
            "Your beta is right but your lr is 4 / (sqrt(L) + sqrt(m) ** 2) = 4 / (sqrt(L) + m): "
            "the square belongs to the whole sum, 4 / (sqrt(L) + sqrt(m)) ** 2 (parentheses "
            "around the sum before ** 2).",
            _wrong_settings(_lr_square_misplaced), hint=2),
        Mistake(
            "lengths of the Hessian's columns instead of its eigenvalues",
            "You took each column's length (how far the whole gradient moves along each axis) "
            "as a curvature. In a tilted valley that mixes directions; the steepest and "
            "flattest curvatures are the largest and smallest EIGENVALUES of the Hessian "
            "(np.linalg.eigvalsh).",
            _wrong_settings(columns=True), hint=1),
        Mistake(
            "square missing in lr",
            "Your beta is right but your lr is 4 / (sqrt(L) + sqrt(m)): the whole sum of "
            "square roots is squared, lr = 4 / (sqrt(L) + sqrt(m)) ** 2 (a rate has the units "
            "of 1 / curvature).",
            _wrong_settings(_lr_square_missing), hint=2),
        Mistake(
            "lr multiplied by (1 - beta)",
            "Your lr is 4 / (sqrt(L) + sqrt(m))^2 times (1 - beta): you converted it as if the "
            "formula gave the EMA form's rate. The formula is already PyTorch's form's rate "
            "(buf = beta buf + g, w = w - lr buf); use it as it is.",
            _wrong_settings(_lr_times_one_minus_beta), hint=2),
        Mistake(
            "gradient descent's limit 2 / L as lr",
            "Your beta is right but your lr is 2 / L, the largest rate at which plain "
            "gradient descent is stable. Momentum changes that analysis: the best heavy-ball "
            "rate in PyTorch's form is 4 / (sqrt(L) + sqrt(m))^2.",
            _wrong_settings(_gd_limit_lr), hint=2),
        Mistake(
            "gradient descent's 1 / L as lr",
            "Your beta is right but your lr is 1 / L, the textbook rate of plain gradient "
            "descent. With momentum the best rate in PyTorch's form is "
            "4 / (sqrt(L) + sqrt(m))^2.",
            _wrong_settings(_gd_textbook_lr), hint=2),
        Mistake(
            "the lesson's ravine written in",
            "You returned the best settings of the lesson's ravine (curvatures 25 and 1) "
            "whatever valley you are given. Measure this valley's Hessian from `grad` around "
            "`w0`, then take its largest and smallest eigenvalues.",
            _written_in(25.0, 1.0), hint=1),
        Mistake(
            "the mystery valley's settings written in",
            "Your settings are right for the exercise's mystery valley only: you wrote its "
            "numbers in. The check gives other valleys (two, three and four weights): measure "
            "each one's Hessian from `grad` around `w0`.",
            _written_in(32.0, 0.5), hint=1),
    ),
    output_names=("lr", "beta"),
    hints=HINTS,
    rtol=1e-6,
    doc="``heavy_ball_settings(grad, w0) -> (lr, beta)``: the curvatures L (largest) and m "
        "(smallest) are the eigenvalues of the Hessian measured from ``grad`` around ``w0``; "
        "``beta = ((sqrt(L/m) - 1) / (sqrt(L/m) + 1))^2``, ``lr = 4 / (sqrt(L) + sqrt(m))^2`` "
        "(PyTorch's form)",
)

CHECKS = (EMA, CLASSICAL, NESTEROV, HEAVY_BALL)

check_momentum_update = EMA.check_function()
check_sgd_momentum_update = CLASSICAL.check_function()
check_nesterov_update = NESTEROV.check_function()
check_heavy_ball_settings = HEAVY_BALL.check_function()
