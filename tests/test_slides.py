"""Slide decks without a browser: files, offline references, notes, slide count, plots.

The decks are built from small stand-in notebooks made here, with known slide markup, so the
expected numbers below are counted by hand from that markup. The real lessons are checked the
same way in tests/browser/test_slides_browser.py, in Chromium.
"""
import base64
import io
import re
from html.parser import HTMLParser

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from nnlesson.tools.slides import SlideAssetsError, build_slides, fetch_assets, main


def _cell(make, source, slide_type, **kwargs):
    cell = make(source, **kwargs)
    cell.metadata["slideshow"] = {"slide_type": slide_type}
    return cell


def _png(title):
    """A small matplotlib figure as base64 PNG text, as an executed notebook stores it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1, 2], [0, 1, 4])
    ax.set_title(title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


PLOT_PNG = _png("plain plot")
WIDGET_PNG = _png("plot inside the widget")
NOTES_TEXT = "Ask the class what happens when beta is 0"
SKIPPED_TEXT = "this_setup_cell_is_skipped"

# Markup of the stand-in, slide by slide (a "slide" or "subslide" cell starts a new one):
#   1 title (slide) + notes cell
#   2 formula (slide) + a fragment
#   3 plot (subslide)      + a skipped cell
#   4 widget (slide)
#   5 summary (subslide)
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
    widget_view = new_output("execute_result", execution_count=3, data={
        "application/vnd.jupyter.widget-view+json": {"model_id": "box", "version_major": 2,
                                                     "version_minor": 0},
        "text/plain": "VBox(children=(FloatLogSlider(value=0.1), Output()))"})
    nb = new_notebook(cells=[
        _cell(new_markdown_cell, "# Momentum, a stand-in lesson", "slide"),
        _cell(new_markdown_cell, NOTES_TEXT, "notes"),
        _cell(new_markdown_cell, "## The rule\n\n$$v_t = \\beta v_{t-1} + (1 - \\beta) g_t$$",
              "slide"),
        _cell(new_markdown_cell, "and the step $w \\leftarrow w - \\eta v_t$", "fragment"),
        _cell(new_code_cell, "plot()", "subslide", execution_count=1, outputs=[
            new_output("display_data", data={"image/png": PLOT_PNG, "text/plain": "<Figure>"})]),
        _cell(new_code_cell, f"{SKIPPED_TEXT} = 1", "skip", execution_count=2),
        _cell(new_code_cell, "experiment()", "slide", execution_count=3, outputs=[widget_view]),
        _cell(new_markdown_cell, "## Summary\n\nMomentum averages gradients.", "subslide"),
    ])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": widget_state}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


class _Deck(HTMLParser):
    """Collects what a test needs from a deck: references, sections, notes, inline scripts."""

    def __init__(self):
        super().__init__()
        self.refs, self.scripts, self.notes = [], [], []
        self.leaf_sections = 0
        self._sections = []  # for each open <section>: does it hold another <section>?
        self._in_script = self._in_notes = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
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
                                                     "IPY_MODEL_beta", "IPY_MODEL_form"]}),
        "caption": model("HTMLModel", {"value": "<b>Roll the ball</b>", "description": ""}),
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
    with pytest.raises(ValueError, match="number must be a lesson number from 0 to 13, got 99"):
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
