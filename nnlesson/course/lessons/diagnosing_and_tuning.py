"""Lesson 14, diagnosing and tuning a training run: the experiments (compute, draw, widget).

* **Sanity checks**: the first loss against ``ln(10)``, and one small batch overfitted
  (:func:`sanity_checks`, :func:`figure_sanity`).
* **The range test** on the digits network, its suggested ``max_lr``, and one-cycle trained at
  rates around it (:func:`range_test_digits`, :func:`one_cycle_at`, :func:`figure_range_test`).
* **Reading the curves**: one run per signature (:func:`signature_runs`,
  :func:`figure_signatures`).
* **Random search against grid search** on a log scale (:func:`search_comparison`,
  :func:`figure_search`).
* **The training doctor**: a patient with a hidden fault, its curves beside its healthy twin's,
  and a diagnosis checked against the evidence (:class:`DoctorExplorer`,
  :func:`explore_doctor`, :func:`snapshot_doctor`).

Every run is one of :func:`nnlesson.diagnosis.fault_run`'s patients or a
:func:`nnlesson.diagnosis.record_training` run, cached.
"""
from __future__ import annotations

import functools
import math
import textwrap

import numpy as np

from nnlesson import diagnosis as D
from nnlesson import tuning as T

__all__ = [
    "sanity_checks",
    "figure_sanity",
    "range_test_digits",
    "one_cycle_at",
    "figure_range_test",
    "signature_runs",
    "figure_signatures",
    "search_comparison",
    "figure_search",
    "patients",
    "DoctorExplorer",
    "explore_doctor",
    "snapshot_doctor",
    "LR_FACTORS",
]


def _digits():
    from nnlesson.datasets import load_digits_split

    return load_digits_split()


# --------------------------------------------------------------------------- sanity checks


@functools.lru_cache(maxsize=2)
def sanity_checks(seed=0):
    """The two checks before training, on ``mlp([64, 64, 64, 10])``.

    Returns a dict: ``ln10``; ``first_loss`` (the He-initialized network on the first 64
    training digits); ``first_loss_small_last`` (the same network with its last layer's
    weights divided by 100, so that it starts out guessing); ``overfit`` (the losses of 200
    full-batch updates on 20 digits, SGD 0.1 with momentum 0.9); ``overfit_frozen`` (the
    same with a learning rate of 0: what a loop whose updates never reach the weights shows).
    """
    from nnlesson.losses import softmax_cross_entropy
    from nnlesson.optim import SGD
    from nnlesson.train import mlp

    X, _, y, _ = _digits()
    model = mlp([64, 64, 64, 10], rng=seed)
    first = float(softmax_cross_entropy(model.forward(X[:64]), y[:64])[0])
    model.layers[-1].W.value /= 100
    small = float(softmax_cross_entropy(model.forward(X[:64]), y[:64])[0])
    runs = {}
    for name, lr in (("overfit", 0.1), ("overfit_frozen", 0.0)):
        net = mlp([64, 64, 64, 10], rng=seed)
        runs[name] = D.overfit_small_batch(net, X[:20], y[:20],
                                           optimizer=SGD(net.parameters(), lr=lr, momentum=0.9),
                                           steps=200)
    return {"ln10": math.log(10), "first_loss": first, "first_loss_small_last": small, **runs}


def figure_sanity(checks=None):
    """The loss of 200 updates on 20 digits: a working loop drives it to about zero."""
    from nnlesson.viz.plotting import describe, figure, label_axes, series_style

    c = sanity_checks() if checks is None else checks
    fig, ax = figure((880, 340))
    t = np.arange(len(c["overfit"]))
    ax.plot(t, c["overfit"], label="working loop", **series_style(0))
    ax.plot(t, c["overfit_frozen"], label="updates never applied", **series_style(1))
    ax.axhline(c["ln10"], color="#666666", linewidth=1)
    ax.text(len(t) * 0.98, c["ln10"] * 1.3, "ln 10", ha="right", color="#444444")
    ax.set_yscale("log")
    label_axes(ax, title="overfit 20 digits first: the loss must go to about zero",
               xlabel="update", ylabel="training loss on the 20 digits")
    ax.legend(loc="lower left")
    return describe(fig, f"Loss on 20 training digits over 200 updates, log scale: the working "
                         f"loop falls from {c['overfit'][0]:.2f} to {c['overfit'][-1]:.1e}; "
                         f"with the updates never applied it stays at "
                         f"{c['overfit_frozen'][-1]:.2f}, above ln 10.")


# --------------------------------------------------------------------------- the range test


