"""Slide decks without a browser: files, offline references, notes, slide count, plots.

The decks are built from small stand-in notebooks made here, with known slide markup, so the
expected numbers below are counted by hand from that markup. What the audience sees (code
hidden where the output is the point, one figure per experiment, alt text, no test-suite
comments, speaker notes without JupyterLab's label) is checked here on stand-ins; the real
lessons are checked in tests/browser/test_slides_browser.py, in Chromium, where every slide is
also measured at 1280x720.
"""
import base64
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from nnlesson.course import LESSONS
from nnlesson.tools.slides import (FONT_PX_KEY, NOTES_LABEL, TEST_ASSET_VERSIONS,
                                   SlideAssetsError, axe_core_path, build_slides, fetch_assets,
                                   main, png_text)

REPO = Path(__file__).resolve().parents[1]


def _cell(make, source, slide_type, **kwargs):
    cell = make(source, **kwargs)
    cell.metadata["slideshow"] = {"slide_type": slide_type}
    return cell


def _png(title, metadata=None):
    """A small matplotlib figure as base64 PNG text, as an executed notebook stores it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1, 2], [0, 1, 4])
    ax.set_title(title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata=metadata)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


PLOT_PNG = _png("plain plot")
WIDGET_PNG = _png("plot inside the widget")
SNAPSHOT_PNG = _png("the snapshot cell's copy")
PLOT_ALT = "The loss falls from 4 to 0 over two steps"
EXPLORER_ALT = "The ball's path on the ravine at the chosen learning rate"
NOTES_TEXT = "Ask the class what happens when beta is 0"
SKIPPED_TEXT = "this_setup_cell_is_skipped"
FIGURE_CODE = "draw_the_loss_curve()"
TABLE_CODE = "print_the_table_of_steps()"
TABLE_OUTPUT = "step 1: 0.25 | step 2: 0.125"
PRINT_CODE = "print(momentum_step(0.3))"


def _figure(png, alt):
    """What nnlesson.viz.plotting.show(fig, alt=...) displays: <img alt>, the PNG, the alt text."""
    return new_output("display_data", data={
        "text/html": f'<img src="data:image/png;base64,{png}" alt="{alt}">',
        "image/png": png, "text/plain": alt})

# Markup of the stand-in, slide by slide (a "slide" or "subslide" cell starts a new one):
#   1 title (slide) + notes cell (labelled for JupyterLab) + the import cell (skip)
#   2 formula (slide) + a fragment
#   3 plot (subslide)      + a skipped cell
#   4 widget (slide)       + the snapshot cell's copy of its plot (left out of the deck)
#   5 summary (subslide)   + a printed table (hide-input) + code with a test-suite comment
EXPECTED_SLIDES = 5


def _standin_notebook():
    widget_state = {
        "state": {
            "box": {"model_name": "VBoxModel", "model_module": "@jupyter-widgets/controls",
                    "model_module_version": "2.0.0",
                    "state": {"children": ["IPY_MODEL_slider", "IPY_MODEL_out"]}},
            "slider": {"model_name": "FloatLogSliderModel",
                       "model_module": "@jupyter-widgets/controls",
                       "model_module_version": "2.0.0",
                       "state": {"description": "learning rate", "value": 0.1}},
            "out": {"model_name": "OutputModel", "model_module": "@jupyter-widgets/output",
                    "model_module_version": "1.0.0",
                    "state": {"outputs": [{"output_type": "display_data", "metadata": {},
                                           "data": {"image/png": WIDGET_PNG,
                                                    "text/plain": "<Figure>"}}]}},
        },
        "version_major": 2,
        "version_minor": 0,
    }
    # An explorer's display: the widget, and for a reader without a kernel a placeholder
    # with the stored picture and its alt text.
    widget_view = new_output("execute_result", execution_count=3, data={
        "application/vnd.jupyter.widget-view+json": {"model_id": "box", "version_major": 2,
                                                     "version_minor": 0},
        "text/html": f'<img src="data:image/png;base64,{WIDGET_PNG}" alt="{EXPLORER_ALT}">',
        "text/plain": "VBox(children=(FloatLogSlider(value=0.1), Output()))"})
    printed = new_output("stream", name="stdout", text="0.27\n")
    table = new_output("stream", name="stdout", text=TABLE_OUTPUT + "\n")
    nb = new_notebook(cells=[
        _cell(new_markdown_cell, "# Momentum, a stand-in lesson", "slide"),
        _cell(new_markdown_cell, f"{NOTES_LABEL}\n\n{NOTES_TEXT}", "notes"),
        _cell(new_code_cell, "import numpy as np", "skip", execution_count=1),
        _cell(new_markdown_cell, "## The rule\n\n$$v_t = \\beta v_{t-1} + (1 - \\beta) g_t$$",
              "slide"),
        _cell(new_markdown_cell, "and the step $w \\leftarrow w - \\eta v_t$", "fragment"),
        _cell(new_code_cell, FIGURE_CODE, "subslide", execution_count=2,
              outputs=[_figure(PLOT_PNG, PLOT_ALT)]),
        _cell(new_code_cell, f"{SKIPPED_TEXT} = 1", "skip", execution_count=3),
        _cell(new_code_cell, "lesson.explore_momentum()", "slide", execution_count=4,
              outputs=[widget_view]),
        _cell(new_code_cell, "plotting.show(lesson.snapshot_momentum())", "-", execution_count=5,
              outputs=[_figure(SNAPSHOT_PNG, "the same plot again")]),
        _cell(new_markdown_cell, "## Summary\n\nMomentum averages gradients.", "subslide"),
        _cell(new_code_cell, TABLE_CODE, "-", execution_count=6, outputs=[table],
              metadata={"tags": ["hide-input"]}),
        _cell(new_code_cell, f"{PRINT_CODE}  # nbval-ignore-output: the last digit varies",
              "-", execution_count=7, outputs=[printed],
              metadata={"tags": ["nbval-ignore-output"]}),
    ])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": widget_state}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


class _Deck(HTMLParser):
    """Collects what a test needs from a deck: references, sections, notes, inline scripts."""

    def __init__(self):
        super().__init__()
        self.refs, self.scripts, self.notes, self.images = [], [], [], []
        self.visible_text = ""  # what a slide shows (not scripts, styles or notes)
        self.leaf_sections = 0
        self._sections = []  # for each open <section>: does it hold another <section>?
        self._in_script = self._in_notes = self._in_style = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs)
        if tag == "style":
            self._in_style += 1
        if tag == "script":
            self._in_script += 1
            if attrs.get("src"):
                self.refs.append(attrs["src"])
            else:
                self.scripts.append("")
        elif tag == "link" and attrs.get("href"):
            self.refs.append(attrs["href"])
        elif tag == "section":
            if self._sections:
                self._sections[-1] = True
            self._sections.append(False)
        elif tag == "aside" and "notes" in (attrs.get("class") or ""):
            self._in_notes += 1
            self.notes.append("")

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style -= 1
        if tag == "script":
            self._in_script -= 1
        elif tag == "section":
            self.leaf_sections += not self._sections.pop()
        elif tag == "aside" and self._in_notes:
            self._in_notes -= 1

    def handle_data(self, data):
        if self._in_script and self.scripts:
            self.scripts[-1] += data
        if self._in_notes:
            self.notes[-1] += data
        elif self._sections and not self._in_script and not self._in_style:
            self.visible_text += data


def _parse(path):
    deck = _Deck()
    deck.feed(path.read_text(encoding="utf-8"))
    return deck


def _is_remote(url):
    return re.match(r"^([a-z][a-z0-9+.-]*:|//)", url, re.I) is not None and \
        not url.startswith("data:")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("slides")
    notebook = work / "momentum_standin.ipynb"
    nbformat.write(_standin_notebook(), notebook)
    out = work / "out"
    written = build_slides(out, [notebook])
    return out, written


def test_one_deck_per_notebook_and_an_index(built):
    out, written = built
    assert written == [out / "momentum_standin.html"]
    assert written[0].is_file()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="momentum_standin.html"' in index
    assert "Momentum, a stand-in lesson" in index


def test_deck_loads_nothing_from_the_network(built):
    out, _ = built
    html = (out / "momentum_standin.html").read_text(encoding="utf-8")
    deck = _parse(out / "momentum_standin.html")
    assert deck.refs, "the deck references no script or stylesheet at all"
    assert [r for r in deck.refs if _is_remote(r)] == []
    # require([...]) in the start-up script and any ES module import.
    loaded = [u for s in deck.scripts for u in re.findall(r"[\"']([^\"']+\.js)[\"']", s)]
    assert any("reveal.js" in u for u in loaded)
    assert [u for u in loaded if _is_remote(u)] == []
    assert re.search(r"import\s[^;]*from\s*['\"](https?:)?//", html) is None
    # The copied stylesheets pull in nothing remote either (some reveal themes use web fonts).
    for css in (out / "assets").rglob("*.css"):
        imports = re.findall(r"@import\s+url\(([^)]+)\)|url\(([^)]+)\)", css.read_text())
        urls = [a or b for a, b in imports]
        assert [u for u in urls if _is_remote(u.strip("'\""))] == [], css


def test_every_local_asset_exists(built):
    out, _ = built
    deck = _parse(out / "momentum_standin.html")
    loaded = [u for s in deck.scripts for u in re.findall(r"[\"']([^\"']+\.js)[\"']", s)]
    for ref in deck.refs + loaded:
        assert (out / ref).is_file(), ref
    for name in ("require.js", "jquery.min.js", "mathjax/tex-svg-full.js",
                 "reveal.js/dist/reveal.js", "reveal.js/plugin/notes/notes.js"):
        assert (out / "assets" / name).is_file(), name
    # Each font the theme declares has its .woff copied (the format browsers pick).
    fonts_css = next((out / "assets").rglob("source-sans-pro.css"))
    woffs = re.findall(r"url\('?([^)']+\.woff)'?\)", fonts_css.read_text())
    assert len(woffs) == 4
    for woff in woffs:
        assert (fonts_css.parent / woff).is_file(), woff


def test_assets_stay_small(built):
    out, _ = built
    size = sum(f.stat().st_size for f in (out / "assets").rglob("*") if f.is_file())
    assert size < 5_000_000, f"assets take {size} bytes"


def test_speaker_notes_come_from_notes_cells(built):
    out, _ = built
    deck = _parse(out / "momentum_standin.html")
    assert len(deck.notes) == 1
    assert NOTES_TEXT in deck.notes[0]
    # The label JupyterLab shows on the collapsed notes cell is not read out in the speaker view.
    assert "For the teacher" not in deck.notes[0]
    assert NOTES_TEXT not in deck.visible_text


def test_notes_inside_a_details_element_become_plain_speaker_notes(tmp_path):
    notes = _cell(new_markdown_cell, f"<details><summary>{NOTES_LABEL}</summary>\n\n"
                                     f"{NOTES_TEXT}\n\n</details>", "notes")
    nb = new_notebook(cells=[_cell(new_markdown_cell, "# Deck", "slide"), notes])
    nbformat.write(nb, tmp_path / "deck.ipynb")
    (deck,) = build_slides(tmp_path / "out", [tmp_path / "deck.ipynb"])
    (shown,) = _parse(deck).notes
    assert shown.strip() == NOTES_TEXT
    aside = re.search(r'<aside class="notes">(.*?)</aside>', deck.read_text(), re.S).group(1)
    assert "<details" not in aside and "<summary" not in aside


def test_slide_count_follows_the_markup(built):
    out, _ = built
    assert _parse(out / "momentum_standin.html").leaf_sections == EXPECTED_SLIDES


def test_skipped_cells_are_left_out(built):
    out, _ = built
    assert SKIPPED_TEXT not in (out / "momentum_standin.html").read_text(encoding="utf-8")


def test_formulas_are_kept_for_mathjax(built):
    out, _ = built
    html = (out / "momentum_standin.html").read_text(encoding="utf-8")
    assert "$$v_t = \\beta v_{t-1} + (1 - \\beta) g_t$$" in html
    assert "$w \\leftarrow w - \\eta v_t$" in html
    assert 'src="assets/mathjax/tex-svg-full.js"' in html


def test_plots_are_shown_including_the_widget_plot(built):
    out, _ = built
    html = (out / "momentum_standin.html").read_text(encoding="utf-8")
    assert f"data:image/png;base64,{PLOT_PNG}" in html
    # The widget cannot run without a kernel: the plot it drew is shown instead of it.
    assert f"data:image/png;base64,{WIDGET_PNG}" in html
    assert "application/vnd.jupyter.widget-view+json" not in html
    assert "application/vnd.jupyter.widget-state+json" not in html


def test_one_figure_per_experiment(built):
    out, _ = built
    html = (out / "momentum_standin.html").read_text(encoding="utf-8")
    assert html.count(f"base64,{WIDGET_PNG}") == 1
    assert SNAPSHOT_PNG not in html  # the snapshot cell's copy of the explorer's plot


def test_every_picture_has_its_alt_text(built):
    out, _ = built
    deck = _parse(out / "momentum_standin.html")
    alts = sorted(img.get("alt") for img in deck.images)
    assert alts == sorted([PLOT_ALT, EXPLORER_ALT])
    assert "No description has been provided" not in (out / "momentum_standin.html").read_text()


def test_code_is_hidden_where_the_output_is_the_point(built):
    out, _ = built
    text = _parse(out / "momentum_standin.html").visible_text
    assert FIGURE_CODE not in text  # a figure-only cell shows its figure
    assert "explore_momentum" not in text  # an explorer shows its controls and picture
    assert TABLE_CODE not in text and TABLE_OUTPUT in text  # tagged hide-input
    assert PRINT_CODE in text and "0.27" in text  # printed numbers keep their code


def test_no_test_suite_comment_shows(built):
    out, _ = built
    text = _parse(out / "momentum_standin.html").visible_text
    assert "nbval" not in text
    assert "the last digit varies" not in text


def test_an_image_widget_experiment_shows_its_controls_and_picture(tmp_path):
    # nnlesson.viz.widgets.interactive_plot: VBox(VBox(caption, sliders...), Image); the Image's
    # PNG is kept base64-encoded in the state's "buffers", not in "state".
    def model(name, state, buffers=None):
        made = {"model_name": name, "model_module": "@jupyter-widgets/controls",
                "model_module_version": "2.0.0", "state": state}
        if buffers:
            made["buffers"] = buffers
        return made

    models = {
        "outer": model("VBoxModel", {"children": ["IPY_MODEL_controls", "IPY_MODEL_image"]}),
        "controls": model("VBoxModel", {"children": ["IPY_MODEL_caption", "IPY_MODEL_lr",
                                                     "IPY_MODEL_beta", "IPY_MODEL_form",
                                                     "IPY_MODEL_alt"]}),
        "caption": model("HTMLModel", {"value": "<b>Roll the ball</b>", "description": ""}),
        # A hidden description of the picture: its alt text, not a line on the slide.
        "alt": model("HTMLModel", {"value": EXPLORER_ALT, "description": "",
                                   "_dom_classes": ["nnlesson-plot-alt"]}),
        "lr": model("FloatLogSliderModel", {"description": "learning rate", "value": 0.1}),
        "beta": model("FloatSliderModel", {"description": "momentum β", "value": 0.9}),
        "form": model("DropdownModel", {"description": "form", "index": 1,
                                        "_options_labels": ["PyTorch", "EMA"]}),
        "image": model("ImageModel", {"format": "png"},
                       [{"path": ["value"], "encoding": "base64", "data": WIDGET_PNG}]),
    }
    view = new_output("display_data", data={
        "application/vnd.jupyter.widget-view+json": {"model_id": "outer", "version_major": 2,
                                                     "version_minor": 0},
        "text/plain": "Interactive(controls=['lr', 'beta', 'form'])"})
    nb = new_notebook(cells=[_cell(new_markdown_cell, "# Experiment", "slide"),
                             _cell(new_code_cell, "demo", "slide", outputs=[view])])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {
        "state": models, "version_major": 2, "version_minor": 0}}
    nbformat.write(nb, tmp_path / "experiment.ipynb")
    (deck,) = build_slides(tmp_path / "out", [tmp_path / "experiment.ipynb"])
    html = deck.read_text(encoding="utf-8")
    assert "<b>Roll the ball</b>" in html
    assert "learning rate = 0.1 · momentum β = 0.9 · form = EMA" in html
    assert f"data:image/png;base64,{WIDGET_PNG}" in html
    assert html.index("Roll the ball") < html.index("learning rate = 0.1") < \
        html.index(f"base64,{WIDGET_PNG}")
    assert "Interactive(controls=" not in html
    deck = _parse_text(html)
    assert [img.get("alt") for img in deck.images] == [EXPLORER_ALT]
    assert EXPLORER_ALT not in deck.visible_text


def test_a_lesson_without_a_heading_gets_a_title_slide(tmp_path):
    nb = new_notebook(cells=[
        _cell(new_markdown_cell, "Plain opening text", "slide"),
        _cell(new_markdown_cell, "## Second", "slide"),
    ])
    (tmp_path / "notebooks").mkdir()
    nbformat.write(nb, tmp_path / "notebooks" / "04_momentum.ipynb")
    written = build_slides(tmp_path / "out", ["4"], root=tmp_path)
    assert written == [tmp_path / "out" / "04_momentum.html"]
    deck = _parse(written[0])
    assert deck.leaf_sections == 3
    html = written[0].read_text(encoding="utf-8")
    first = html.index("<section")
    assert html.index("Lesson 04: Momentum", first) < html.index("Plain opening text")
    assert "<title>Lesson 04: Momentum slides</title>" in html


def test_all_lessons_builds_those_that_exist_and_names_the_rest(tmp_path):
    (tmp_path / "notebooks").mkdir()
    nbformat.write(new_notebook(cells=[_cell(new_markdown_cell, "# Map", "slide")]),
                   tmp_path / "notebooks" / "00_course_map.ipynb")
    with pytest.warns(UserWarning, match="no notebook yet for: 01_backprop"):
        written = build_slides(tmp_path / "out", root=tmp_path)
    assert written == [tmp_path / "out" / "00_course_map.html"]


def test_no_lesson_notebook_at_all_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no lesson notebook found"):
        with pytest.warns(UserWarning):
            build_slides(tmp_path / "out", root=tmp_path)


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(ValueError, match="lessons must hold lesson numbers .* got 'nonsense'"):
        build_slides(tmp_path, ["nonsense"])
    wanted = f"number must be a lesson number from 0 to {len(LESSONS) - 1}, got 99"
    with pytest.raises(ValueError, match=wanted):
        build_slides(tmp_path, [99])
    with pytest.raises(TypeError, match="pdf must be True or False, got 'yes'"):
        build_slides(tmp_path, ["x.ipynb"], pdf="yes")
    with pytest.raises(TypeError, match="out_dir must be a path"):
        build_slides(None, ["x.ipynb"])
    with pytest.raises(FileNotFoundError, match="missing.ipynb does not exist"):
        build_slides(tmp_path, [tmp_path / "missing.ipynb"])


def test_missing_npm_gives_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(SlideAssetsError, match="npm was not found on PATH.*install_slide_assets"):
        fetch_assets(tmp_path / "empty-cache")


def test_command_line(tmp_path, capsys):
    notebook = tmp_path / "deck.ipynb"
    nbformat.write(new_notebook(cells=[_cell(new_markdown_cell, "# Deck", "slide")]), notebook)
    assert main(["--out", str(tmp_path / "out"), str(notebook)]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(tmp_path / "out" / "deck.html"), str(tmp_path / "out" / "index.html")]
    assert main(["--out", str(tmp_path / "out"), "nonsense"]) == 2
    assert "lessons must hold" in capsys.readouterr().err


def _build_one(tmp_path, cells, name="deck"):
    nb = new_notebook(cells=[_cell(new_markdown_cell, "# Deck", "slide"), *cells])
    nbformat.write(nb, tmp_path / f"{name}.ipynb")
    (deck,) = build_slides(tmp_path / "out", [tmp_path / f"{name}.ipynb"])
    return deck.read_text(encoding="utf-8")


def test_a_picture_without_alt_text_is_reported(tmp_path):
    bare = new_output("display_data", data={"image/png": PLOT_PNG,
                                            "text/plain": "<Figure size 200x150 with 1 Axes>"})
    with pytest.warns(UserWarning, match=r"deck.ipynb: 1 picture without alt text"):
        html = _build_one(tmp_path, [_cell(new_code_cell, "plot()", "slide", outputs=[bare])])
    (img,) = _parse_text(html).images
    assert "alt" not in img  # never nbconvert's stand-in text
    assert "No description has been provided" not in html


def test_alt_text_from_the_outputs_metadata(tmp_path):
    tagged = new_output("display_data", data={"image/png": PLOT_PNG, "text/plain": "<Figure>"},
                        metadata={"image/png": {"alt": PLOT_ALT}})
    html = _build_one(tmp_path, [_cell(new_code_cell, "plot()", "slide", outputs=[tagged])])
    assert [img.get("alt") for img in _parse_text(html).images] == [PLOT_ALT]


def test_show_input_keeps_the_code_of_a_figure(tmp_path):
    cell = _cell(new_code_cell, FIGURE_CODE, "slide", outputs=[_figure(PLOT_PNG, PLOT_ALT)],
                 metadata={"tags": ["show-input"]})
    assert FIGURE_CODE in _parse_text(_build_one(tmp_path, [cell])).visible_text


def test_a_snapshot_on_its_own_slide_stays_and_an_unexpected_second_figure_is_named(tmp_path):
    view = new_output("display_data", data={
        "application/vnd.jupyter.widget-view+json": {"model_id": "img", "version_major": 2,
                                                     "version_minor": 0},
        "text/html": f'<img src="data:image/png;base64,{WIDGET_PNG}" alt="{EXPLORER_ALT}">',
        "text/plain": "Image()"})
    cells = [
        _cell(new_code_cell, "lesson.explore()", "slide", outputs=[view]),
        _cell(new_code_cell, "plotting.show(other_figure())", "-",
              outputs=[_figure(PLOT_PNG, PLOT_ALT)]),
        _cell(new_code_cell, "plotting.show(lesson.snapshot_later())", "subslide",
              outputs=[_figure(SNAPSHOT_PNG, "the snapshot, on a slide of its own")]),
    ]
    # No widget state was saved: the placeholder's picture stands for the explorer.
    with pytest.warns(UserWarning, match=r"cells 2 left out of the deck: a second figure"):
        html = _build_one(tmp_path, cells)
    assert f"base64,{WIDGET_PNG}" in html
    assert PLOT_PNG not in html
    assert f"base64,{SNAPSHOT_PNG}" in html
    assert [img.get("alt") for img in _parse_text(html).images] == [
        EXPLORER_ALT, "the snapshot, on a slide of its own"]


def test_a_figures_font_size_reaches_the_fitting_script(tmp_path):
    png = _png("labelled", metadata={FONT_PX_KEY: "11.5"})
    html = _build_one(tmp_path, [_cell(new_code_cell, "plot()", "slide",
                                       outputs=[_figure(png, PLOT_ALT)])])
    (img,) = _parse_text(html).images
    assert img["data-nnlesson-font-px"] == "11.5"


def test_png_text_reads_the_chunks_pillow_writes():
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("plain", "11.5")
    info.add_text("squeezed", "x" * 300, zip=True)
    info.add_itxt("international", "β = 0.9", lang="en", tkey="international")
    buf = io.BytesIO()
    Image.new("RGB", (4, 3)).save(buf, format="png", pnginfo=info)
    assert png_text(buf.getvalue()) == {"plain": "11.5", "squeezed": "x" * 300,
                                        "international": "β = 0.9"}
    assert png_text(b"GIF89a") == {}


def test_axe_core_is_pinned_and_its_absence_named(tmp_path):
    assert re.fullmatch(r"\d+\.\d+\.\d+", TEST_ASSET_VERSIONS["axe-core"])
    with pytest.raises(SlideAssetsError, match=r"axe-core .*install_slide_assets"):
        axe_core_path(tmp_path / "empty-cache")
    modules = tmp_path / "cache" / "node_modules" / "axe-core"
    modules.mkdir(parents=True)
    (modules / "package.json").write_text(json.dumps({"version": "0.0.1"}))
    (modules / "axe.min.js").write_text("")
    with pytest.raises(SlideAssetsError, match=r"found: 0\.0\.1"):
        axe_core_path(tmp_path / "cache")


def test_nnlesson_slides_parses_its_arguments_once(tmp_path, monkeypatch, capsys):
    # `nnlesson slides` goes straight to the builder, with one default output folder.
    from nnlesson.tools.cli import main as cli_main

    notebook = tmp_path / "deck.ipynb"
    nbformat.write(new_notebook(cells=[_cell(new_markdown_cell, "# Deck", "slide")]), notebook)
    monkeypatch.chdir(tmp_path)
    assert cli_main(["slides", str(notebook)]) == 0
    assert capsys.readouterr().out.split() == [str(Path("slides_out") / "deck.html"),
                                               str(Path("slides_out") / "index.html")]
    assert (tmp_path / "slides_out" / "deck.html").is_file()


def _parse_text(text):
    deck = _Deck()
    deck.feed(text)
    return deck


# The conventions the decks rely on, in the real lesson notebooks.
LESSON_NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", LESSON_NOTEBOOKS, ids=lambda p: p.stem)
def test_a_lessons_import_cell_is_skipped_in_its_deck(path):
    nb = nbformat.read(path, as_version=4)
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert first_code.source.lstrip().startswith(("import", "from")), first_code.source[:80]
    assert first_code.metadata.get("slideshow", {}).get("slide_type") == "skip"


def _collapsed_for_students(cell):
    """A notes cell a student sees as its label only: the notes inside
    <details><summary>LABEL</summary> ... </details>, which JupyterLab renders closed, also after
    Run All (a cell collapsed with jupyter.source_hidden opens again when it is re-rendered)."""
    if cell.cell_type != "markdown":
        return False
    details = re.match(r"<details>\s*<summary>(.*?)</summary>.*</details>\s*$",
                       cell.source.strip(), re.S)
    return bool(details) and details.group(1).strip() == NOTES_LABEL


@pytest.mark.parametrize("path", LESSON_NOTEBOOKS, ids=lambda p: p.stem)
def test_a_lessons_teacher_notes_are_labelled_and_collapsed(path):
    nb = nbformat.read(path, as_version=4)
    notes = [c for c in nb.cells
             if c.metadata.get("slideshow", {}).get("slide_type") == "notes"]
    assert notes, "a lesson has speaker notes"
    wrong = [i for i, c in enumerate(notes) if not _collapsed_for_students(c)]
    assert wrong == [], (f"notes cells {wrong} (counting notes only) are not labelled "
                         f"{NOTES_LABEL!r} and collapsed")


def test_a_progress_bar_shows_how_far_it_got(tmp_path):
    def model(name, state):
        return {"model_name": name, "model_module": "@jupyter-widgets/controls",
                "model_module_version": "2.0.0", "state": state}

    models = {
        "box": model("HBoxModel", {"children": ["IPY_MODEL_bar", "IPY_MODEL_label"]}),
        "bar": model("IntProgressModel", {"description": "training", "value": 6, "max": 6}),
        "label": model("LabelModel", {"value": "epoch 6/6  val_loss 0.1157"}),
    }
    view = new_output("display_data", data={
        "application/vnd.jupyter.widget-view+json": {"model_id": "box", "version_major": 2,
                                                     "version_minor": 0},
        "text/plain": "HBox(children=(IntProgress(value=6, max=6), Label(value='epoch 6/6')))"})
    nb = new_notebook(cells=[_cell(new_markdown_cell, "# Training", "slide"),
                             _cell(new_code_cell, "fit()", "slide", outputs=[view])])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {
        "state": models, "version_major": 2, "version_minor": 0}}
    nbformat.write(nb, tmp_path / "progress.ipynb")
    (deck,) = build_slides(tmp_path / "out", [tmp_path / "progress.ipynb"])
    text = _parse(deck).visible_text
    assert "training = 6 of 6 · epoch 6/6  val_loss 0.1157" in text
    assert "HBox(" not in text and "Live experiment" not in text
