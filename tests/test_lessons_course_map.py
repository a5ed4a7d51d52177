"""Lesson 00's experiments: the lesson table, gradient-descent paths, the landscape explorer."""
import re

import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlesson.course import LESSONS
from nnlesson.course.surfaces import SURFACES, Ravine
from nnlesson.course.runner import DIVERGED_NORM
from nnlesson.course.lessons.course_map import (
    LANDSCAPE_LRS,
    LandscapeExplorer,
    explore_landscape,
    figure_surface_gallery,
    gd_path,
    lesson_table,
    snapshot_landscape,
)
from nnlesson.viz.plotting import png_bytes

# --------------------------------------------------------------------------- the lesson table


def test_lesson_table_links_every_lesson_from_the_notebooks_folder():
    table = lesson_table()
    rows = [line for line in table.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert len(rows) == len(LESSONS)
    for row, item in zip(rows, LESSONS):
        assert row.startswith(f"| {item.number:02d} | [{item.title}]({item.name}.ipynb)")
        if item.number == 0:
            assert "exercises/" not in row
        else:
            assert f"(../exercises/{item.name}.ipynb)" in row
            assert f"(../solutions/{item.name}.ipynb)" in row
    assert "[Momentum](04_momentum.ipynb)" in table


def test_lesson_table_from_the_repository_root():
    table = lesson_table(link_from=".")
    assert "[Momentum](notebooks/04_momentum.ipynb)" in table
    assert "(exercises/04_momentum.ipynb)" in table
    assert "../" not in table


def test_lesson_table_rejects_an_unknown_folder():
    with pytest.raises(ValueError, match="link_from must be one of 'notebooks', '.'; got 'x'"):
        lesson_table(link_from="x")


# --------------------------------------------------------------------------- gradient descent


def test_gd_path_on_the_ravine_matches_the_closed_form():
    # On (a x^2 + b y^2) / 2 each step multiplies x by (1 - lr a) and y by (1 - lr b).
    lr, steps = 0.05, 30
    path = gd_path("ravine", lr, start=(-4.5, 2.0), n_steps=steps)
    t = np.arange(steps + 1)
    np.testing.assert_allclose(path.points[:, 0], -4.5 * (1 - lr) ** t, rtol=1e-12)
    np.testing.assert_allclose(path.points[:, 1], 2.0 * (1 - 25 * lr) ** t, rtol=1e-12)
    np.testing.assert_allclose(path.values, 0.5 * (path.points[:, 0] ** 2
                                                   + 25 * path.points[:, 1] ** 2), rtol=1e-12)
    assert not path.diverged


def test_gd_path_accepts_a_surface_object_and_uses_its_default_start():
    path = gd_path(Ravine(a=2.0, b=3.0), 0.1, n_steps=3)
    x0, y0 = Ravine.default_start
    np.testing.assert_allclose(path.points[-1], [x0 * 0.8 ** 3, y0 * 0.7 ** 3], rtol=1e-12)


def test_gd_path_stops_when_it_diverges():
    path = gd_path("ravine", 0.2, n_steps=100)  # y is multiplied by -4 each step
    assert path.diverged
    assert len(path.points) == path.diverged_at
    assert np.all(np.linalg.norm(path.points, axis=1) <= DIVERGED_NORM)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"surface": "valley"}, ValueError, "surface must be one of 'bowl', 'ravine'"),
    ({"lr": 0.0}, ValueError, r"lr must be a finite number > 0, got 0.0"),
    ({"lr": "big"}, TypeError, "lr must be a finite number"),
    ({"n_steps": -1}, ValueError, r"n_steps must be an integer >= 0, got -1"),
    ({"start": (1.0, 2.0, 3.0)}, ValueError, "start must be a point"),
])
def test_gd_path_rejects_bad_arguments(kwargs, error, match):
    args = {"surface": "ravine", "lr": 0.05} | kwargs
    with pytest.raises(error, match=match):
        gd_path(**args)


# --------------------------------------------------------------------------- the explorer


def test_explorer_widget_redraws_on_every_control():
    demo = explore_landscape()
    slider = demo.controls["lr"]
    assert slider.description == "learning rate"
    # the ladder lands exactly on the rates the lesson names, the ravine's limit 2/25 among them
    for lr in (0.05, 0.07, 0.079, 0.08, 0.081, 0.1, 1.0, 0.002, 0.03):
        assert lr in LANDSCAPE_LRS
    assert demo.update_count == 1
    for name, value in [("lr", 0.02), ("ravine_x", -3.0), ("ravine_y", 1.0), ("lr", 0.2)]:
        count, png = demo.update_count, bytes(demo.image.value)
        demo.set(**{name: value})
        assert demo.update_count == count + 1, name
        assert bytes(demo.image.value) != png, name


