"""Every experiment of every lesson, driven from code as a student drives it with the mouse.

For each ``explore_*`` function in ``nnlesson/course/lessons/<slug>.py``: build it, move each control
to other valid values, and check that the callback ran and the picture changed. No browser is
needed: the widgets' values are set directly (the browser suite does the same through
JupyterLab).
"""
import importlib
import inspect

import pytest

from nnlesson.course import LESSONS
from nnlesson.viz.widgets import Interactive, interactive_plot, lr_slider, sample_values


# Knobs whose effect shows only when another control is set otherwise; from the defaults they
# must still trigger a redraw, but the picture may rightly stay the same.
CONTEXT_DEPENDENT = {
    ("explore_backprop", "lr"): "the learning rate shows only at the last step, the update",
    ("explore_schedules", "decay"): "the default schedule (cosine annealing) has no decay",
    ("explore_schedules", "period"): "cosine annealing has no restart period",
    ("explore_schedules", "T_mult"): "cosine annealing has no restart period",
    ("explore_schedules", "pct_start"): "cosine annealing has no warm-up phase",
    ("explore_train_vs_eval", "momentum"): "running statistics matter only in eval mode",
    ("explore_train_vs_eval", "batches_seen"): "running statistics matter only in eval mode",
}


def explorers():
    found = []
    for lesson in LESSONS:
        module = importlib.import_module(f"nnlesson.course.lessons.{lesson.slug}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("explore_") and fn.__module__ == module.__name__:
                found.append(pytest.param(fn, id=f"{lesson.name}.{name}"))
    return found


def test_every_lesson_has_an_experiment():
    covered = {p.id.split(".")[0] for p in explorers()}
    assert covered == {lesson.name for lesson in LESSONS}


@pytest.mark.parametrize("explore", explorers())
def test_moving_each_control_redraws_the_plot(explore):
    demo = explore()
    assert isinstance(demo, Interactive)
    assert demo.update_count == 1 and demo.image.value  # drawn once when shown
    defaults = demo.values()
    for name, control in demo.controls.items():
        # each control is moved from the experiment's starting point (with the others at their
        # defaults): a knob may rightly do nothing elsewhere, e.g. shuffling a full batch
        demo.set(**defaults)
        for value in sample_values(control, n=2):
            before_count, before_png = demo.update_count, bytes(demo.image.value)
            demo.set(**{name: value})
            assert demo.update_count > before_count, f"moving {name!r} did not redraw"
            if (explore.__name__, name) not in CONTEXT_DEPENDENT:
                assert bytes(demo.image.value) != before_png, (
                    f"moving {name!r} to {value!r} changed nothing")
        demo.set(**{name: defaults[name]})


def test_set_rejects_an_unknown_control():
    from nnlesson.viz.plotting import new_figure

    fig, ax = new_figure()
    (line,) = ax.plot([0, 1], [0, 1])
    demo = interactive_plot(fig, lambda lr: line.set_ydata([0, lr]), lr=lr_slider(0.1))
    with pytest.raises(ValueError, match="control must be one of lr"):
        demo.set(learning_rate=0.2)


def test_the_status_line_says_updating_while_an_update_runs():
    from nnlesson.viz.plotting import new_figure
    from nnlesson.viz.widgets import BUSY

    fig, ax = new_figure()
    (line,) = ax.plot([0, 1], [0, 1])
    seen = []
    demo = None

    def update(lr):
        seen.append(demo.status.value if demo else None)  # what the student sees meanwhile
        line.set_ydata([0, lr])

    demo = interactive_plot(fig, update, lr=lr_slider(0.1))
    demo.set(lr=0.2)
    assert seen[-1] == BUSY and "updating" in BUSY
    assert demo.status.value == ""  # cleared once the plot is drawn
    assert demo.status in demo.widget.children


def test_a_failing_update_clears_the_status_line():
    from nnlesson.viz.plotting import new_figure

    fig, _ = new_figure()
    calls = []

    def update(lr):
        calls.append(lr)
        if len(calls) > 1:
            raise RuntimeError("boom")

    demo = interactive_plot(fig, update, lr=lr_slider(0.1))
    with pytest.raises(RuntimeError, match="boom"):
        demo.redraw()
    assert demo.status.value == ""


def test_learning_rate_slider_is_logarithmic():
    slider = lr_slider(0.1, min_exp=-3, max_exp=0)
    values = sample_values(slider, n=3)
    ratios = [b / a for a, b in zip(values, values[1:])]
    assert ratios == pytest.approx([ratios[0]] * len(ratios))  # evenly spaced in log
    assert all(1e-3 <= v <= 1 for v in values)
