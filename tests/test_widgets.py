"""Every experiment of every lesson, driven from code as a student drives it with the mouse.

For each ``explore_*`` function of ``nnlesson/course/lessons/<slug>`` (a module, or a package
of them): build it, move each control to other valid values, and check that the callback ran,
the picture changed and says what it shows (alt text). Explorers on the base
(:mod:`nnlesson.viz.explorer`) and the older ``interactive_plot`` ones are driven alike. No
browser is needed: the widgets' values are set directly (the browser suite does the same
through JupyterLab). Then the widget layer itself: ladder sliders, the placeholder, the
accessibility script, the status line.
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
CONTEXT_DEPENDENT.update({("explore_landscape", f"{surface}_{axis}"): "a surface's start point "
                          "is used only while that surface is chosen"
                          for surface in ("bowl", "rosenbrock", "beale", "saddle") for axis in "xy"})


def explorers():
    found = []
    for lesson in LESSONS:
        module = importlib.import_module(f"nnlesson.course.lessons.{lesson.slug}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("explore_") and (fn.__module__ == module.__name__ or
                                                fn.__module__.startswith(module.__name__ + ".")):
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
    assert len(demo.alt_text) > 30  # the plot's alt text
    defaults = demo.values()
    for name, control in demo.controls.items():
        # each control is moved from the experiment's starting point (with the others at their
        # defaults): a knob may rightly do nothing elsewhere, e.g. shuffling a full batch
        demo.set(**defaults)
        for value in sample_values(control, n=2):
            before_count, before_png = demo.update_count, bytes(demo.image.value)
            demo.set(**{name: value})
            assert demo.update_count > before_count, f"moving {name!r} did not redraw"
            assert demo.readouts() and demo.alt_text.endswith(".")
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


def test_a_ladder_slider_lands_exactly_on_its_values_and_shows_them_as_written():
    from nnlesson.viz.widgets import ladder_slider

    slider = ladder_slider([0.001, 0.003, 0.06, 0.3, 0.9], 0.06, description="learning rate")
    assert type(slider).__name__ == "SelectionSlider" and slider.value == 0.06
    assert [label for label, _ in slider.options] == ["0.001", "0.003", "0.06", "0.3", "0.9"]
    slider.index += 1  # ArrowRight
    assert slider.value == 0.3 and slider.label == "0.3"
    slider.index -= 1  # ArrowLeft: back to the same value, not 0.063
    assert slider.value == 0.06


def test_format_value_writes_a_value_as_a_student_reads_it():
    from nnlesson.viz.widgets import format_value

    assert [format_value(v) for v in (0.9, 0.1 + 0.8, 0.06, 3e-4, 1e-5, 64, True)] == [
        "0.9", "0.9", "0.06", "0.0003", "1e-05", "64", "on"]


def test_an_older_experiment_also_gets_a_placeholder_alt_text_and_its_natural_size():
    import base64

    from nnlesson.viz.plotting import new_figure
    from nnlesson.viz.widgets import RUN_NOTICE

    fig, ax = new_figure(width=5.0, height=3.0)
    (line,) = ax.plot([0, 1], [0, 1])
    ax.set_title("a line that tilts")
    demo = interactive_plot(fig, lambda lr: line.set_ydata([0, lr]), lr=lr_slider(0.1))
    assert demo.alt_text == "Plot: a line that tilts. Settings: learning rate = 0.1."
    assert demo.image.layout.width == "400px"  # 5 inches at 80 dpi: shown as drawn
    bundle = demo._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == bytes(demo.image.value)
    assert RUN_NOTICE in bundle["text/plain"] and 'alt="Plot: a line that tilts.' in \
        bundle["text/html"]
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == demo.widget.model_id


def test_the_accessibility_script_names_handles_announces_readouts_and_marks_the_status():
    from nnlesson.viz.widgets import A11Y_JS

    for piece in ('"aria-label"', '"aria-valuetext"', ".widget-readout", ".widget-label",
                  '"alt"', ".nnlesson-plot-alt", '"role", "status"', '"aria-live", "polite"',
                  "MutationObserver", ".nnlesson-explorer"):
        assert piece in A11Y_JS, piece
    assert A11Y_JS.count("(") == A11Y_JS.count(")") and A11Y_JS.count("{") == A11Y_JS.count("}")
