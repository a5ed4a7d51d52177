"""Checks for lesson 13, putting it all together, declared as data: one training step of the
recipe, the configurations of a leave-one-out ablation, and a fair ablation that re-tunes the
learning rate of every configuration.

* ``recipe_step(model, optimizer, schedule, t, xb, yb, l2, clip_norm) -> (loss, grad_norm)``:
  one iteration of the recipe's training loop with library objects (an
  :func:`nnlesson.train.mlp`, an :mod:`nnlesson.optim` optimizer, a schedule). The reference is
  one iteration of :func:`nnlesson.train.fit` itself (one epoch of one batch, the schedule
  shifted to start at ``t``), so the check holds the student's loop to the library's. The step
  changes the model; the check observes that (:func:`_observed`) and compares every parameter
  after the step as well as ``(loss, grad_norm)``.
* ``ablation_configs(recipe)``: the reference is :func:`nnlesson.course.recipe.ablation_configs`.
* ``tuned_ablation(configs, lrs, accuracy, tune_seed, report_seeds)``: for every configuration,
  the learning rate with the best accuracy on the tuning random seed, then the mean, lowest and
  highest accuracy at that rate over the other random seeds. The cases hand it a table of
  accuracies (:class:`AccuracyTable`) built so that every mistake shows.

Every mistake is written with numpy and the helpers the exercises allow: the meta-test hands
each one to its check as a student's answer.
"""
from __future__ import annotations

import math

import numpy as np

from nnlesson.clip import Clipping, clip_grad_norm, global_norm
from nnlesson.course.checks import _stale
from nnlesson.course.checks._core import Case, Check, CheckResult, Mistake, Property
from nnlesson.course.recipe import ablation_configs
from nnlesson.losses import add_penalty_grad, softmax_cross_entropy
from nnlesson.norm import BatchNorm
from nnlesson.optim import SGD, Adam
from nnlesson.schedules import CosineAnnealing
from nnlesson.train import Penalty, fit, mlp

__all__ = ["RECIPE_STEP", "ABLATION_CONFIGS", "TUNED_ABLATION", "CHECKS", "AccuracyTable",
           "check_recipe_step", "check_ablation_configs", "check_tuned_ablation"]

HINTS = ("the idea", "the formula", "a partial line")


# --------------------------------------------------------------------------- one training step


def _step_ref(model, optimizer, schedule, t, xb, yb, l2, clip_norm):
    """One iteration of ``fit``: the library's own training loop, run on one batch."""
    history = fit(model, xb, yb, optimizer=optimizer, epochs=1, batch_size=len(xb),
                  shuffle=False, schedule=lambda s: schedule(t + s),
                  clipping=None if clip_norm is None else Clipping(max_norm=clip_norm),
                  penalty=Penalty(l2=l2), on_divergence="raise")
    return history.loss[0], history.grad_norm[0]


def _observed(fn):
    """Run a step function and also return every parameter's value after it, and the running
    statistics of its batch-norm layers (one forward pass per step moves them once)."""

    def recipe_step(model, optimizer, schedule, t, xb, yb, l2, clip_norm):
        out = fn(model, optimizer, schedule, t, xb, yb, l2, clip_norm)
        if out is None:
            return None
        weights = [p.value.copy() for p in model.parameters()]
        stats = [np.concatenate([m.running_mean, m.running_var]) for m in model.modules()
                 if isinstance(m, BatchNorm)]
        if isinstance(out, (tuple, list)) and len(out) == 2:
            return out[0], out[1], weights, stats
        return out, None, weights, stats  # the comparison then says what is missing

    recipe_step.__name__ = getattr(fn, "__name__", "recipe_step")
    return recipe_step


def _weights(model):
    return [p for p in model.parameters() if p.value.ndim >= 2]


