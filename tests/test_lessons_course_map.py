"""Lesson 00's experiments: the lesson table, gradient-descent paths, the landscape explorer."""
import re

import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlesson.course import LESSONS
from nnlesson.course.surfaces import SURFACES, Ravine
from nnlesson.course.runner import DIVERGED_NORM
from nnlesson.course.lessons.course_map import (
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
    # the learning rate: a log slider, named as the browser test looks for it
    slider = demo.controls["lr"]
    assert type(slider).__name__ == "FloatLogSlider"
    assert slider.description == "learning rate"
    assert slider.base == 10 and slider.min == -4 and slider.max == 0
    # the browser test presses ArrowRight five times: there must be room to move
    assert slider.value * 10 ** 0.5 <= 10 ** slider.max
    assert demo.update_count == 1
    for name, value in [("lr", 0.02), ("start_x", -3.0), ("start_y", 1.0), ("lr", 0.2)]:
        count, png = demo.update_count, bytes(demo.image.value)
        demo.set(**{name: value})
        assert demo.update_count == count + 1, name
        assert bytes(demo.image.value) != png, name


def test_changing_the_surface_moves_the_start_sliders_to_its_range():
    demo = explore_landscape()
    for name, surface in SURFACES.items():
        count, png = demo.update_count, bytes(demo.image.value)
        demo.set(surface=name)
        if name != "ravine":
            assert demo.update_count > count
            assert bytes(demo.image.value) != png
        (x0, x1), (y0, y1) = surface.bounds
        sx, sy = demo.controls["start_x"], demo.controls["start_y"]
        assert (sx.min, sx.max, sy.min, sy.max) == (x0, x1, y0, y1)
        assert (sx.value, sy.value) == pytest.approx(surface.default_start)
        # the drawing shows the path from that start
        np.testing.assert_allclose(demo.drawing.path.points[0], surface.default_start)


def test_update_changes_artists_and_keeps_the_figure():
    drawing = LandscapeExplorer(bake=False)
    fig, line = drawing.figure, drawing.path_line
    n_children = [len(ax.get_children()) for ax in fig.axes]
    drawing.update(lr=0.01)
    before = line.get_xydata().copy()
    drawing.update(lr=0.07)
    assert drawing.figure is fig and drawing.path_line is line
    assert [len(ax.get_children()) for ax in fig.axes] == n_children
    assert not np.array_equal(line.get_xydata(), before)
    np.testing.assert_allclose(line.get_xydata(), gd_path("ravine", 0.07).points)


def test_update_reports_divergence_in_the_loss_panel():
    drawing = LandscapeExplorer(bake=False)
    drawing.update(lr=0.5)
    assert re.match(r"diverged at step \d+", drawing.loss_text.get_text())
    drawing.update(lr=0.05)
    assert drawing.loss_text.get_text().startswith("after 100 steps: loss = ")


def _pixels(fig):
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png_bytes(fig))).convert("RGB"), dtype=int)


@pytest.mark.parametrize("surface", ["ravine", "saddle"])
def test_the_baked_background_draws_the_same_picture_as_a_plain_figure(surface):
    baked = LandscapeExplorer()
    baked.update(surface="beale")  # visit another surface first: its picture must not leak
    baked.update(surface=surface, lr=0.03)
    plain = LandscapeExplorer(bake=False)
    plain.update(surface=surface, lr=0.03)
    a, b = _pixels(baked.figure), _pixels(plain.figure)
    assert a.shape == b.shape
    differ = np.any(np.abs(a - b) > 40, axis=-1).mean()
    # only where a moving line crosses the legend (drawn above it in a plain figure)
    assert differ < 0.01


def test_explorer_rejects_an_unknown_surface():
    with pytest.raises(ValueError, match="surface must be one of"):
        explore_landscape(surface="valley")
    with pytest.raises(ValueError, match="n_steps must be an integer >= 1"):
        LandscapeExplorer(n_steps=0)


def test_static_figures_are_labelled():
    for fig in (snapshot_landscape("rosenbrock", lr=0.002), figure_surface_gallery()):
        assert isinstance(fig, Figure)
        for ax in fig.axes:
            assert ax.get_title() and ax.get_xlabel()
        assert png_bytes(fig).startswith(b"\x89PNG")
