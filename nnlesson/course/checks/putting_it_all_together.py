"""Checks for lesson 13, putting it all together: one training step of the recipe, and the
configurations of a leave-one-out ablation.

``check_recipe_step``: the student writes one iteration of the recipe's training loop,
``recipe_step(model, optimizer, schedule, t, xb, yb, l2, clip_norm) -> (loss, grad_norm)``,
with library objects (an :func:`nnlesson.train.mlp`, an :mod:`nnlesson.optim` optimizer, a
schedule). The reference is one iteration of :func:`nnlesson.train.fit` itself (one epoch of
one batch, the schedule shifted to start at ``t``), so the check holds the student's loop to
the library's: zero the gradients, forward, loss + L2 penalty on the weight matrices,
backward (+ the penalty's gradient), measure the global norm and clip, set the rate of update
``t``, step. Besides ``(loss, grad_norm)`` the check compares every parameter after the step.

``check_ablation_configs``: the student lists the full recipe and the recipe minus each piece;
the reference is :func:`nnlesson.course.recipe.ablation_configs`.
"""
from __future__ import annotations

import numpy as np

from nnlesson.course.checks._core import Case, Mistake, run_check
from nnlesson.clip import Clipping, clip_grad_norm, global_norm
from nnlesson.course.recipe import ablation_configs
from nnlesson.losses import add_penalty_grad, softmax_cross_entropy
from nnlesson.optim import SGD, Adam
from nnlesson.schedules import CosineAnnealing
from nnlesson.train import Penalty, fit, mlp

__all__ = ["check_recipe_step", "check_ablation_configs"]


# --------------------------------------------------------------------------- one training step


def _step_ref(model, optimizer, schedule, t, xb, yb, l2, clip_norm):
    """One iteration of ``fit``: the library's own training loop, run on one batch."""
    history = fit(model, xb, yb, optimizer=optimizer, epochs=1, batch_size=len(xb),
                  shuffle=False, schedule=lambda s: schedule(t + s),
                  clipping=None if clip_norm is None else Clipping(max_norm=clip_norm),
                  penalty=Penalty(l2=l2), on_divergence="raise")
    return history.loss[0], history.grad_norm[0]


def _observed(fn):
    """Run a step function and also return every parameter's value after it."""

    def recipe_step(model, optimizer, schedule, t, xb, yb, l2, clip_norm):
        out = fn(model, optimizer, schedule, t, xb, yb, l2, clip_norm)
        if out is None:
            return None
        weights = [p.value.copy() for p in model.parameters()]
        if isinstance(out, (tuple, list)) and len(out) == 2:
            return out[0], out[1], weights
        return out, None, weights  # the comparison then says what is missing

    return recipe_step


def _weights(model):
    return [p for p in model.parameters() if p.value.ndim >= 2]


def _make_step(*, zero=True, clip_before_step=True, lr_at=0, set_lr=True, penalize="weights",
               penalty_in_loss=True, penalty_after_clip=False, half=True, norm_after=False):
    """A step function with one (or no) deliberate mistake, built from library pieces."""

    def step(model, optimizer, schedule, t, xb, yb, l2, clip_norm):
        params = model.parameters()
        if zero:
            model.zero_grad()
        data_loss, dout = softmax_cross_entropy(model.forward(xb), yb)
        model.backward(dout)
        penalized = _weights(model) if penalize == "weights" else params
        lam = l2 if half else 2 * l2  # without the 1/2: lam * sum w^2 has gradient 2 lam w
        penalty = 0.0
        if l2 and not penalty_after_clip:
            penalty = add_penalty_grad(penalized, lam)
        norm = global_norm([p.grad for p in params])
        if clip_norm is not None and clip_before_step:
            clip_grad_norm(params, clip_norm)
        if l2 and penalty_after_clip:
            penalty = add_penalty_grad(penalized, lam)
        if norm_after:
            norm = global_norm([p.grad for p in params])
        if set_lr:
            optimizer.lr = schedule(t + lr_at)
        optimizer.step()
        if clip_norm is not None and not clip_before_step:
            clip_grad_norm(params, clip_norm)
        loss = float(data_loss) + (penalty if penalty_in_loss else 0.0)
        return loss, norm

    return step