def _make_step(*, zero=True, clip_before_step=True, lr_at=0, set_lr=True, penalize="weights",
               penalty_in_loss=True, penalty_after_clip=False, half=True, norm_after=False,
               per_parameter=False, loss_half=True, forwards=1, clip_what="all"):
    """A step function with one (or no) deliberate mistake, built from the allowed helpers."""

    def step(model, optimizer, schedule, t, xb, yb, l2, clip_norm):
        params = model.parameters()
        if zero is True:
            model.zero_grad()
        for _ in range(forwards - 1):  # an extra forward pass, e.g. to compute the loss
            model.forward(xb)
        data_loss, dout = softmax_cross_entropy(model.forward(xb), yb)
        model.backward(dout)
        if zero == "after backward":
            model.zero_grad()
        penalized = _weights(model) if penalize == "weights" else params
        lam = l2 if half else 2 * l2  # without the 1/2: lam * sum w^2 has gradient 2 lam w
        penalty = 0.0
        if l2 and not penalty_after_clip:
            penalty = add_penalty_grad(penalized, lam)
            if not loss_half:
                penalty *= 2
        clipped = _weights(model) if clip_what == "weights" else params
        norm = global_norm([p.grad for p in clipped])
        if clip_norm is not None and clip_what == "values":
            for p in params:  # clipping by value, each entry into [-c, c]
                np.clip(p.grad, -clip_norm, clip_norm, out=p.grad)
        elif clip_norm is not None and clip_before_step and per_parameter:
            for p in params:  # each parameter clipped by its own norm
                if per_parameter == "library":
                    clip_grad_norm([p], clip_norm)
                elif np.linalg.norm(p.grad) > clip_norm:
                    p.grad *= clip_norm / np.linalg.norm(p.grad)
        elif clip_norm is not None and clip_before_step:
            clip_grad_norm(clipped, clip_norm)
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

    return _observed(step)


def _stale_grads(model, seed, n_in, n_out):
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
    model = mlp([5, 8, 3], batch_norm=True, rng=1)
    xb, yb = _batch(11, 10, 5, 3, scale=3.0)
    cases.append(Case("first update (t = 0): fresh Adam, batch norm, the clip acts",
                      (model, Adam(model.parameters(), lr=0.123),
                       CosineAnnealing(0.05, T_max=10), 0, xb, yb, 0.05, 0.5)))
    model = mlp([5, 8, 8, 3], batch_norm=True, rng=2)
    opt = Adam(model.parameters(), lr=0.123)
    _stale_grads(model, 21, 5, 3)
    opt.step()
    _stale_grads(model, 22, 5, 3)
    xb, yb = _batch(12, 8, 5, 3, scale=2.0)
    cases.append(Case("a later update (t = 4) with the previous batch's gradients still there",
                      (model, opt, CosineAnnealing(0.02, T_max=10), 4, xb, yb, 0.1, 0.3)))
    model = mlp([4, 6, 3], batch_norm=True, rng=3)
    _stale_grads(model, 23, 4, 3)
    xb, yb = _batch(13, 12, 4, 3)
    cases.append(Case("gradients already under the threshold (clip_norm = 1000)",
                      (model, SGD(model.parameters(), lr=0.123),
                       CosineAnnealing(0.5, T_max=20), 7, xb, yb, 0.02, 1000.0)))
    model = mlp([4, 6, 3], rng=4)
    _stale_grads(model, 24, 4, 3)
    xb, yb = _batch(14, 1, 4, 3)
    cases.append(Case("a batch of one, no batch norm, clip_norm = None (no clipping)",
                      (model, Adam(model.parameters(), lr=0.123),
                       CosineAnnealing(0.01, T_max=10), 2, xb, yb, 0.3, None)))
    model = mlp([5, 8, 3], batch_norm=True, rng=5)
    _stale_grads(model, 25, 5, 3)
    xb, yb = _batch(15, 6, 5, 3, scale=3.0)
    cases.append(Case("no penalty (l2 = 0), last update of the schedule (t = 9 of 10)",
                      (model, SGD(model.parameters(), lr=0.123),
                       CosineAnnealing(0.2, T_max=10), 9, xb, yb, 0.0, 0.2)))
    return cases


