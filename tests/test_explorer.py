"""The Explorer base: ladders, the controls spec, values checked once, scenes, the cache, the
background precompute, the widget's placeholder and alt text, and every ported explorer's size.

A small explorer defined here (a line whose slope and offset are controls, two scenes) checks
the machinery; the last tests walk every Explorer subclass of the lessons.
"""
import importlib
import io
import threading

import numpy as np
import pytest
from PIL import Image

from nnlesson.course import LESSONS
from nnlesson.viz import explorer as ex
from nnlesson.viz.explorer import (
    EXPLORERS,
    FIT_HEIGHT,
    FIT_WIDTH,
    Choice,
    Explorer,
    Slider,
    Toggle,
    linear_ladder,
    log_ladder,
)
from nnlesson.viz.plotting import smallest_text_px
from nnlesson.viz.widgets import RUN_NOTICE, sample_values

# --------------------------------------------------------------------------- ladders


def test_a_1_2_5_ladder_is_the_round_numbers_of_each_decade():
    assert log_ladder(1e-3, 1, "1-2-5") == (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2,
                                            0.5, 1.0)
    assert log_ladder(0.01, 0.5, "1-2-3-5") == (0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5)
    # the value a student types, not 3 * 0.1 = 0.30000000000000004
    assert 0.3 in log_ladder(1e-3, 1, "1-2-3-5") and 0.1 * 3 not in log_ladder(1e-3, 1, "1-3")


def test_a_ladder_includes_the_values_a_lesson_names():
    ladder = log_ladder(1e-3, 1, "1-2-5", include=(0.06, 0.006))
    assert 0.06 in ladder and 0.006 in ladder and list(ladder) == sorted(ladder)
    assert len(set(ladder)) == len(ladder)


@pytest.mark.parametrize("args, match", [
    ((0, 1), "0 < low <= high"),
    ((1, 0.1), "0 < low <= high"),
    ((1e-3, 1, "1-20"), "mantissas in"),
    ((1e-3, 1, "1-2-5", (2.0,)), r"include must hold numbers in \[0.001, 1\]"),
])
def test_log_ladder_rejects_bad_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        log_ladder(*args)


def test_a_linear_ladder_is_written_as_decimals():
    betas = linear_ladder(0.0, 0.99, 0.01)
    assert len(betas) == 100 and betas[0] == 0.0 and betas[-1] == 0.99
    assert 0.9 in betas and 0.44 in betas and 0.67 in betas  # as typed, not 0.9000000000000001
    assert [repr(b) for b in betas[88:92]] == ["0.88", "0.89", "0.9", "0.91"]
    assert linear_ladder(1, 5, 2) == (1, 3, 5) and all(isinstance(v, int)
                                                        for v in linear_ladder(1, 5, 2))
    assert linear_ladder(0.05, 0.5, 0.05)[-1] == 0.5
    with pytest.raises(ValueError, match="step must be > 0"):
        linear_ladder(0.0, 1.0, 0.0)


# --------------------------------------------------------------------------- a small explorer


class Line(Explorer):
    """y = slope * x + offset on [0, 1]; the offset applies only to the "shifted" form."""

    controls = (
        Choice("form", "form", [("through the origin", "origin"), ("shifted", "shifted")],
               default="origin"),
        Slider("slope", "slope", log_ladder(0.1, 10, "1-2-5", include=(3.0,)), default=1.0),
        Slider("offset", "offset", linear_ladder(-1.0, 1.0, 0.1), default=0.0,
               visible_when={"form": "shifted"}),
        Toggle("grid", "grid", default=False, enabled_when={"form": "shifted"}),
    )
    size = (600, 300)
    alt = "A straight line on [0, 1] and its slope; the y axis depends on the form."

    def __init__(self):
        super().__init__()
        self.computed = []
        self.scenes_drawn = []

    def build(self, fig):
        self.ax = fig.subplots()
        (self.line,) = self.ax.plot([0, 1], [0, 0], label="y = slope x + offset")
        self.ax.set_xlabel("x")
        self.ax.set_ylabel("y")
        self.ax.legend(loc="upper left", fontsize=6)  # too small: the base raises it
        return [self.line]

    def scene(self, form):
        return form

    def draw_scene(self, key):
        self.scenes_drawn.append(key)
        self.ax.set_ylim(0, 11) if key == "origin" else self.ax.set_ylim(-2, 12)
        self.ax.set_title(f"the line, {key}")

    def compute(self, form, slope, offset):
        self.computed.append((form, slope, offset))
        return np.array([0.0, slope]) + (offset if form == "shifted" else 0.0)

    def update(self, result, slope):
        self.line.set_ydata(result)
        return f"slope {slope:g}"


def pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


def test_explore_draws_once_and_each_move_redraws():
    demo = Line().explore(slope=2.0)
    assert demo.update_count == 1 and demo.values()["slope"] == 2.0
    before = bytes(demo.image.value)
    demo.set(slope=5.0)
    assert demo.update_count == 2 and bytes(demo.image.value) != before
    assert demo.explorer.result.tolist() == [0.0, 5.0]


def test_the_png_is_the_size_it_is_shown_and_its_text_is_large_enough():
    demo = Line().explore()
    height, width, _ = pixels(demo.image.value).shape
    assert (width, height) == Line.size
    assert demo.image.layout.width == "600px" and demo.image.layout.max_width == "100%"
    assert smallest_text_px(demo.figure) >= 14  # the legend's fontsize=6 was raised


def test_the_png_records_the_smallest_text_the_backdrop_painted():
    """Static texts are painted once and hidden; the PNG still records their size (14 px), which
    the slide builder reads (the only visible text here would be none)."""
    from nnlesson.viz.plotting import FONT_PX_KEY

    class Quiet(Line):
        show_summary = False

    demo = Quiet().explore()
    assert not [t for t in demo.figure.texts if t.get_visible()]
    assert Image.open(io.BytesIO(demo.image.value)).info[FONT_PX_KEY] == "14.00"


def test_a_value_from_code_is_checked_with_an_error_that_names_the_control():
    explorer = Line()
    with pytest.raises(ValueError, match=r"slope \(slope\) must be one of the slider's values "
                                         r".*got 4.0; the nearest are 3 or 5"):
        explorer.explore(slope=4.0)
    demo = Line().explore()
    with pytest.raises(ValueError, match=r"form \(form\) must be one of 'origin', 'shifted'; "
                                         r"got 'tilted'"):
        demo.set(form="tilted")
    with pytest.raises(ValueError, match="control must be one of form, slope, offset, grid; "
                                         "got 'slop'"):
        demo.set(slop=2.0)
    with pytest.raises(ValueError, match="grid .* must be True or False; got 1"):
        demo.set(grid=1)
    # a value within rounding of a ladder value becomes that value (0.1 * 3 -> 0.3)
    demo.set(form="shifted", offset=0.1 * 3)
    assert demo.values()["offset"] == 0.3 and demo.explorer.values["offset"] == 0.3


def test_compute_runs_once_per_setting_and_only_for_what_it_names():
    explorer = Line()
    demo = explorer.explore()
    assert explorer.computed == [("origin", 1.0, 0.0)]
    demo.set(slope=2.0)
    demo.set(slope=1.0)  # seen before: drawn from the cache
    demo.set(grid=True)  # compute does not name grid: nothing to compute
    assert explorer.computed == [("origin", 1.0, 0.0), ("origin", 2.0, 0.0)]
    assert demo.update_count == 4


def test_update_receives_exactly_the_controls_it_names():
    seen = []

    class Named(Line):
        def update(self, result, slope, form):
            seen.append((slope, form))
            self.line.set_ydata(result)

    demo = Named().explore()
    demo.set(slope=0.5)
    assert seen[-1] == (0.5, "origin")


def test_a_method_that_names_an_unknown_control_is_refused_when_the_class_is_made():
    with pytest.raises(TypeError, match=r"Bad.update takes lr, which is not a control "
                                        r"\(controls: form, slope, offset, grid\)"):
        class Bad(Line):
            def update(self, result, lr):
                pass
    with pytest.raises(ValueError, match="Quiet.alt must say what the plot shows"):
        class Quiet(Line):
            alt = "plot"
    with pytest.raises(ValueError, match="has a name twice"):
        class Twice(Line):
            controls = Line.controls + (Toggle("grid", "grid again"),)
    with pytest.raises(ValueError, match="which is not another control"):
        class Orphan(Line):
            controls = (Toggle("grid", "grid", visible_when={"mode": "a"}),)


def test_each_scene_is_painted_once_and_switching_draws_the_same_pixels_as_a_plain_figure():
    explorer = Line()
    demo = explorer.explore()
    pictures = explorer._backdrop._pictures
    # both scenes painted when the widget was made
    assert sorted(key for _, key in pictures) == ["origin", "shifted"]
    painted = {key: id(picture) for key, picture in pictures.items()}
    for form in ("shifted", "origin", "shifted"):
        demo.set(form=form)
        assert explorer.ax.get_title() == f"the line, {form}"  # its limits and title are set
    assert {key: id(picture) for key, picture in pictures.items()} == painted  # not repainted
    demo.set(form="origin", slope=2.0)
    plain = Line().snapshot(form="origin", slope=2.0)
    from nnlesson.viz.plotting import png_bytes

    live, still = pixels(demo.image.value), pixels(png_bytes(plain))
    assert live.shape == still.shape
    assert np.mean(np.any(np.abs(live - still) > 40, axis=-1)) < 0.01