@functools.lru_cache(maxsize=4)
def range_test_digits(momentum=0.9, seed=0):
    """The range test of ``mlp([64, 64, 64, 10])`` with SGD (``momentum``): 1e-4 to 10, 200 updates."""
    from nnlesson.optim import SGD
    from nnlesson.train import mlp

    X, _, y, _ = _digits()
    model = mlp([64, 64, 64, 10], rng=seed)
    opt = SGD(model.parameters(), lr=0.01, momentum=momentum)
    return T.lr_range_test(model, X, y, optimizer=opt, start_lr=1e-4, end_lr=10.0,
                           num_iter=200, batch_size=64, rng=seed)


@functools.lru_cache(maxsize=32)
def one_cycle_at(max_lr, epochs=8, seeds=(0, 1)):
    """Mean final validation loss and accuracy of one-cycle at ``max_lr`` (SGD, momentum 0.9).

    ``mlp([64, 64, 64, 10])``, mini-batches of 64, ``epochs`` epochs, over ``seeds``; a run
    that diverges counts as NaN.
    """
    import warnings

    from nnlesson.optim import SGD
    from nnlesson.schedules import OneCycle
    from nnlesson.train import fit, mlp

    X, X_val, y, y_val = _digits()
    losses, accs = [], []
    for seed in seeds:
        model = mlp([64, 64, 64, 10], rng=seed)
        opt = SGD(model.parameters(), lr=max_lr, momentum=0.9)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            h = fit(model, X, y, optimizer=opt, epochs=epochs, batch_size=64, rng=seed,
                    schedule=OneCycle(max_lr, total_steps=epochs * 20), X_val=X_val, y_val=y_val)
        losses.append(math.nan if h.diverged else h.val_loss[-1])
        accs.append(math.nan if h.diverged else h.val_acc[-1])
    return float(np.mean(losses)), float(np.mean(accs))


def figure_range_test(result=None):
    """The smoothed loss against the learning rate, with the suggested rates marked."""
    from nnlesson.viz.plotting import PALETTE, describe, figure, label_axes, series_style

    r = range_test_digits() if result is None else result
    fig, ax = figure((880, 380))
    ax.plot(r.lrs, r.losses, color="#bbbbbb", linewidth=0.8, label="loss of each mini-batch")
    ax.plot(r.lrs, r.smoothed, label="smoothed (bias-corrected average)",
            **dict(series_style(0), marker=None))
    for lr, name, k in ((r.lr_at_min, "lowest loss", 3), (r.max_lr, "max_lr = a tenth", 2),
                        (r.steepest_lr, "steepest fall", 1)):
        ax.axvline(lr, color=PALETTE[k], linestyle=series_style(k)["linestyle"],
                   label=f"{name}: {lr:.2g}")
    ax.set_xscale("log")
    ax.set_ylim(0, max(3.5, float(np.nanmin(r.smoothed)) * 2))
    label_axes(ax, title="the range test: read max_lr a factor below the lowest loss",
               xlabel="learning rate (grows every update)", ylabel="training loss")
    ax.legend(loc="lower left")
    return describe(fig, f"Range test on the digits, learning rate 1e-4 to 10 on a log axis: "
                         f"the smoothed loss stays near {r.smoothed[0]:.1f} up to about 1e-3, "
                         f"falls fastest near {r.steepest_lr:.2g}, is lowest at "
                         f"{r.lr_at_min:.2g} and then shoots up; the suggested max_lr "
                         f"{r.max_lr:.2g} is marked a factor 10 below the lowest point.")


# --------------------------------------------------------------------------- the signatures


def _record(model, X, y, lr, epochs=12, seed=0, X_val=None, y_val=None, weight_decay=0.0,
            label=""):
    from nnlesson.optim import SGD

    X_tr, X_v, y_tr, y_v = _digits()
    X = X_tr if X is None else X
    y = y_tr if y is None else y
    opt = SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    return D.record_training(model, X, y, X_v if X_val is None else X_val,
                             y_v if y_val is None else y_val, optimizer=opt, epochs=epochs,
                             batch_size=64, rng=seed, label=label)