RECIPE_STEP = Check(
    name="check_recipe_step",
    function="recipe_step",
    reference=_observed(_step_ref),
    cases=_step_cases,
    mistakes=(
        Mistake("gradients not zeroed",
                "The gradients of the previous batch were still in .grad when your step ran: "
                "backward ADDS into .grad, so they accumulated. Clear them at the START of the "
                "step (model.zero_grad()), before forward and backward.",
                _make_step(zero=False), hint=1),
        Mistake("clip missing before the step",
                "Your update used the unclipped gradients: no clip acted between backward and "
                "optimizer.step() (either there is none, or it comes after the step, when the "
                "update has already used the unclipped gradients, so it protects nothing). Clip "
                "after backward and the penalty's gradient, and BEFORE the step.",
                _make_step(clip_before_step=False), hint=1),
        Mistake("each parameter clipped on its own",
                "You clipped every parameter by its own norm. The recipe clips by the GLOBAL "
                "norm of all the gradients together, one factor for all of them, so the "
                "update keeps its direction (lesson 08).",
                _make_step(per_parameter="library"), hint=2),
        Mistake("each parameter clipped on its own",
                "You clipped every parameter by its own norm. The recipe clips by the GLOBAL "
                "norm of all the gradients together, one factor for all of them, so the "
                "update keeps its direction (lesson 08).",
                _make_step(per_parameter="by hand"), hint=2),
        Mistake("schedule off by one",
                "Your learning rate is schedule(t + 1): update t must use schedule(t). The "
                "schedule counts updates from 0, so the very first update uses schedule(0).",
                _make_step(lr_at=1), hint=2),
        Mistake("learning rate not set before the step",
                "Your step used the learning rate the optimizer was built with, not "
                "schedule(t): set optimizer.lr = schedule(t) BEFORE optimizer.step(). Without "
                "it the schedule does nothing, and set after the step it only reaches the next "
                "update, one rate late.",
                _make_step(set_lr=False), hint=1),
        Mistake("penalty on every parameter",
                "You penalized every parameter, including the biases and batch norm's gamma "
                "and beta. The L2 penalty goes on the weight matrices only (p.value.ndim >= 2): "
                "shrinking gamma towards 0 would switch the normalized units off, and biases do "
                "not make the function more complex.",
                _make_step(penalize="all"), hint=2),
        Mistake("penalty missing from the loss",
                "Your gradients are right but the loss you return is the data loss alone. "
                "Return the objective that was minimized: data loss + l2 / 2 * sum of w^2 over "
                "the weight matrices (add_penalty_grad returns that penalty).",
                _make_step(penalty_in_loss=False), hint=2),
        Mistake("penalty added after clipping",
                "You added the penalty's gradient after clipping, so the clipped gradient was "
                "not the whole gradient of the objective (and the norm you measured left the "
                "penalty out). Add the penalty's gradient right after backward, then measure "
                "and clip.",
                _make_step(penalty_after_clip=True), hint=1),
        Mistake("penalty without the 1/2",
                "Your penalty is l2 * sum w^2 with gradient 2 * l2 * w. The course (and "
                "torch.optim.SGD's weight_decay) uses l2 / 2 * sum w^2, whose gradient is "
                "l2 * w: add_penalty_grad(weights, l2) does exactly that.",
                _make_step(half=False), hint=2),
        Mistake("norm after clipping returned",
                "The weights are right, but the norm you return was measured after clipping. "
                "Return the global norm BEFORE clipping (what clip_grad_norm returns): it is "
                "the number a training loop records to see gradients explode.",
                _make_step(norm_after=True), hint=2),
        Mistake("clipped the weight matrices only",
                "You measured and clipped the gradients of the weight matrices only. The "
                "global norm covers EVERY parameter's gradient (biases, batch norm's gamma and "
                "beta too), and the clip scales all of them by the same factor: "
                "clip_grad_norm(model.parameters(), clip_norm).",
                _make_step(clip_what="weights"), hint=2),
        Mistake("clipped by value",
                "You clipped each gradient entry into [-clip_norm, clip_norm] (clipping by "
                "value, lesson 08). The recipe clips by the global NORM: when it exceeds "
                "clip_norm, every gradient is scaled by the same factor clip_norm / norm, "
                "which keeps the direction.",
                _make_step(clip_what="values"), hint=2),
        Mistake("gradients cleared after backward",
                "You cleared the gradients after the backward pass, so the step used only the "
                "penalty's gradient (or nothing at all). Clear them at the START of the step, "
                "before forward and backward.",
                _make_step(zero="after backward"), hint=1),
        Mistake("penalty in the loss without the 1/2",
                "Your update is right, but the loss you return adds l2 * sum w^2: the "
                "penalty whose gradient is l2 * w is l2 / 2 * sum w^2 (the number "
                "add_penalty_grad returns).",
                _make_step(loss_half=False), hint=2),
        Mistake("two forward passes",
                "Your step runs the model forward twice on the batch. The numbers come out "
                "right, but every training-mode forward pass moves batch norm's running "
                "statistics, so they moved twice: one forward pass, then the loss and "
                "backward from its output.",
                _make_step(forwards=2), hint=1),
    ),
    output_names=("loss", "grad_norm", "weights after the step",
                  "batch-norm statistics after the step"),
    forbidden=("nnlesson.train.fit", "nnlesson.train._train_step"),
    hints=HINTS,
    doc="``(loss, grad_norm)`` of one iteration: zero the gradients, forward, loss + L2 "
        "penalty on the weight matrices, backward (+ the penalty's gradient), global norm and "
        "clip, ``optimizer.lr = schedule(t)``, step",
)