def test_a_control_that_does_not_apply_is_hidden_or_disabled():
    demo = Line().explore()
    offset, grid = demo.controls["offset"], demo.controls["grid"]
    assert offset.layout.display == "none" and grid.disabled
    assert not any(r.startswith("offset") for r in demo.readouts())
    demo.set(form="shifted")
    assert offset.layout.display is None and not grid.disabled
    assert any(r.startswith("offset") for r in demo.readouts())


def test_one_step_right_then_left_comes_back_to_the_same_value():
    demo = Line().explore()
    slider = demo.controls["slope"]
    for index in range(len(slider.options) - 1):
        slider.index = index
        value = slider.value
        slider.index = index + 1  # what ArrowRight does in the browser
        slider.index = index
        assert slider.value == value and slider.label == Line.controls[1].readout(value)


def test_the_plot_has_alt_text_with_what_it_shows_and_the_current_values():
    demo = Line().explore(slope=3.0)
    alt = demo.alt_text
    assert alt.startswith(Line.alt) and "slope 3." in alt  # what update() said
    assert "Settings: form = through the origin, slope = 3, grid = off." in alt
    assert "offset" not in alt  # hidden: it does not apply to this form
    demo.set(slope=5.0)
    assert "slope = 5" in demo.alt_text
    import html

    assert demo.description.value == html.escape(demo.alt_text)  # the text the browser reads
    assert "nnlesson-plot-alt" in demo.description._dom_classes
    assert demo.description in demo.widget.children
    assert "nnlesson-plot" in demo.image._dom_classes
    assert "nnlesson-status" in demo.status._dom_classes
    assert "nnlesson-explorer" in demo.widget._dom_classes


