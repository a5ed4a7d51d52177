"""Lesson 14's training doctor: a patient with a hidden fault, its instruments beside its
healthy twin's, and a diagnosis checked against the evidence.

The patients are :func:`nnlesson.course.patients.patient`'s runs; :func:`patients` hides which
fault each of the eight numbers has (a seeded permutation), :func:`doctor_verdict` answers a
diagnosis from :func:`nnlesson.diagnosis.explain`. :class:`DoctorExplorer`
(:func:`explore_doctor`, :func:`snapshot_doctor`) is the live experiment.
"""
from __future__ import annotations

import textwrap

import numpy as np

from nnlesson.course.patients import patient
from nnlesson.diagnosis import FAULT_LABELS, FAULTS, diagnose, explain
from nnlesson.viz.explorer import Choice, Explorer, Slider
from nnlesson.viz.plotting import PALETTE, TEXT_PX, describe, figure, label_axes

__all__ = ["LR_FACTORS", "CHOOSE", "patient", "patients", "doctor_verdict", "DoctorExplorer",
           "explore_doctor", "snapshot_doctor", "figure_instruments"]

#: The rate changes the doctor offers: the patient's own rate times these.
LR_FACTORS = (0.1, 0.3, 1.0, 3.0)
CHOOSE = "(choose)"
EPOCHS = 12
_GREY = "#a0a0a0"
_WRAP = 104  # characters per line of the verdict under the plots
_LINES = 4


def patients(seed=0):
    """The hidden fault of patients 1 to 8: a permutation of :data:`nnlesson.diagnosis.FAULTS`
    drawn with ``default_rng(seed)``."""
    order = np.random.default_rng(seed).permutation(len(FAULTS))
    return {i + 1: FAULTS[k] for i, k in enumerate(order)}


def doctor_verdict(record, fault, answer):
    """The doctor's answer to the diagnosis ``answer`` for a patient whose fault is ``fault``:
    right or not, and why, from the evidence of ``record``."""
    if answer in (None, CHOOSE):
        return "Read the instruments, then choose a diagnosis."
    if answer == fault:
        fits, why = explain(record, fault)
        if fits:
            return "Right. " + why
        return (f"Right: {FAULT_LABELS[fault]}. At this learning rate the evidence points "
                f"elsewhere ({FAULT_LABELS[diagnose(record).fault]}); at x1 it is clearer.")
    _, why = explain(record, answer)
    hint = ("" if diagnose(record).fault == fault else
            " (At this learning rate the fault hides: go back to x1.)")
    return f"Not quite: {why}{hint}"


def _factor(value):
    return f"x{value:g}"