def check_recipe_step(student_fn):
    """Check the student's function ``recipe_step(model, optimizer, schedule, t, xb, yb, l2,
    clip_norm) -> (loss, grad_norm)``: one iteration of the recipe's training loop, as
    ``nnlesson.train.fit`` does it; the weights after the step are compared too.

    Returns a CheckResult; declared as ``RECIPE_STEP``."""
    return _run_observed(RECIPE_STEP, student_fn, _observed)


def _run_observed(check, student_fn, observe):
    # the declaration runs an observing wrapper: look at the student's own definition first
    stale = _stale.stale_definition(student_fn)
    if stale:
        return CheckResult(check.name, False, stale, mistake="stale definition")
    if not callable(student_fn):
        return check.run(student_fn)
    return check.run(observe(student_fn))


check_recipe_step.check = RECIPE_STEP


# --------------------------------------------------------------------------- the ablation's configs


def _configs(recipe, *, skip_off=True, baseline=True, copy="each", flip=False, only_one=False,
             cumulative=False, order="recipe", remove=False, label="without {}",
             full="full recipe"):
    """Leave-one-out configurations with switches for the typical mistakes."""
    if order == "sorted":
        recipe = {piece: recipe[piece] for piece in sorted(recipe)}
    if baseline == "last":
        return _configs(recipe, baseline=False, remove=remove) + [("full recipe", dict(recipe))]
    configs = [(full, dict(recipe))] if baseline else []
    shared, current = dict(recipe), dict(recipe)
    for piece, on in recipe.items():
        if skip_off and not on:
            continue
        if only_one:
            config = {**dict.fromkeys(recipe, False), piece: True}
        elif cumulative:
            current = {**current, piece: False}
            config = current
        elif copy == "once":
            shared[piece] = False  # one dict for every configuration
            config = shared
        elif remove:
            config = {name: value for name, value in recipe.items() if name != piece}
        else:
            config = {**recipe, piece: (not on) if flip else False}
        configs.append((label.format(piece), config))
    return configs


_LABEL_EXPLANATION = (
    "Your configurations are right, but the labels are not the contract's: the first is "
    "exactly \"full recipe\", the others exactly f\"without {piece}\" (\"without adam\"). The "
    "lesson's tables and run_ablation find the rows by these labels.")
_LABEL_STYLES = (("no {}", "full recipe"), ("without_{}", "full recipe"), ("-{}", "full recipe"),
                 ("{} off", "full recipe"), ("w/o {}", "full recipe"), ("Without {}", "full recipe"),
                 ("without {}", "full"), ("without {}", "baseline"), ("without {}", "Full recipe"),
                 ("no_{}", "full recipe"), ("without {}", "full_recipe"))


def _new_dicts(student_fn):
    """Every settings dict the student returns is a new dict: neither the recipe itself nor
    shared between two configurations."""
    recipe = _full()
    out = student_fn(recipe)
    settings = [pair[1] for pair in out]
    return all(s is not recipe for s in settings) and \
        len({id(s) for s in settings}) == len(settings)


def _full():
    return {"scaling": True, "minibatches": True, "adam": True, "batch_norm": True,
            "schedule": True, "clipping": True, "l2": True}