@functools.lru_cache(maxsize=1)
def signature_runs():
    """One digits run per signature of :data:`nnlesson.diagnosis.SIGNATURES`.

    ``lr_too_high``: the lr_too_high patient (rate 1.0); ``lr_too_low``: the healthy network
    at 0.001; ``overfitting``: 200 training digits, a fifth of
    them with a wrong label, 40 epochs; ``underfitting``: 2 hidden
    units; ``plateau``: four hidden layers with weights at a fifth of He's; ``dead_relus``:
    the dead_relu_init patient; ``exploding_gradients``: six hidden layers at rate 0.1.
    """
    from nnlesson.layers import Linear
    from nnlesson.train import mlp

    X, _, y, _ = _digits()
    runs = {"lr_too_high": D.fault_run("lr_too_high"),
            "lr_too_low": D.fault_run("healthy", lr_factor=0.02)}
    noisy = y[:200].copy()
    wrong = np.random.default_rng(0).random(200) < 0.2  # a fifth of the labels made wrong
    noisy[wrong] = (noisy[wrong] + 1 + np.arange(wrong.sum()) % 9) % 10
    runs["overfitting"] = _record(mlp([64, 64, 64, 10], rng=0), X[:200], noisy, 0.05,
                                  epochs=40, label="overfitting")
    runs["underfitting"] = _record(mlp([64, 2, 10], rng=0), None, None, 0.05, epochs=20,
                                   label="underfitting")
    model = mlp([64, 32, 32, 32, 10], rng=0)
    for layer in model.layers:
        if isinstance(layer, Linear):
            layer.W.value *= 0.2
    runs["plateau"] = _record(model, None, None, 0.03, label="plateau")
    runs["dead_relus"] = D.fault_run("dead_relu_init")
    runs["exploding_gradients"] = _record(mlp([64] + [64] * 6 + [10], rng=0), None, None, 0.1,
                                          label="exploding gradients")
    return runs


_SIGNATURE_TITLES = {
    "lr_too_high": "rate too high", "lr_too_low": "rate too low", "overfitting": "overfitting",
    "underfitting": "underfitting", "plateau": "plateau", "dead_relus": "dead ReLUs",
    "exploding_gradients": "exploding gradients"}


def figure_signatures(runs=None):
    """Seven runs, one signature each: training and validation loss per epoch (log scale)."""
    from nnlesson.viz.plotting import describe, figure, series_style

    runs = signature_runs() if runs is None else runs
    fig, axes = figure((1180, 560), ncols=4, nrows=2)
    for ax, (name, r) in zip(axes.ravel(), runs.items()):
        e = np.arange(1, r.epochs_run + 1)
        ax.plot(e, r.train_loss, label="training", **dict(series_style(0), markevery=None))
        ax.plot(e, r.val_loss, label="validation", **dict(series_style(1), markevery=None))
        if r.diverged:
            ax.text(0.5, 0.5, f"diverged at\nupdate {r.diverged_at}", transform=ax.transAxes,
                    ha="center")
        ax.axhline(math.log(10), color="#888888", linewidth=0.8)
        ax.set_yscale("log")
        ax.set_title(_SIGNATURE_TITLES[name], fontsize=12)
        ax.set_xlabel("epoch")
    axes[0, 0].set_ylabel("loss")
    axes[1, 0].set_ylabel("loss")
    last = axes.ravel()[-1]
    last.axis("off")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    last.legend(handles + [last.plot([], [], color="#888888")[0]], labels + ["ln 10"],
                loc="center")
    return describe(fig, "Seven small plots of training and validation loss per epoch on a log "
                         "scale: rate too high (the loss jumps up, then sits at ln 10), rate too "
                         "low (a slow steady fall), overfitting (validation turns up while "
                         "training falls), underfitting (both stay high together), plateau "
                         "(flat at ln 10, then a drop), dead ReLUs (flat at ln 10 from the "
                         "start), exploding gradients (falls, then the run diverges).")


# --------------------------------------------------------------------------- search


SEARCH_SPACE = {"lr": (1e-3, 1.0), "weight_decay": (1e-6, 1e-2)}


@functools.lru_cache(maxsize=256)
def _search_objective(lr, weight_decay, epochs=4, seed=0):
    from nnlesson.train import mlp

    run = _record(mlp([64, 32, 10], rng=seed), None, None, lr, epochs=epochs,
                  weight_decay=weight_decay, seed=seed)
    return math.inf if run.diverged else float(run.val_loss[-1])


