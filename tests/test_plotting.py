"""The shared plot helpers: a backdrop must not change what a figure looks like."""
import io

import numpy as np
from PIL import Image

from nnlesson.viz.plotting import Backdrop, freeze_layout, new_figure, png_bytes, stamp_text


def pixels(fig):
    return np.asarray(Image.open(io.BytesIO(png_bytes(fig)))).astype(int)


def two_scene_figure():
    """A line that moves, and a static curve plus limits that depend on the scene."""
    fig, ax = new_figure()
    x = np.linspace(0, 1, 50)
    statics = {"low": ax.plot(x, x**2, label="x²")[0], "high": ax.plot(x, 3 * x**3, label="3x³")[0]}
    (moving,) = ax.plot([], [], color="k", marker="o")
    ax.set_title("a title with text, the costly part")
    ax.legend(loc="upper left")

    def prepare(scene):
        for name, line in statics.items():
            line.set_visible(name == scene)
        ax.set_ylim(0, 1 if scene == "low" else 3)

    prepare("low")
    freeze_layout(fig)
    return fig, moving, prepare


def test_a_backdrop_paints_the_same_pixels_as_the_plain_figure():
    plain, moving_plain, _ = two_scene_figure()
    baked, moving_baked, _ = two_scene_figure()
    Backdrop(baked, [moving_baked])
    for k in range(3):
        for line in (moving_plain, moving_baked):
            line.set_data([0.1 * k, 0.5], [0.2, 0.3 + 0.1 * k])
        np.testing.assert_array_equal(pixels(baked), pixels(plain))


def test_scenes_switch_the_static_parts_and_are_painted_once():
    plain, moving_plain, prepare_plain = two_scene_figure()
    baked, moving_baked, prepare_baked = two_scene_figure()
    calls = []

    def prepare(scene):
        calls.append(scene)
        prepare_baked(scene)

    backdrop = Backdrop(baked, [moving_baked], scene=None)
    for scene in ("low", "high", "low", "low", "high"):
        backdrop.show(scene, lambda: prepare(scene))
        prepare_plain(scene)
        for line in (moving_plain, moving_baked):
            line.set_data([0.2, 0.9], [0.5, 0.8] if scene == "low" else [1.0, 2.5])
        np.testing.assert_array_equal(pixels(baked), pixels(plain))
    assert calls == ["low", "high", "low", "high"]  # showing the current scene again is free
    assert sorted(backdrop._pictures) == ["high", "low"]
    assert backdrop.scene == "high"


def test_a_backdrop_hides_the_static_artists_it_painted():
    fig, moving, _ = two_scene_figure()
    ax = fig.axes[0]
    Backdrop(fig, [moving])
    visible = [a for a in ax.get_children() if a.get_visible()]
    assert visible == [moving]


def test_stamped_text_matches_ordinary_text_and_is_reused():
    from matplotlib.text import Text

    from nnlesson.viz.plotting import _stamp_text_class

    fig, ax = new_figure()
    ax.set_axis_off()
    label = stamp_text(ax, 0.5, 0.5, "∂L/∂w = 0.125", fontsize=12, ha="center")
    freeze_layout(fig)
    stamped = pixels(fig)
    assert len(label._stamps) == 1
    np.testing.assert_array_equal(pixels(fig), stamped)
    assert len(label._stamps) == 1  # the same string is pasted, not rendered again
    cls = _stamp_text_class()
    stamped_draw = cls.draw
    try:
        cls.draw = Text.draw
        plain = pixels(fig)
    finally:
        cls.draw = stamped_draw
    assert np.abs(stamped - plain).max() <= 8
    label.set_text("∂L/∂w = 0.250")
    assert np.abs(pixels(fig) - stamped).max() > 100  # a new string is drawn, not the old one
    assert len(label._stamps) == 2