def test_the_placeholder_shows_the_stored_picture_with_a_notice_and_alt_text():
    import base64
    import html

    demo = Line().explore(slope=2.0)
    bundle = demo._repr_mimebundle_()
    view = bundle["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == demo.widget.model_id
    png = base64.b64decode(bundle["image/png"])
    assert png == bytes(demo.image.value)
    page = bundle["text/html"]
    assert html.escape(RUN_NOTICE) in page
    assert f'src="data:image/png;base64,{bundle["image/png"]}"' in page
    assert f'alt="{html.escape(demo.alt_text, quote=True)}"' in page
    assert 'width="600" height="300"' in page
    assert "slope = 2" in page  # the settings line
    assert bundle["text/plain"].startswith(RUN_NOTICE) and "VBox" not in bundle["text/plain"]


def test_displaying_the_widget_also_displays_the_accessibility_script(monkeypatch):
    from IPython import display as ipy_display

    shown = []
    monkeypatch.setattr(ipy_display, "display", lambda obj, raw=False: shown.append(obj))
    Line().explore()._ipython_display_()
    script, widget = shown
    assert "aria-valuetext" in script["application/javascript"] and script["text/plain"] == ""
    assert "application/vnd.jupyter.widget-view+json" in widget and "text/html" in widget


def test_snapshot_is_a_static_figure_with_alt_text_and_shares_the_cache():
    from nnlesson.viz.plotting import alt_text

    explorer = Line()
    demo = explorer.explore()
    fig = explorer.snapshot(slope=1.0)  # the setting the widget already computed
    assert fig is not demo.figure and explorer.computed == [("origin", 1.0, 0.0)]
    assert alt_text(fig).startswith(Line.alt) and "slope = 1" in alt_text(fig)
    assert fig.get_layout_engine() is not None  # not frozen: an ordinary figure
    second = explorer.explore(slope=2.0)  # a second widget of the same explorer: its own figure
    assert second.figure is not demo.figure


def test_an_error_in_compute_reaches_the_widget_and_is_not_cached():
    class Failing(Line):
        def compute(self, slope):
            if slope > 5:
                raise RuntimeError("diverged")
            return np.array([0.0, slope])

    explorer = Failing()
    demo = explorer.explore()
    for _ in range(2):
        with pytest.raises(RuntimeError, match="diverged"):
            demo.set(slope=10.0)
        assert demo.status.value == ""
        demo.set(slope=1.0)
    assert not explorer.cached({**explorer.defaults(), "slope": 10.0})


# --------------------------------------------------------------------------- precompute


class Slow(Line):
    """Line whose compute records the thread it ran on; precomputes along the slope."""

    precompute = ("slope",)

    def compute(self, form, slope, offset):
        self.computed.append((threading.current_thread().name, slope))
        return np.array([0.0, slope]) + (offset if form == "shifted" else 0.0)


def test_precompute_computes_every_value_of_the_named_controls_nearest_first():
    explorer = Slow()
    demo = explorer.explore(slope=1.0)
    assert [s for _, s in explorer.computed] == [1.0]  # not in a Jupyter session: no thread
    assert explorer.warm(wait=True, timeout=30)
    slopes = [s for name, s in explorer.computed[1:]]
    ladder = list(Line.controls[1].values)
    assert sorted(slopes) == sorted(v for v in ladder if v != 1.0)
    assert slopes[:2] == [0.5, 2.0]  # the neighbours first
    assert all(name.startswith("precompute") for name, _ in explorer.computed[1:])
    count = len(explorer.computed)
    demo.set(slope=10.0)  # already there: nothing computed in the widget's thread
    assert len(explorer.computed) == count


def test_precomputed_results_are_the_ones_the_widget_computes():
    warmed, cold = Slow(), Slow()
    warmed.explore().explorer.warm(wait=True, timeout=30)
    demo_w, demo_c = warmed._widget, cold.explore()
    for value in (0.2, 3.0, 10.0):
        demo_w.set(slope=value)
        demo_c.set(slope=value)
        assert np.array_equal(warmed.result, cold.result)
        assert bytes(demo_w.image.value) == bytes(demo_c.image.value)


def test_precompute_starts_by_itself_in_a_jupyter_session(monkeypatch):
    monkeypatch.setenv("JPY_SESSION_NAME", "notebooks/04_momentum.ipynb")
    explorer = Slow()
    explorer.explore()
    assert explorer.warm(wait=True, timeout=30)  # already planned: this only waits
    assert len(explorer.computed) == len(Line.controls[1].values)


def test_a_move_by_a_student_plans_the_precompute_and_a_move_from_code_does_not():
    explorer = Slow()
    demo = explorer.explore()
    demo.set(slope=2.0)
    assert explorer._warm.thread is None
    demo.controls["slope"].value = 5.0  # as the browser does
    assert explorer._warm.thread is not None
    assert explorer.warm(wait=True, timeout=30)


def test_the_status_line_says_updating_only_for_a_slow_setting_not_yet_computed():
    import time

    from nnlesson.viz.widgets import BUSY

    seen = []

    class Sleepy(Line):
        def compute(self, slope):
            time.sleep(0.06)
            return np.array([0.0, slope])

        def update(self, result):
            seen.append(self._widget.status.value if self._widget else None)
            self.line.set_ydata(result)

    demo = Sleepy().explore()
    demo.set(slope=2.0)
    demo.set(slope=1.0)  # cached: no message
    assert seen[-2:] == [BUSY, ""]
    assert demo.status.value == ""

    fast = Line().explore()
    fast.set(slope=2.0)
    assert fast.status.value == "" and not fast.explorer._slow


# --------------------------------------------------------------------------- every explorer


def _lesson_explorers():
    for lesson in LESSONS:
        importlib.import_module(f"nnlesson.course.lessons.{lesson.slug}")
    return [cls for cls in EXPLORERS if cls.__module__.startswith("nnlesson.course.lessons")]


def test_lessons_have_explorers_on_the_base():
    assert "MomentumExplorer" in {cls.__name__ for cls in _lesson_explorers()}


@pytest.mark.parametrize("cls", _lesson_explorers(), ids=lambda cls: cls.__name__)
def test_every_explorer_fits_a_1366x768_screen_and_is_readable(cls):
    width, height = cls.size
    columns = cls.columns or (2 if len(cls.controls) > 4 else 1)
    rows = -(-len(cls.controls) // columns)
    assert width <= FIT_WIDTH
    assert height + rows * ex._CONTROL_HEIGHT + ex._STATUS_HEIGHT <= FIT_HEIGHT
    demo = cls().explore()
    assert smallest_text_px(demo.figure) >= 14
    assert pixels(demo.image.value).shape[:2] == (height, width)
    for name, control in demo.controls.items():
        for value in sample_values(control, n=2):
            demo.set(**{name: value})
            assert demo.alt_text.startswith(cls.alt.split()[0])