def search_comparison(n_trials=9, repeats=3, seed=0):
    """Grid search (3 x 3 on a log scale) against random log-scale search with as many trials.

    The objective is the validation loss of ``mlp([64, 32, 10])`` after 4 epochs of SGD
    (momentum 0.9) at ``lr`` in [1e-3, 1] and ``weight_decay`` in [1e-6, 1e-2]. Random search
    is repeated ``repeats`` times with random seeds ``seed, seed + 1, ...``.

    Returns a dict: ``grid`` and ``random`` (lists of ``(config, val_loss)``; random holds
    every repeat), ``grid_best``, ``random_best`` (one best per repeat), ``grid_lrs`` (the
    distinct rates the grid tried), ``random_lrs``.
    """
    side = int(round(math.sqrt(n_trials)))
    grid = [(c, _search_objective(c["lr"], c["weight_decay"]))
            for c in T.grid_configs(SEARCH_SPACE, side)]
    random, bests = [], []
    for k in range(repeats):
        trial = [(c, _search_objective(c["lr"], c["weight_decay"]))
                 for c in T.sample_configs(SEARCH_SPACE, side * side, rng=seed + k)]
        random += trial
        bests.append(min(v for _, v in trial))
    return {"grid": grid, "random": random, "grid_best": min(v for _, v in grid),
            "random_best": bests, "grid_lrs": sorted({c["lr"] for c, _ in grid}),
            "random_lrs": sorted({c["lr"] for c, _ in random[: side * side]})}


def figure_search(comparison=None):
    """Where grid and random search looked, and the validation loss against the rate."""
    from nnlesson.viz.plotting import describe, figure, label_axes, series_style

    c = search_comparison() if comparison is None else comparison
    n = len(c["grid"])
    fig, (ax_pts, ax_lr) = figure((880, 380), ncols=2)
    for k, (name, points) in enumerate((("grid", c["grid"]), ("random", c["random"][:n]))):
        style = dict(series_style(k), linestyle="none", markevery=None, markersize=8)
        ax_pts.plot([p["lr"] for p, _ in points], [p["weight_decay"] for p, _ in points],
                    label=name, **style)
        ok = [(p["lr"], v) for p, v in points if math.isfinite(v)]
        ax_lr.plot(*zip(*sorted(ok)), label=name, **dict(style, linestyle="-"))
    for ax in (ax_pts, ax_lr):
        ax.set_xscale("log")
    ax_pts.set_yscale("log")
    ax_lr.set_yscale("log")
    label_axes(ax_pts, title="3 rates on the grid, 9 at random", xlabel="learning rate",
               ylabel="weight decay")
    label_axes(ax_lr, title="the loss depends on the rate", xlabel="learning rate",
               ylabel="validation loss")
    ax_pts.legend(loc="upper left")
    return describe(fig, "Left: the 9 grid points sit on 3 learning rates and 3 weight decays; "
                         "the 9 random points spread over 9 rates. Right: the validation loss "
                         "of each trial against its learning rate: it depends mostly on the "
                         "rate, so the random points trace the curve more finely.")


# --------------------------------------------------------------------------- the doctor


#: The rate changes the doctor offers: the patient's own rate times these.
LR_FACTORS = (0.1, 0.3, 1.0, 3.0)
CHOOSE = "(choose a diagnosis)"


def patients(seed=0):
    """The hidden fault of patients 1 to 8: a permutation of :data:`nnlesson.diagnosis.FAULTS`."""
    order = np.random.default_rng(seed).permutation(len(D.FAULTS))
    return {i + 1: D.FAULTS[k] for i, k in enumerate(order)}


def doctor_verdict(record, fault, answer):
    """The doctor's message: is ``answer`` right for a patient whose fault is ``fault``, and why."""
    if answer in (None, CHOOSE):
        return "Watch the curves, then choose a diagnosis."
    if answer == fault:
        fits, why = D.explain(record, fault)
        return "Right. " + (why if fits else f"{D.FAULT_LABELS[fault]}.")
    fits, why = D.explain(record, answer)
    hint = ("" if D.diagnose(record).fault == fault else
            " (At this learning rate the fault hides: go back to x1.)")
    return f"Not quite: {why}{hint}"