ABLATION_CONFIGS = Check(
    name="check_ablation_configs",
    function="ablation_configs",
    reference=ablation_configs,
    cases=lambda: [
        Case("the lesson's full recipe", (_full(),)),
        Case("a recipe with two pieces already off", ({**_full(), "schedule": False,
                                                       "l2": False},)),
        Case("three pieces, one of them off", ({"adam": True, "batch_norm": False,
                                                "clipping": True},)),
        Case("a single piece", ({"batch_norm": True},)),
        Case("nothing to remove: every piece off", (dict.fromkeys(["adam", "l2"], False),)),
    ],
    mistakes=(
        Mistake("one shared dict",
                "All your configurations are the same dict: you made one copy of the recipe "
                "and switched its pieces off one after another, so every configuration ends up "
                "with all of them off. Make a new dict for each configuration.",
                lambda recipe: _configs(recipe, copy="once"), hint=3),
        Mistake("pieces removed cumulatively",
                "Each of your configurations also lacks the pieces removed before it: that is "
                "a build-down, not a leave-one-out ablation. Start every configuration from the "
                "full recipe and switch off exactly ONE piece.",
                lambda recipe: _configs(recipe, cumulative=True), hint=1),
        Mistake("full recipe missing",
                "The baseline is missing: the first configuration must be ('full recipe', "
                "recipe). Without it there is nothing to compare the ablated runs with.",
                lambda recipe: _configs(recipe, baseline=False), hint=1),
        Mistake("pieces that are already off included",
                "You made a 'without' configuration for pieces that the recipe already leaves "
                "off; each of those is just the full recipe again. Skip pieces whose value is "
                "False.",
                lambda recipe: _configs(recipe, skip_off=False), hint=2),
        Mistake("pieces flipped",
                "You flipped each piece (not recipe[piece]), which switches on the pieces that "
                "were off. 'Without' means off: set the piece to False, and skip pieces that are "
                "already off.",
                lambda recipe: _configs(recipe, skip_off=False, flip=True), hint=2),
        Mistake("only one piece kept",
                "Each of your configurations keeps ONE piece and drops all the others: that "
                "measures a piece alone, not what the recipe loses without it. Keep every piece "
                "but one.",
                lambda recipe: _configs(recipe, only_one=True), hint=1),
        Mistake("pieces in alphabetical order",
                "Your configurations are right but sorted by the pieces' names: keep the "
                "recipe's own order (iterate over recipe.items()), so that the table reads in "
                "the order of the recipe.",
                lambda recipe: _configs(recipe, order="sorted"), hint=2),
        Mistake("full recipe last",
                "Your configurations are right but the full recipe comes last: it must come "
                "FIRST, the baseline every other row is compared with.",
                lambda recipe: _configs(recipe, baseline="last"), hint=2),
        Mistake("piece removed from the dict",
                "You deleted the piece from the settings dict; keep every piece and set the "
                "removed one to False, so that each configuration says what it does with all "
                "of them.",
                lambda recipe: _configs(recipe, remove=True), hint=3),
        *(Mistake("labels not in the contract's form", _LABEL_EXPLANATION,
                  lambda recipe, label=label, full=full: _configs(recipe, label=label, full=full),
                  hint=None) for label, full in _LABEL_STYLES),
        Mistake("a dict of configurations",
                "You returned a dict {label: settings}; the contract asks for a LIST of "
                "(label, settings) pairs, the full recipe first.",
                lambda recipe: dict(_configs(recipe)), hint=None),
    ),
    properties=(
        Property("settings dicts not new",
                 "Every configuration is right, but at least one settings dict is not a new "
                 "dict: the recipe itself (\"full recipe\", recipe), or one dict shared by two "
                 "configurations. Changing one would then change the other (or the caller's "
                 "recipe): build each with dict(recipe) or {**recipe, piece: False}.",
                 _new_dicts),
    ),
    forbidden=("nnlesson.course.recipe.ablation_configs",),
    hints=HINTS,
    doc="``[('full recipe', recipe), ('without <piece>', recipe with that piece off), ...]`` "
        "for every piece that is on, in the recipe's order; every settings dict a new dict",
)
check_ablation_configs = ABLATION_CONFIGS.check_function()


# --------------------------------------------------------------------------- the fair ablation


class AccuracyTable:
    """``accuracy(settings, lr, seed)`` for the check: looks the accuracy up in ``table``, a
    dict ``{(label, lr, seed): accuracy}``, finding the label from the settings (NaN: that run
    diverged). ``calls`` counts the look-ups."""

    def __init__(self, configs, table):
        self.labels = {tuple(sorted(settings.items())): label for label, settings in configs}
        self.table = dict(table)
        self.calls = 0

    def __call__(self, settings, lr, seed):
        self.calls += 1
        label = self.labels[tuple(sorted(dict(settings).items()))]
        return self.table[(label, float(lr), int(seed))]