class DoctorExplorer(Explorer):
    """The training doctor: one patient's instruments in colour, its healthy twin's in grey.

    Left: the loss of every update, and per epoch the validation loss the training loop
    reported and the one the monitor measured in evaluation mode. Middle: the global gradient
    norm of every update. Right: per epoch, the share of zero ReLU outputs in each hidden
    layer (epoch 0: before training) and, for a network with batch norm, how much its running
    statistics moved. Under the plots: the labels per mini-batch, and the verdict on the
    diagnosis chosen.

    Args:
        seed: the random seed of the permutation that hides the faults (:func:`patients`).
    """

    controls = (
        Choice("patient", "patient", [(f"patient {i}", i) for i in range(1, len(FAULTS) + 1)],
               default=1),
        Slider("lr_factor", "learning rate", LR_FACTORS, default=1.0, fmt=_factor),
        Choice("diagnosis", "your diagnosis",
               [(CHOOSE, CHOOSE)] + [(FAULT_LABELS[f], f) for f in FAULTS], default=CHOOSE),
    )
    size = (900, 460)
    columns = 2
    # one setting of the rate trains all eight patients (and their three distinct twins), so
    # the background's plan over the rates covers every setting the widget can show
    precompute = ("lr_factor",)
    show_summary = False  # the verdict needs up to four lines: drawn by update
    alt = ("Three panels for one training run (colour) and its healthy twin (grey) over 12 "
           "epochs: the loss of every update on a log axis with the validation loss per epoch "
           "as the loop reported it and as measured in evaluation mode; the gradient norm of "
           "every update on a log axis; the share of zero ReLU outputs per hidden layer and how "
           "much batch norm's running statistics moved, per epoch.")

    def __init__(self, seed=0):
        super().__init__()
        self.seed = seed
        self.hidden = patients(seed)

    def build(self, fig):
        ax_loss, ax_grad, ax_act = fig.subplots(1, 3)
        (self.twin_loss,) = ax_loss.plot([], [], color=_GREY, linewidth=1.0,
                                         label="healthy twin")
        (self.loss,) = ax_loss.plot([], [], color=PALETTE[0], linewidth=1.0, label="patient")
        (self.val,) = ax_loss.plot([], [], color=PALETTE[3], marker="o", linestyle="none",
                                   markersize=7, label="validation, the loop's")
        (self.val_eval,) = ax_loss.plot([], [], color=PALETTE[7], marker="x", linestyle="none",
                                        markersize=7, label="validation, eval mode")
        (self.twin_grad,) = ax_grad.plot([], [], color=_GREY, linewidth=1.0)
        (self.grad,) = ax_grad.plot([], [], color=PALETTE[0], linewidth=1.0)
        epochs = np.arange(EPOCHS + 1)
        nan = np.full(EPOCHS + 1, np.nan)
        (self.zero1,) = ax_act.plot(epochs, nan, color=PALETTE[2], marker="s",
                                    label="zero outputs, layer 1")
        (self.zero2,) = ax_act.plot(epochs, nan, color=PALETTE[4], marker="^", linestyle="-.",
                                    label="zero outputs, layer 2")
        (self.moved,) = ax_act.plot(epochs, nan, color=PALETTE[1], marker="D", linestyle=":",
                                    label="batch norm stats moved")
        for ax in (ax_loss, ax_grad, ax_act):
            ax.set_xlim(0, EPOCHS)
        ax_loss.set_yscale("log")
        ax_loss.set_ylim(1e-3, 1e2)
        ax_grad.set_yscale("log")
        ax_grad.set_ylim(1e-2, 1e4)
        ax_act.set_ylim(-0.03, 1.05)
        label_axes(ax_loss, title="loss", xlabel="epoch", ylabel="loss (log)")
        label_axes(ax_grad, title="gradient norm", xlabel="epoch", ylabel="global norm (log)")
        label_axes(ax_act, title="ReLUs and batch norm", xlabel="epoch", ylabel="share")
        handles = [self.loss, self.twin_loss, self.val, self.val_eval, self.zero1, self.zero2,
                   self.moved]
        fig.legend(handles=handles, loc="outside upper center", ncols=4, frameon=False,
                   handlelength=2.0, columnspacing=1.2)
        strip = (_LINES * (TEXT_PX + 4) + 8) / self.size[1]
        fig.get_layout_engine().set(rect=(0, strip, 1, 1 - strip))
        self.message = fig.text(0.01, 4 / self.size[1], "", ha="left", va="bottom",
                                fontsize=TEXT_PX * 72 / fig.dpi, linespacing=1.25)
        return [self.twin_loss, self.loss, self.val, self.val_eval, self.twin_grad, self.grad,
                self.zero1, self.zero2, self.moved, self.message]

    def compute(self, lr_factor):
        """Every patient at this rate: ``{patient: (fault, record, healthy twin's record)}``
        (cached runs)."""
        return {number: (fault, _patient(fault, lr_factor, True),
                         _patient(fault, lr_factor, False))
                for number, fault in self.hidden.items()}

    def update(self, result, patient, lr_factor, diagnosis):
        fault, r, twin = result[patient]
        ipe = r.iterations_per_epoch

        def per_update(values, low, high):
            values = np.asarray(values, dtype=float)
            return np.arange(1, len(values) + 1) / ipe, np.clip(values, low, high)

        self.twin_loss.set_data(*per_update(twin.loss, 1e-3, 1e2))
        self.loss.set_data(*per_update(r.loss, 1e-3, 1e2))
        e = np.arange(1, r.epochs_run + 1)
        self.val.set_data(e, np.clip(r.val_loss, 1e-3, 1e2))
        self.val_eval.set_data(e, np.clip(r.val_loss_eval, 1e-3, 1e2))
        self.twin_grad.set_data(*per_update(twin.grad_norm, 1e-2, 1e4))
        self.grad.set_data(*per_update(r.grad_norm, 1e-2, 1e4))
        zero = np.full((EPOCHS + 1, 2), np.nan)
        zero[0] = r.initial_zero_fraction[:2]
        zero[1: r.epochs_run + 1] = r.zero_fraction[:, :2]
        self.zero1.set_ydata(zero[:, 0])
        self.zero2.set_ydata(zero[:, 1])
        moved = np.full(EPOCHS + 1, np.nan)
        moved[1: r.epochs_run + 1] = np.clip(r.batchnorm_change, 0, 1)
        self.moved.set_ydata(moved)
        rate = "its own learning rate" if lr_factor == 1 else f"{lr_factor:g} x its learning rate"
        data = (f"Patient {patient} at {rate}; labels per mini-batch: "
                f"{np.mean(r.batch_classes):.1f} of {r.n_classes} on average.")
        verdict = doctor_verdict(r, fault, diagnosis)
        lines = [data] + textwrap.wrap(verdict, _WRAP)
        if len(lines) > _LINES:  # never cut a sentence off silently
            lines = lines[:_LINES - 1] + [textwrap.shorten(" ".join(lines[_LINES - 1:]), _WRAP)]
        self.message.set_text("\n".join(lines))
        return f"{data} {verdict}"