class DoctorExplorer:
    """The training doctor's figure: the patient's curves (colour) beside its healthy twin's (grey).

    Panels: the loss of every update and the validation loss per epoch; the gradient norm per
    update (log scale); the share of zero ReLU outputs per epoch and hidden layer, and the
    spread of what enters each activation. A line under the plots says what the doctor
    measured on the data going in (labels per mini-batch) and whether the diagnosis fits.
    """

    def __init__(self, seed=0, bake=True):
        from nnlesson.viz.plotting import PALETTE, figure, label_axes

        self.patients = patients(seed)
        self.bake = bake
        fig, axes = figure((900, 480), ncols=3)
        self.figure, self.axes = fig, axes
        ax_loss, ax_grad, ax_act = axes
        grey = dict(color="#aaaaaa", linewidth=1.0)
        (self.twin_loss,) = ax_loss.plot([], [], label="healthy twin", **grey)
        (self.loss,) = ax_loss.plot([], [], color=PALETTE[0], linewidth=1.0, label="patient")
        (self.val,) = ax_loss.plot([], [], color=PALETTE[3], marker="o", linestyle="--",
                                   label="validation")
        (self.twin_grad,) = ax_grad.plot([], [], **grey)
        (self.grad,) = ax_grad.plot([], [], color=PALETTE[0], linewidth=1.0)
        (self.zero1,) = ax_act.plot([], [], color=PALETTE[2], marker="s", label="zero, layer 1")
        (self.zero2,) = ax_act.plot([], [], color=PALETTE[4], marker="^", linestyle="-.",
                                    label="zero, layer 2")
        (self.spread,) = ax_act.plot([], [], color=PALETTE[1], marker="D", linestyle=":",
                                     label="spread in / 3")
        for ax in axes:
            ax.set_xlim(0, 12)
        ax_loss.set_yscale("log")
        ax_loss.set_ylim(1e-3, 1e2)
        ax_grad.set_yscale("log")
        ax_grad.set_ylim(1e-3, 1e4)
        ax_act.set_ylim(0, 1.05)
        label_axes(ax_loss, title="loss", xlabel="epoch", ylabel="loss (log)")
        label_axes(ax_grad, title="gradient norm", xlabel="epoch", ylabel="global norm (log)")
        label_axes(ax_act, title="activations", xlabel="epoch", ylabel="share / spread")
        ax_loss.legend(loc="lower left", fontsize=10)
        ax_act.legend(loc="center right", fontsize=10)
        self.message = fig.text(0.01, 0.01, "", va="bottom", ha="left", fontsize=11)
        fig.get_layout_engine().set(rect=(0, 0.2, 1, 0.8))
        self.update()

    def compute(self, patient=1, lr_factor=1.0):
        fault = self.patients[int(patient)]
        return fault, D.fault_run(fault, lr_factor=lr_factor), \
            D.fault_run(fault, lr_factor=lr_factor, with_fault=False)

    def update(self, patient=1, lr_factor=1.0, diagnosis=CHOOSE):
        fault, r, twin = self.compute(patient, lr_factor)
        self.fault, self.record = fault, r
        ipe = r.iterations_per_epoch

        def per_update(values):
            return np.arange(len(values)) / ipe, np.clip(values, 1e-3, 1e4)

        self.twin_loss.set_data(*per_update(twin.loss))
        self.loss.set_data(*per_update(r.loss))
        self.val.set_data(np.arange(1, r.epochs_run + 1), np.clip(r.val_loss, 1e-3, 1e2))
        self.twin_grad.set_data(*per_update(twin.grad_norm))
        self.grad.set_data(*per_update(r.grad_norm))
        e = np.arange(1, r.epochs_run + 1)
        self.zero1.set_data(e, r.zero_fraction[:, 0])
        self.zero2.set_data(e, r.zero_fraction[:, 1])
        self.spread.set_data(e, np.clip(r.preact_std.mean(axis=1) / 3, 0, 1.05))
        data = (f"Patient {patient}, rate x{lr_factor:g}. Labels per mini-batch: "
                f"{np.mean(r.batch_classes):.1f} of 10. ")
        verdict = doctor_verdict(r, fault, diagnosis)
        self.message.set_text(textwrap.fill(data + verdict, 105))


def explore_doctor(patient=1, lr_factor=1.0, seed=0):
    """The training doctor: choose a patient, change its rate, name its fault."""
    from nnlesson.viz.widgets import choice, interactive_plot, selection_slider

    drawing = DoctorExplorer(seed)
    options = [(CHOOSE, CHOOSE)] + [(D.FAULT_LABELS[f], f) for f in D.FAULTS]
    return interactive_plot(
        drawing.figure, drawing.update,
        patient=choice([(f"patient {i}", i) for i in drawing.patients], patient,
                       description="patient"),
        lr_factor=selection_slider(LR_FACTORS, lr_factor, description="learning rate x"),
        diagnosis=choice(options, CHOOSE, description="your diagnosis"),
    )


def snapshot_doctor(patient=1, lr_factor=1.0, diagnosis=CHOOSE, seed=0):
    """The doctor's figure for one patient (a static figure for slides)."""
    drawing = DoctorExplorer(seed, bake=False)
    drawing.update(patient, lr_factor, diagnosis)
    from nnlesson.viz.plotting import describe

    r = drawing.record
    return describe(drawing.figure,
                    f"Patient {patient}'s curves in colour beside its healthy twin's in grey: "
                    f"the loss per update starts at {r.initial_loss:.2g} and ends the last "
                    f"epoch at {r.train_loss[-1]:.2g}; the gradient norm per update; the share "
                    f"of zero ReLU outputs per epoch in both hidden layers.")