def _tuned_ref(configs, lrs, accuracy, tune_seed, report_seeds):
    rows = []
    for label, settings in configs:
        best, best_score = None, -math.inf
        for lr in lrs:
            score = accuracy(settings, lr, tune_seed)
            if score > best_score:  # a NaN (diverged) never is; a tie keeps the first rate
                best, best_score = lr, score
        if best is None:
            rows.append((label, None, math.nan, math.nan, math.nan))
            continue
        reported = np.array([accuracy(settings, best, seed) for seed in report_seeds],
                            dtype=float)
        rows.append((label, float(best), float(np.mean(reported)), float(np.min(reported)),
                     float(np.max(reported))))
    return rows


def _tuned(configs, lrs, accuracy, tune_seed, report_seeds, *, pick="max", nan_best=False,
           tune_on="tune", report_on="report", ties="first", spread="range", all_nan="None",
           rate="value", scale=1.0, centre="mean", missing=math.nan, skip_nan=False):
    """The fair ablation with switches for the typical mistakes."""
    rows = []
    for label, settings in configs:
        if pick == "max key":  # max(lrs, key=...): a leading nan is never replaced
            index = max(range(len(lrs)), key=lambda i: accuracy(settings, lrs[i], tune_seed))
            if accuracy(settings, lrs[index], tune_seed) != \
                    accuracy(settings, lrs[index], tune_seed):
                rows.append((label, None, math.nan, math.nan, math.nan))
                continue
            reported = np.array([accuracy(settings, lrs[index], s) for s in report_seeds])
            rows.append((label, float(lrs[index]), float(np.mean(reported)),
                         float(np.min(reported)), float(np.max(reported))))
            continue
        if tune_on == "tune":
            scores = [accuracy(settings, lr, tune_seed) for lr in lrs]
        else:  # the report seeds' mean: the numbers reported are also the ones tuned on
            scores = [float(np.mean([accuracy(settings, lr, s) for s in report_seeds]))
                      for lr in lrs]
        if pick == "first":
            index = 0
        elif nan_best == "guarded" and all(s != s for s in scores):
            rows.append((label, None, missing, missing, missing))
            continue
        elif nan_best and not (nan_best == "guarded" and all(s != s for s in scores)):
            index = int(np.argmax(scores))  # np.argmax stops at the first NaN
        else:
            finite = [i for i, s in enumerate(scores) if s == s]
            if not finite and all_nan == "None":
                rows.append((label, None, missing, missing, missing))
                continue
            if not finite:
                index = 0  # every run diverged, yet a rate is reported
            else:
                values = [scores[i] for i in finite]
                target = max(values) if pick == "max" else min(values)
                hits = [i for i in finite if scores[i] == target]
                index = hits[0] if ties == "first" else hits[-1]
        best = lrs[index]
        seeds = {"report": list(report_seeds), "tune": [tune_seed],
                 "both": [tune_seed, *report_seeds]}[report_on]
        reported = scale * np.array([accuracy(settings, best, s) for s in seeds], dtype=float)
        if skip_nan:  # np.nanmean and friends: a diverged report run silently left out
            reported = reported[~np.isnan(reported)]
        mean = float(np.mean(reported) if centre == "mean" else np.median(reported))
        if spread == "std":
            low, high = mean - float(np.std(reported)), mean + float(np.std(reported))
        else:
            low, high = float(np.min(reported)), float(np.max(reported))
        if spread == "exchanged":
            low, high = high, low
        if spread == "low mean high":
            mean, low = low, mean
        rows.append((label, index if rate == "index" else float(best), mean, low, high))
    return rows