def _patient(fault, lr_factor, with_fault):
    return patient(fault, lr_factor=lr_factor, epochs=EPOCHS, with_fault=with_fault)


def explore_doctor(seed=0, **values):
    """The training doctor's widget (controls ``patient``, ``lr_factor``, ``diagnosis``; see
    :class:`DoctorExplorer`)."""
    return DoctorExplorer(seed).explore(**values)


def snapshot_doctor(seed=0, **values):
    """The training doctor's figure for one setting, with its alt text (a static Figure)."""
    return DoctorExplorer(seed).snapshot(**values)


def figure_instruments(records):
    """The doctor's instruments for several runs, one row each (``{name: RunRecord}``): the
    loss of every update with the validation loss per epoch (as the loop measured it, and in
    evaluation mode), the gradient norm of every update, and the share of zero ReLU outputs
    per hidden layer with the movement of batch norm's statistics."""
    n = len(records)
    fig, axes = figure((880, 40 + 200 * n), ncols=3, nrows=n)
    axes = np.atleast_2d(axes)
    for row, (name, r) in zip(axes, records.items()):
        ax_loss, ax_grad, ax_act = row
        t = np.arange(1, len(r.loss) + 1) / r.iterations_per_epoch
        e = np.arange(1, r.epochs_run + 1)
        ax_loss.plot(t, np.clip(r.loss, 1e-3, 1e2), color=PALETTE[0], linewidth=0.8)
        ax_loss.plot(e, np.clip(r.val_loss, 1e-3, 1e2), color=PALETTE[3], marker="o",
                     linestyle="none", label="validation, the loop's")
        ax_loss.plot(e, np.clip(r.val_loss_eval, 1e-3, 1e2), color=PALETTE[7], marker="x",
                     linestyle="none", label="validation, eval mode")
        ax_loss.set_yscale("log")
        ax_loss.set_ylim(1e-3, 1e2)
        ax_grad.plot(t, np.clip(r.grad_norm, 1e-2, 1e4), color=PALETTE[0], linewidth=0.8)
        ax_grad.set_yscale("log")
        ax_grad.set_ylim(1e-2, 1e4)
        epochs = np.arange(r.epochs_run + 1)
        for j, (colour, marker) in enumerate(((PALETTE[2], "s"), (PALETTE[4], "^"))):
            zero = np.r_[r.initial_zero_fraction[j], r.zero_fraction[:, j]]
            ax_act.plot(epochs, zero, color=colour, marker=marker, markersize=4,
                        label=f"zero outputs, layer {j + 1}")
        if r.has_batchnorm:
            ax_act.plot(e, np.clip(r.batchnorm_change, 0, 1), color=PALETTE[1], marker="D",
                        linestyle=":", markersize=4, label="batch norm stats moved")
        ax_act.set_ylim(-0.03, 1.05)
        for ax in row:
            ax.set_xlim(0, max(r.epochs_run, 1))
        ax_loss.set_ylabel(f"{name}: loss")
        ax_grad.set_ylabel("gradient norm")
        ax_act.set_ylabel("share")
    axes[0, 0].set_title("loss per update (log)")
    axes[0, 1].set_title("gradient norm (log)")
    axes[0, 2].set_title("ReLUs and batch norm")
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    handles = axes[0, 0].get_lines()[1:] + axes[0, 2].get_lines()[:2]
    fig.legend(handles=handles, loc="outside upper center", ncols=4, frameon=False)
    return describe(fig, f"{n} rows, one per training run ({', '.join(records)}), each with "
                         "three panels over the epochs: the loss of every update on a log axis "
                         "with the validation loss per epoch as the loop measured it (dots) and "
                         "in evaluation mode (crosses); the gradient norm of every update on a "
                         "log axis; the share of zero ReLU outputs in each hidden layer, from "
                         "before training (epoch 0).")
