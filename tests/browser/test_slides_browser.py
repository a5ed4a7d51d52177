"""Slide decks in a real browser, offline: reveal starts, every slide is there and reachable.

Each deck is opened from disk with every request that is not a local file refused (and
recorded): reveal.js must become ready, show as many slides as the notebook's markup implies,
render its formulas and pictures, and move between slides with the arrow keys. The PDF print
is checked on the stand-in.

Decks come from a stand-in notebook made here (markup known, counted by hand) and from the real
lessons listed in ``LESSON_DECKS`` (empty it to test the stand-in only).
"""
import base64
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from nnlesson.tools.slides import build_slides

pytestmark = pytest.mark.browser

LESSON_DECKS = ("notebooks/00_course_map.ipynb", "notebooks/04_momentum.ipynb")
REPO = Path(__file__).resolve().parents[2]


def _png():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2, 3], [3, 1, 0.5, 0.2], "o-")
    ax.set_title("loss per epoch")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _cell(make, source, slide_type, **kwargs):
    cell = make(source, **kwargs)
    cell.metadata["slideshow"] = {"slide_type": slide_type}
    return cell


# Stand-in markup, slide by slide (indices as reveal numbers them, h across and v down):
#   (0, 0) title + speaker notes
#   (1, 0) formula + a fragment        (1, 1) plot (subslide), then a skipped cell
#   (2, 0) summary
STANDIN_SLIDES = 4


def _standin_notebook():
    return new_notebook(cells=[
        _cell(new_markdown_cell, "# Stand-in lesson", "slide"),
        _cell(new_markdown_cell, "Speaker notes for the title", "notes"),
        _cell(new_markdown_cell, "## The update\n\n$$w_{t+1} = w_t - \\eta \\nabla L(w_t)$$",
              "slide"),
        _cell(new_markdown_cell, "where $\\eta$ is the learning rate", "fragment"),
        _cell(new_code_cell, "plot_loss()", "subslide", execution_count=1, outputs=[
            new_output("display_data", data={"image/png": _png(), "text/plain": "<Figure>"})]),
        _cell(new_code_cell, "setup = 1", "skip", execution_count=2),
        _cell(new_markdown_cell, "## Summary\n\nSmall steps downhill.", "slide"),
    ])


def _slides_in_markup(nb):
    """Slides a lesson's markup asks for: its first shown cell opens one; so does every later
    ``slide`` or ``subslide`` cell. CONTRIBUTING asks a lesson to open with its title slide."""
    kinds = [c.get("metadata", {}).get("slideshow", {}).get("slide_type", "-") for c in nb.cells]
    shown = [i for i, kind in enumerate(kinds) if kind not in ("skip", "notes")]
    first = nb.cells[shown[0]]
    assert first.cell_type == "markdown" and first.source.lstrip().startswith("# "), (
        "a lesson opens with a '# Title' markdown cell")
    return 1 + sum(kind in ("slide", "subslide") for kind in kinds[shown[0] + 1:])


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    """{label: (deck path, expected slide count, has formulas)} built into one folder."""
    work = tmp_path_factory.mktemp("decks")
    standin = work / "standin.ipynb"
    nbformat.write(_standin_notebook(), standin)
    lessons = [REPO / path for path in LESSON_DECKS]
    built = build_slides(work / "out", [standin, *lessons], pdf=False)
    found = {"stand-in": (built[0], STANDIN_SLIDES, True)}
    for path, deck in zip(lessons, built[1:]):
        nb = nbformat.read(path, as_version=4)
        has_math = any("$" in c.source for c in nb.cells if c.cell_type == "markdown")
        found[path.stem] = (deck, _slides_in_markup(nb), has_math)
    return found


def _open_deck(page, deck):
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(deck.as_uri())
    page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=30_000)
    return errors


def _indices(page):
    return page.evaluate("(() => { const i = Reveal.getIndices(); return [i.h, i.v]; })()")


DECK_LABELS = ["stand-in", *[p.rsplit("/", 1)[-1][:-len(".ipynb")] for p in LESSON_DECKS]]


@pytest.mark.parametrize("label", DECK_LABELS)
def test_deck_works_offline_with_every_slide(page, decks, label):
    deck, expected, has_math = decks[label]
    errors = _open_deck(page, deck)
    assert page.evaluate("Reveal.getTotalSlides()") == expected
    # Formulas typeset by the local MathJax; every picture decoded.
    if has_math:
        page.wait_for_function("document.querySelectorAll('mjx-container svg').length > 0")
        assert page.locator("mjx-merror").count() == 0, "MathJax could not typeset a formula"
    assert page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    # Walking with "next" (what a presenter's clicker sends) reaches every slide once.
    seen = {tuple(_indices(page))}
    for _ in range(expected * 20):
        if page.evaluate("Reveal.isLastSlide() && !Reveal.availableFragments().next"):
            break
        page.keyboard.press("n")
        seen.add(tuple(_indices(page)))
    assert len(seen) == expected
    assert page.blocked == [], f"the deck tried to reach the network: {page.blocked}"
    assert errors == []


def test_arrow_keys_move_between_slides(page, decks):
    deck, _, _ = decks["stand-in"]
    _open_deck(page, deck)
    assert _indices(page) == [0, 0]
    page.keyboard.press("ArrowRight")
    page.wait_for_function("Reveal.getIndices().h === 1")
    assert _indices(page) == [1, 0]
    page.keyboard.press("ArrowDown")  # first shows the formula slide's fragment ...
    page.wait_for_function("Reveal.getIndices().f === 0")
    assert _indices(page) == [1, 0]
    page.keyboard.press("ArrowDown")  # ... then goes to the plot, a subslide below it
    page.wait_for_function("Reveal.getIndices().v === 1")
    assert _indices(page) == [1, 1]
    page.keyboard.press("ArrowRight")
    page.wait_for_function("Reveal.getIndices().h === 2")
    assert _indices(page) == [2, 0]
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("Reveal.getIndices().h === 1")
    assert page.blocked == []


def test_speaker_view_shows_the_notes(page, decks):
    deck, _, _ = decks["stand-in"]
    _open_deck(page, deck)
    notes = page.evaluate("Reveal.getSlide(0).querySelector('aside.notes').textContent")
    assert notes.strip() == "Speaker notes for the title"
    with page.expect_popup() as opened:  # key S: reveal's speaker view, in its own window
        page.keyboard.press("s")
    speaker = opened.value
    shown = speaker.locator(".speaker-controls-notes .value")
    shown.wait_for()
    assert shown.inner_text().strip() == "Speaker notes for the title"
    assert page.blocked == []


def test_command_line_prints_one_pdf_page_per_slide(tmp_path):
    # In its own process, as a teacher runs it (this session's Playwright is already in use).
    notebook = tmp_path / "standin.ipynb"
    nbformat.write(_standin_notebook(), notebook)
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO),
                                                                  os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-m", "nnlesson.tools.slides", "--out", str(out), "--pdf",
                           str(notebook)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(out / "standin.html"), str(out / "standin.pdf"),
                                   str(out / "index.html")]
    pdf = (out / "standin.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == STANDIN_SLIDES
    assert 'href="standin.pdf"' in (out / "index.html").read_text()