def test_each_surface_has_its_own_start_sliders_shown_only_while_it_is_chosen():
    demo = explore_landscape()
    for name, surface in SURFACES.items():
        demo.set(surface=name)
        for other in SURFACES:
            shown = demo.controls[f"{other}_x"].layout.display != "none"
            assert shown == (other == name), (name, other)
        (x0, x1), (y0, y1) = surface.bounds
        sx, sy = demo.controls[f"{name}_x"], demo.controls[f"{name}_y"]
        assert (sx.options[0][1], sx.options[-1][1], sy.options[0][1], sy.options[-1][1]) == \
            (x0, x1, y0, y1)
        assert (sx.value, sy.value) == pytest.approx(surface.default_start)
        # the drawing shows the path from that start
        np.testing.assert_allclose(demo.explorer.result.points[0], surface.default_start)
    # a start moved on one surface is kept when the student comes back to it
    demo.set(surface="saddle", saddle_y=0.0)
    demo.set(surface="bowl")
    demo.set(surface="saddle")
    assert demo.explorer.result.points[0][1] == 0.0


def test_the_saddle_question_start_y_exactly_zero():
    """'Set start y to exactly 0': the ladder has 0, and the path then stalls at the saddle."""
    explorer = LandscapeExplorer()
    explorer.explore(surface="saddle", saddle_y=0.0, lr=0.03)
    assert explorer.result.points[0][1] == 0.0 and explorer.result.final[1] == 0.0
    assert np.linalg.norm(explorer.result.final) < 0.01


def test_update_changes_artists_and_keeps_the_figure():
    explorer = LandscapeExplorer()
    demo = explorer.explore(lr=0.01)
    fig, line = explorer.figure, explorer.map.lines["gd"]
    n_children = [len(ax.get_children()) for ax in fig.axes]
    before = line.get_xydata().copy()
    demo.set(lr=0.07)
    assert explorer.figure is fig and explorer.map.lines["gd"] is line
    assert [len(ax.get_children()) for ax in fig.axes] == n_children
    assert not np.array_equal(line.get_xydata(), before)
    np.testing.assert_allclose(line.get_xydata(), gd_path("ravine", 0.07).points)


def test_the_summary_reports_divergence():
    explorer = LandscapeExplorer()
    demo = explorer.explore(lr=0.5)
    assert re.match(r"Diverged at step \d+: lr = 0.5 is too large here", explorer.summary)
    demo.set(lr=0.05)
    assert explorer.summary == "After 100 steps the loss is 0.000355"
    assert "After 100 steps the loss is 0.000355" in demo.describe()


def _pixels(fig):
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png_bytes(fig))).convert("RGB"), dtype=int)


@pytest.mark.parametrize("surface", ["ravine", "saddle"])
def test_a_painted_scene_is_the_same_picture_whatever_was_shown_before(surface):
    direct = LandscapeExplorer()
    direct.explore(surface="beale").set(surface=surface, lr=0.03)
    roundabout = LandscapeExplorer()
    demo = roundabout.explore(surface="beale")
    demo.set(surface="rosenbrock", lr=0.2)  # another scene, a diverging path
    demo.set(surface=surface, lr=0.03)
    a, b = _pixels(direct.figure), _pixels(roundabout.figure)
    assert a.shape == b.shape
    assert np.any(np.abs(a - b) > 40, axis=-1).mean() < 0.001


@pytest.mark.parametrize("first", list(SURFACES))
def test_the_layout_fixed_on_any_surface_fits_every_other(first):
    """The layout is computed once, for the first surface shown; every label must still fit
    (inside the figure, not overlapping the other panel) on every other surface."""
    explorer = LandscapeExplorer()
    demo = explorer.explore(surface=first)
    fig = explorer.figure
    for name in SURFACES:
        demo.set(surface=name)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        ax_map, ax_loss = fig.axes[:2]
        left = ax_map.get_tightbbox(renderer)
        right = ax_loss.get_tightbbox(renderer)
        assert left.x0 >= 0 and right.x1 <= fig.bbox.width, (first, name)
        assert left.x1 <= right.x0, (first, name)


def test_explorer_rejects_bad_values_by_name():
    with pytest.raises(ValueError, match="surface \\(surface\\) must be one of"):
        explore_landscape(surface="valley")
    with pytest.raises(ValueError, match="lr \\(learning rate\\) must be one of the slider's"):
        explore_landscape(lr=0.075)
    with pytest.raises(ValueError, match="n_steps must be an integer >= 1"):
        LandscapeExplorer(n_steps=0)


def test_static_figures_are_labelled_and_described():
    from nnlesson.viz.plotting import alt_text, smallest_text_px

    for fig in (snapshot_landscape(surface="rosenbrock", lr=0.002), figure_surface_gallery()):
        assert isinstance(fig, Figure)
        for ax in fig.axes:
            assert ax.get_title() or not ax.axison
        assert smallest_text_px(fig) >= 14
        assert len(alt_text(fig)) > 100
        assert png_bytes(fig).startswith(b"\x89PNG")


def test_the_gallery_says_how_many_steps_it_draws():
    from nnlesson.viz.plotting import alt_text

    fig = figure_surface_gallery(n_steps=20)
    assert "each with 20 steps of gradient descent" in alt_text(fig)
    key_texts = [t.get_text() for t in fig.axes[-1].texts]
    assert "20 steps of GD" in key_texts and "100 steps of GD" not in key_texts