def _stale(model, seed, n_in, n_out):
    """Leave the gradients of an earlier batch in the parameters, as after a previous step."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((6, n_in))
    y = rng.integers(0, n_out, size=6)
    _, dout = softmax_cross_entropy(model.forward(x), y)
    model.backward(dout)


def _batch(seed, n, n_in, n_out, scale=1.0):
    rng = np.random.default_rng(seed)
    return scale * rng.standard_normal((n, n_in)), rng.integers(0, n_out, size=n)


def _step_cases():
    cases = []

    # 1. the very first update: fresh model and Adam, batch norm, a clip that acts
    model = mlp([5, 8, 3], batch_norm=True, rng=1)
    opt = Adam(model.parameters(), lr=0.123)
    xb, yb = _batch(11, 10, 5, 3, scale=3.0)
    cases.append(Case("first update (t = 0): fresh Adam, batch norm, the clip acts",
                      (model, opt, CosineAnnealing(0.05, T_max=10), 0, xb, yb, 0.05, 0.5)))

    # 2. a later update: Adam has stepped before and left gradients behind
    model = mlp([5, 8, 8, 3], batch_norm=True, rng=2)
    opt = Adam(model.parameters(), lr=0.123)
    _stale(model, 21, 5, 3)
    opt.step()
    _stale(model, 22, 5, 3)
    xb, yb = _batch(12, 8, 5, 3, scale=2.0)
    cases.append(Case("a later update (t = 4) with the previous batch's gradients still there",
                      (model, opt, CosineAnnealing(0.02, T_max=10), 4, xb, yb, 0.1, 0.3)))

    # 3. nothing to clip
    model = mlp([4, 6, 3], batch_norm=True, rng=3)
    opt = SGD(model.parameters(), lr=0.123)
    _stale(model, 23, 4, 3)
    xb, yb = _batch(13, 12, 4, 3)
    cases.append(Case("gradients already under the threshold (clip_norm = 1000)",
                      (model, opt, CosineAnnealing(0.5, T_max=20), 7, xb, yb, 0.02, 1000.0)))

    # 4. a batch of one (no batch norm), no clipping
    model = mlp([4, 6, 3], rng=4)
    opt = Adam(model.parameters(), lr=0.123)
    _stale(model, 24, 4, 3)
    xb, yb = _batch(14, 1, 4, 3)
    cases.append(Case("a batch of one, no batch norm, clip_norm = None (no clipping)",
                      (model, opt, CosineAnnealing(0.01, T_max=10), 2, xb, yb, 0.3, None)))

    # 5. no penalty, the last update of the schedule
    model = mlp([5, 8, 3], batch_norm=True, rng=5)
    opt = SGD(model.parameters(), lr=0.123)
    _stale(model, 25, 5, 3)
    xb, yb = _batch(15, 6, 5, 3, scale=3.0)
    cases.append(Case("no penalty (l2 = 0), last update of the schedule (t = 9 of 10)",
                      (model, opt, CosineAnnealing(0.2, T_max=10), 9, xb, yb, 0.0, 0.2)))
    return cases


def check_recipe_step(student_fn):
    """Check ``recipe_step(model, optimizer, schedule, t, xb, yb, l2, clip_norm)
    -> (loss, grad_norm)``: one iteration of the recipe's training loop, as ``nnlesson.train.fit``
    does it. The weights after the step are compared too."""
    mistakes = [
        Mistake(
            "gradients not zeroed",
            "The gradients of the previous batch were still in .grad when your step ran: "
            "backward ADDS into .grad, so they accumulated. Call model.zero_grad() (or "
            "optimizer.zero_grad()) at the START of the step, before forward and backward.",
            _make_step(zero=False)),
        Mistake(
            "clipped after the step",
            "You clipped the gradients after optimizer.step(): the update had already used "
            "the unclipped gradients, so the clip protected nothing. Clip after backward and "
            "BEFORE the step.",
            _make_step(clip_before_step=False)),
        Mistake(
            "schedule off by one",
            "Your learning rate is schedule(t + 1): update t must use schedule(t). The "
            "schedule counts updates from 0, so the very first update uses schedule(0).",
            _make_step(lr_at=1)),
        Mistake(
            "learning rate not set",
            "The optimizer kept the learning rate it was built with: set optimizer.lr = "
            "schedule(t) before optimizer.step(), otherwise the schedule does nothing.",
            _make_step(set_lr=False)),
        Mistake(
            "penalty on every parameter",
            "You penalized every parameter, including the biases and batch norm's gamma and "
            "beta. The L2 penalty goes on the weight matrices only (p.value.ndim >= 2): "
            "shrinking gamma towards 0 would switch the normalized units off, and biases do "
            "not make the function more complex.",
            _make_step(penalize="all")),
        Mistake(
            "penalty missing from the loss",
            "Your gradients are right but the loss you return is the data loss alone. Return "
            "the objective that was minimized: data loss + l2 / 2 * sum of w^2 over the weight "
            "matrices (add_penalty_grad returns that penalty).",
            _make_step(penalty_in_loss=False)),
        Mistake(
            "penalty added after clipping",
            "You added the penalty's gradient after clipping, so the clipped gradient was not "
            "the whole gradient of the objective (and the norm you measured left the penalty "
            "out). Add the penalty's gradient right after backward, then measure and clip.",
            _make_step(penalty_after_clip=True)),
        Mistake(
            "penalty without the 1/2",
            "Your penalty is l2 * sum w^2 with gradient 2 * l2 * w. The course (and "
            "torch.optim.SGD's weight_decay) uses l2 / 2 * sum w^2, whose gradient is l2 * w: "
            "use nl.losses.add_penalty_grad(weights, l2).",
            _make_step(half=False)),
        Mistake(
            "norm after clipping returned",
            "The weights are right, but the norm you return was measured after clipping. "
            "Return the global norm BEFORE clipping (what clip_grad_norm returns): it is the "
            "number a training loop records to see gradients explode.",
            _make_step(norm_after=True)),
    ]
    return run_check(
        "check_recipe_step", _observed(student_fn), _step_cases(), _observed(_step_ref),
        [Mistake(m.name, m.explanation, _observed(m.wrong_fn)) for m in mistakes],
        output_names=("loss", "grad_norm", "weights after the step"))


# --------------------------------------------------------------------------- the ablation


def _given_a_copy(fn):
    """Hand the student a copy of the recipe, so changing it shows in the configs it returns."""

    def ablation_configs(recipe):
        return fn(dict(recipe))

    return ablation_configs


def _shared_dict(recipe):
    configs = [("full recipe", recipe)]
    for piece, on in list(recipe.items()):
        if on:
            config = recipe  # not a copy: every config is this one dict
            config[piece] = False
            configs.append((f"without {piece}", config))
    return configs


def _cumulative(recipe):
    configs, current = [("full recipe", dict(recipe))], dict(recipe)
    for piece, on in recipe.items():
        if on:
            current = {**current, piece: False}
            configs.append((f"without {piece}", current))
    return configs


def _no_baseline(recipe):
    return ablation_configs(recipe)[1:]


def _every_piece(recipe):
    return [("full recipe", dict(recipe))] + [(f"without {piece}", {**recipe, piece: False})
                                              for piece in recipe]


def _flipped(recipe):
    return [("full recipe", dict(recipe))] + [(f"without {piece}", {**recipe, piece: not on})
                                              for piece, on in recipe.items()]


def _only_one(recipe):
    off = dict.fromkeys(recipe, False)
    return [("full recipe", dict(recipe))] + [(f"without {piece}", {**off, piece: True})
                                              for piece, on in recipe.items() if on]


def check_ablation_configs(student_fn):
    """Check ``ablation_configs(recipe) -> [(label, settings), ...]``: ``("full recipe",
    recipe)`` first, then ``("without <piece>", recipe with that piece off)`` for every piece
    that is on, in the recipe's order; every settings dict a new dict."""
    full = {"scaling": True, "minibatches": True, "adam": True, "batch_norm": True,
            "schedule": True, "clipping": True, "l2": True}
    cases = [
        Case("the lesson's full recipe", (full,)),
        Case("a recipe with two pieces already off", ({**full, "schedule": False, "l2": False},)),
        Case("three pieces", ({"adam": True, "batch_norm": True, "clipping": True},)),
        Case("a single piece", ({"batch_norm": True},)),
        Case("nothing to remove: every piece off", (dict.fromkeys(["adam", "l2"], False),)),
    ]
    mistakes = [
        Mistake(
            "one shared dict",
            "All your configurations are the same dict: `config = recipe` does not copy, so "
            "switching a piece off changed the recipe itself and every configuration built "
            "from it. Make a new dict for each one: {**recipe, piece: False} or dict(recipe).",
            _shared_dict),
        Mistake(
            "pieces removed cumulatively",
            "Each of your configurations also lacks the pieces removed before it: that is a "
            "build-down, not a leave-one-out ablation. Start every configuration from the full "
            "recipe and switch off exactly ONE piece.",
            _cumulative),
        Mistake(
            "full recipe missing",
            "The baseline is missing: the first configuration must be ('full recipe', recipe). "
            "Without it there is nothing to compare the ablated runs with.",
            _no_baseline),
        Mistake(
            "pieces that are already off included",
            "You made a 'without' configuration for pieces that the recipe already leaves "
            "off; each of those is just the full recipe again. Skip pieces whose value is "
            "False.",
            _every_piece),
        Mistake(
            "pieces flipped",
            "You flipped each piece (not recipe[piece]), which switches on the pieces that "
            "were off. 'Without' means off: set the piece to False, and skip pieces that are "
            "already off.",
            _flipped),
        Mistake(
            "only one piece kept",
            "Each of your configurations keeps ONE piece and drops all the others: that "
            "measures a piece alone, not what the recipe loses without it. Keep every piece "
            "but one.",
            _only_one),
    ]
    return run_check("check_ablation_configs", _given_a_copy(student_fn), cases,
                     ablation_configs, mistakes)