def _tuned_cases():
    nan = math.nan
    a = {"adam": True, "schedule": True}
    b = {"adam": False, "schedule": True}
    c = {"adam": True, "schedule": False}
    configs = [("full recipe", a), ("without adam", b), ("without schedule", c)]
    lrs = [0.01, 0.1, 1.0]
    table = {}

    def put(label, lr, scores):
        for seed, score in enumerate(scores):
            table[(label, lr, seed)] = score

    # random seed 0 tunes; 1, 2 and 3 report. The best rate on seed 0 is not the best on the
    # report seeds for "without adam", a NaN sits before the best for "without schedule", and
    # the report seeds disagree, so that every way of mixing them up shows.
    put("full recipe", 0.01, [0.90, 0.91, 0.89, 0.90])
    put("full recipe", 0.1, [0.95, 0.94, 0.96, 0.93])
    put("full recipe", 1.0, [0.60, 0.62, 0.58, 0.61])
    put("without adam", 0.01, [0.30, 0.32, 0.28, 0.31])
    put("without adam", 0.1, [0.88, 0.93, 0.94, 0.95])
    put("without adam", 1.0, [0.91, 0.70, 0.72, 0.69])
    put("without schedule", 0.01, [0.92, 0.95, 0.91, 0.94])
    put("without schedule", 0.1, [nan, 0.40, 0.43, 0.42])
    put("without schedule", 1.0, [0.10, 0.10, 0.11, 0.09])
    d = {"adam": False, "schedule": False}
    ties = [("a tie on the tuning seed", d)]
    for lr, scores in ((0.01, [0.80, 0.81, 0.79]), (0.1, [0.80, 0.85, 0.86]),
                       (1.0, [0.50, 0.52, 0.48])):
        for seed, score in enumerate(scores):
            table[("a tie on the tuning seed", lr, seed)] = score
    gone = [("every rate diverged", {"adam": True, "schedule": None})]
    for lr in lrs:
        for seed in range(4):
            table[("every rate diverged", lr, seed)] = nan
    first = [("the first rate diverged", {"adam": None, "schedule": True})]
    put("the first rate diverged", 0.01, [nan, 0.20, 0.25, 0.30])
    put("the first rate diverged", 0.1, [0.70, 0.80, 0.82, 0.84])
    put("the first rate diverged", 1.0, [0.75, 0.60, 0.62, 0.64])
    # the chosen rate diverged on one report seed: the row says so with nan
    lost = [("a report run diverged", {"adam": None, "schedule": None})]
    put("a report run diverged", 0.01, [0.50, 0.60, 0.61, 0.62])
    put("a report run diverged", 0.1, [0.90, 0.91, nan, 0.93])
    put("a report run diverged", 1.0, [0.30, 0.31, 0.32, 0.33])

    def case(label, chosen, rates, tune, report):
        return Case(label, (chosen, rates, AccuracyTable(chosen, table), tune, report))

    return [
        case("three configurations, three rates, tuned on random seed 0, reported on 1, 2, 3",
             configs, lrs, 0, (1, 2, 3)),
        case("the same, reported on random seeds 1 and 2 only", configs, lrs, 0, (1, 2)),
        case("tuned on random seed 1, reported on 0, 2 and 3", configs, lrs, 1, (0, 2, 3)),
        case("equal accuracies on the tuning seed: the first rate", ties, lrs, 0, (1, 2)),
        case("one rate only", configs[:2], [1.0], 0, (1, 2, 3)),
        case("every rate diverged on the tuning seed", gone + configs[:1], lrs, 0, (1, 2)),
        case("the first rate diverged on the tuning seed, and a chosen rate on a report seed",
             first + configs[2:] + lost, lrs, 0, (1, 2, 3)),
    ]


TUNED_ABLATION = Check(
    name="check_tuned_ablation",
    function="tuned_ablation",
    reference=_tuned_ref,
    cases=_tuned_cases,
    mistakes=(
        Mistake("nan taken as the best rate",
                "A rate whose tuning run diverged (accuracy nan) became your best: np.argmax "
                "stops at the first nan, and a test like `not score <= best` lets nan through. "
                "A diverged run must never win: compare with `score > best` (False for nan).",
                lambda *a: _tuned(*a, nan_best=True), hint=3),
        Mistake("nan taken as the best rate",
                "A rate whose tuning run diverged (accuracy nan) became your best: np.argmax "
                "stops at the first nan, and a test like `not score <= best` lets nan through. "
                "A diverged run must never win: compare with `score > best` (False for nan).",
                lambda *a: _tuned(*a, nan_best="guarded"), hint=3),
        Mistake("tuned on the reported seeds",
                "You chose each rate by its accuracy on the report seeds, then reported those "
                "same runs: the choice has seen the numbers it reports, so they flatter the "
                "configuration. Choose on the tuning seed alone, then report the others.",
                lambda *a: _tuned(*a, tune_on="report"), hint=1),
        Mistake("the tuning seed reported",
                "You reported the accuracy of the tuning run itself: the run that chose the "
                "rate is the one flattered by the choice. Report the mean and range over the "
                "report seeds at the chosen rate.",
                lambda *a: _tuned(*a, report_on="tune"), hint=1),
        Mistake("the tuning seed reported too",
                "Your mean and range include the tuning seed. The run that chose the rate "
                "does not count as evidence for it: use the report seeds only.",
                lambda *a: _tuned(*a, report_on="both"), hint=1),
        Mistake("the worst rate chosen",
                "You kept the rate with the LOWEST accuracy on the tuning seed; the fair "
                "ablation gives every configuration its best rate.",
                lambda *a: _tuned(*a, pick="min"), hint=2),
        Mistake("the last of equal rates",
                "When two rates tie on the tuning seed you keep the later one; the contract "
                "keeps the first in the order of `lrs` (update the best only on a strictly "
                "higher accuracy).",
                lambda *a: _tuned(*a, ties="last"), hint=3),
        Mistake("a rate chosen when every run diverged",
                "When every rate diverged on the tuning seed there is no best rate: the row is "
                "(label, None, nan, nan, nan). Yours names a rate (the first of the list), as "
                "if a diverged run had won.",
                lambda *a: _tuned(*a, all_nan="first rate"), hint=1),
        Mistake("no tuning",
                "Every configuration got the first learning rate of the list: nothing was "
                "tuned. Try every rate on the tuning seed and keep the one with the highest "
                "accuracy.",
                lambda *a: _tuned(*a, pick="first"), hint=1),
        Mistake("a standard deviation instead of the range",
                "Your low and high are the mean minus and plus a standard deviation; the "
                "contract asks for the lowest and the highest accuracy over the report seeds.",
                lambda *a: _tuned(*a, spread="std"), hint=2),
        Mistake("the rate's index instead of the rate",
                "Your best_lr is the position of the best rate in `lrs` (0, 1, 2 ...), not the "
                "rate itself: return lrs[i].",
                lambda *a: _tuned(*a, rate="index"), hint=1),
        Mistake("low and high exchanged",
                "Your low and high are exchanged: the row is (label, best_lr, mean, lowest, "
                "highest), the minimum before the maximum.",
                lambda *a: _tuned(*a, spread="exchanged"), hint=None),
        Mistake("mean, low, high in the wrong order",
                "Your row holds the right numbers in the order (label, best_lr, low, mean, "
                "high); the contract's order is (label, best_lr, mean, low, high): the mean "
                "first, then the lowest and the highest accuracy.",
                lambda *a: _tuned(*a, spread="low mean high"), hint=None),
        Mistake("diverged report runs left out",
                "A run at the chosen rate diverged on one report seed (accuracy nan), and your "
                "mean, low and high leave it out (np.nanmean, np.nanmin, np.nanmax, or a filter): "
                "that hides the divergence and flatters the configuration. Use np.mean, np.min "
                "and np.max, which give nan when a run diverged.",
                lambda *a: _tuned(*a, skip_nan=True), hint=3),
        Mistake("accuracies in percent",
                "Your mean, low and high are 100 times the accuracies: `accuracy` returns a "
                "fraction (0.95), and the row keeps it as it is.",
                lambda *a: _tuned(*a, scale=100.0), hint=None),
        Mistake("median instead of mean",
                "Your middle number is the median of the report seeds' accuracies; the "
                "contract asks for the mean (np.mean).",
                lambda *a: _tuned(*a, centre="median"), hint=2),
        Mistake("None instead of nan in a diverged row",
                "When every rate diverged your row is (label, None, None, None, None): only "
                "best_lr is None there; the mean, low and high are nan (float('nan')), numbers "
                "that say 'no result', so the table can still be computed with.",
                lambda *a: _tuned(*a, missing=None), hint=1),
        Mistake("a leading nan kept by max",
                "A rate whose tuning run diverged (nan) won because it came FIRST: max(lrs, "
                "key=...) (or a loop that starts from the first rate's score) compares every "
                "later score with nan, which is always False, so nan is never replaced. Start "
                "from best_score = -inf and update on `score > best_score`.",
                lambda *a: _tuned(*a, pick="max key"), hint=3),
    ),
    hints=HINTS,
    doc="``[(label, best_lr, mean, low, high), ...]``: each configuration's rate chosen by "
        "``accuracy(settings, lr, tune_seed)`` (a NaN never wins, a tie keeps the first rate), "
        "then mean, lowest and highest accuracy at that rate over ``report_seeds``",
)
check_tuned_ablation = TUNED_ABLATION.check_function()

CHECKS = (RECIPE_STEP, ABLATION_CONFIGS, TUNED_ABLATION)
