"""Slide decks in a real browser, offline, at projector size: every slide there, fitting, readable.

Every deck is opened from disk in one Chromium page of 1280x720 (a projector's pixels), with
every request that is not a local file refused. reveal.js must start and show as many slides as
the notebook's markup implies (plus the continuation slides the builder adds when a slide is
too long), render its formulas and pictures, and move between slides. Then every slide of every
deck is shown with all its fragments and measured:

* it fits: nothing drawn outside the 1280x720 screen, nothing cut off inside a box, and no
  text or picture under reveal's arrows or slide number;
* no two pictures on it are the same picture (compared pixel by pixel, scaled down);
* no test-suite comment (``nbval``) shows;
* its text is at least about 14 px (the builder may zoom a long slide's text down);
* figure text is at least about 14 px: the smallest font size the figure was drawn with (the
  PNG's ``nnlesson-min-font-px`` text chunk, in pixels of the PNG) times the figure's scale on
  the slide (its width on screen over the PNG's width);
* every picture has alt text (never nbconvert's "No description has been provided");
* axe-core finds no serious or critical violation on it (all slides scanned at once in reveal's
  print layout, every fragment shown) nor in the presentation view (controls, slide number).

Decks come from a stand-in notebook made here (markup known, counted by hand) and from every
lesson in ``notebooks/``. The PDF print is checked on the stand-in.
"""
import base64
import io
import os
import re
import subprocess
import sys
import warnings

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from browsing import REPO, failed, guarded_page, run_axe, save_artifacts, serious_violations
from nnlesson.tools.slides import build_slides

pytestmark = pytest.mark.browser

LESSON_NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WIDTH, HEIGHT = 1280, 720
TEXT_MIN_PX = 13.5  # "at least about 14 px"
FONT_PX_KEY = "nnlesson-min-font-px"
NBCONVERT_NO_ALT = "No description has been provided for this image"


def _png(title="loss per epoch", font_px=None):
    """A small figure as base64 PNG text; ``font_px`` recorded as the PNG's text chunk."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3), dpi=100)
    ax.plot([0, 1, 2, 3], [3, 1, 0.5, 0.2], "o-")
    ax.set_title(title, fontsize=14 * 72 / 100)
    ax.tick_params(labelsize=14 * 72 / 100)
    buf = io.BytesIO()
    fig.savefig(buf, format="png",
                metadata=None if font_px is None else {FONT_PX_KEY: f"{font_px:g}"})
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _cell(make, source, slide_type, **kwargs):
    cell = make(source, **kwargs)
    cell.metadata["slideshow"] = {"slide_type": slide_type}
    return cell


def _figure(png, alt):
    return new_output("display_data", data={
        "text/html": f'<img src="data:image/png;base64,{png}" alt="{alt}">',
        "image/png": png, "text/plain": alt})


LONG_TEXT = "\n".join(f"- point {i}: a line of text that takes its room on the slide"
                      for i in range(1, 13))

# Stand-in markup, slide by slide (indices as reveal numbers them, h across and v down):
#   (0, 0) title + speaker notes
#   (1, 0) formula + a fragment        (1, 1) plot (subslide), then a skipped cell
#   (2, 0) a slide too long for the screen: three cells of twelve lines each, which the
#          builder splits (a continuation slide after it)
#   (3, 0) summary
STANDIN_MARKUP_SLIDES = 5


def _standin_notebook():
    return new_notebook(cells=[
        _cell(new_markdown_cell, "# Stand-in lesson", "slide"),
        _cell(new_markdown_cell, "Speaker notes for the title", "notes"),
        _cell(new_markdown_cell, "## The update\n\n$$w_{t+1} = w_t - \\eta \\nabla L(w_t)$$",
              "slide"),
        _cell(new_markdown_cell, "where $\\eta$ is the learning rate", "fragment"),
        _cell(new_code_cell, "plot_loss()", "subslide", execution_count=1,
              outputs=[_figure(_png(font_px=14), "The loss falls from 3 to 0.2 in 3 epochs")]),
        _cell(new_code_cell, "setup = 1", "skip", execution_count=2),
        _cell(new_markdown_cell, f"## A long slide\n\n{LONG_TEXT}", "slide"),
        _cell(new_markdown_cell, LONG_TEXT, "-"),
        _cell(new_markdown_cell, LONG_TEXT, "-"),
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
    """{label: (deck path, slides in the markup, has formulas)}, all built into one folder."""
    work = tmp_path_factory.mktemp("decks")
    standin = work / "standin.ipynb"
    nbformat.write(_standin_notebook(), standin)
    with warnings.catch_warnings(record=True):  # the builder's notes; the tests below judge
        warnings.simplefilter("always")
        built = build_slides(work / "out", [standin, *LESSON_NOTEBOOKS], pdf=False)
    found = {"stand-in": (built[0], STANDIN_MARKUP_SLIDES, True)}
    for path, deck in zip(LESSON_NOTEBOOKS, built[1:]):
        nb = nbformat.read(path, as_version=4)
        has_math = any("$" in c.source for c in nb.cells if c.cell_type == "markdown")
        found[path.stem] = (deck, _slides_in_markup(nb), has_math)
    return found


@pytest.fixture(scope="module")
def deck_page(chromium):
    """One page of 1280x720 for every deck."""
    page = guarded_page(chromium, WIDTH, HEIGHT)
    yield page
    page.context.close()


@pytest.fixture(autouse=True)
def _artifacts_on_failure(request):
    yield
    if failed(request) and "deck_page" in request.fixturenames:
        save_artifacts(request.getfixturevalue("deck_page"), request.node.nodeid)


DECK_LABELS = ["stand-in", *[p.stem for p in LESSON_NOTEBOOKS]]


def _open_deck(page, deck):
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.blocked.clear()
    page.goto(deck.as_uri())
    page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=60_000)
    page.evaluate("Reveal.configure({transition: 'none', backgroundTransition: 'none'})")
    # Fragments fade in over 0.2 s: measure them as they end up, not halfway.
    page.add_style_tag(content="*, *::before, *::after { transition: none !important; }")
    return errors


def _indices(page):
    return page.evaluate("(() => { const i = Reveal.getIndices(); return [i.h, i.v]; })()")


# What one slide shows, measured in the page (every fragment shown).
_MEASURE = r"""() => {
  const section = Reveal.getCurrentSlide();
  const scale = Reveal.getScale();
  const outside = [], cut = [], small = [];
  const skip = el => el.closest('aside.notes, mjx-assistive-mml');
  for (const el of section.querySelectorAll('*')) {
    if (skip(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    if (r.left < -1 || r.top < -1 || r.right > innerWidth + 1 || r.bottom > innerHeight + 1) {
      outside.push(`${el.tagName.toLowerCase()}.${el.className} at ` +
                   `(${Math.round(r.left)}, ${Math.round(r.top)})-` +
                   `(${Math.round(r.right)}, ${Math.round(r.bottom)})`);
    }
    if ((style.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1) ||
        (style.overflowY !== 'visible' && el.scrollHeight > el.clientHeight + 1)) {
      cut.push(`${el.tagName.toLowerCase()}.${el.className}: ${el.scrollWidth}x` +
               `${el.scrollHeight} in ${el.clientWidth}x${el.clientHeight}`);
    }
  }
  const walker = document.createTreeWalker(section, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || skip(el)) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const px = parseFloat(style.fontSize) * (el.currentCSSZoom || 1) * scale;
    if (px < %(min)s) small.push(`${px.toFixed(1)} px: ${node.textContent.trim().slice(0, 40)}`);
  }
  // Text or pictures under reveal's arrows or slide number.
  const overlays = [...document.querySelectorAll('.reveal .controls button, .reveal .slide-number')]
    .filter(el => getComputedStyle(el).visibility !== 'hidden')
    .map(el => el.getBoundingClientRect()).filter(r => r.width > 0);
  const meets = r => overlays.some(o => r.width > 0 && r.left < o.right && r.right > o.left &&
                                        r.top < o.bottom && r.bottom > o.top);
  const covered = [];
  const texts = document.createTreeWalker(section, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  while (texts.nextNode()) {
    const node = texts.currentNode;
    if (!node.textContent.trim() || skip(node.parentElement)) continue;
    range.selectNodeContents(node);
    if ([...range.getClientRects()].some(meets)) covered.push(node.textContent.trim().slice(0, 40));
  }
  for (const el of section.querySelectorAll('img, svg')) {
    if (!skip(el) && meets(el.getBoundingClientRect())) covered.push(`a picture (${el.tagName})`);
  }
  const images = [...section.querySelectorAll('img')].map(img => ({
    src: img.currentSrc || img.src, alt: img.getAttribute('alt'),
    natural: img.naturalWidth, shown: img.getBoundingClientRect().width}));
  return {outside: outside.slice(0, 3), cut: cut.slice(0, 3), small: small.slice(0, 3),
          covered: covered.slice(0, 3),
          images, text: section.innerText,
          continued: section.hasAttribute('data-nnlesson-continued')};
}""".replace("%(min)s", str(TEXT_MIN_PX))

_measured = {}


def _measure(page, decks, label):
    """Walk every slide of a deck (all fragments shown); cached for the module's tests."""
    if label in _measured:
        return _measured[label]
    deck = decks[label][0]
    errors = _open_deck(page, deck)
    slides = page.evaluate(
        "Reveal.getSlides().map(s => { const i = Reveal.getIndices(s); return [i.h, i.v || 0]; })")
    found = {"slides": {}, "errors": errors}
    for h, v in slides:
        page.evaluate(f"Reveal.slide({h}, {v}, 1000)")
        found["slides"][(h, v)] = page.evaluate(_MEASURE)
    found["total"] = page.evaluate("Reveal.getTotalSlides()")
    found["blocked"] = list(page.blocked)
    _measured[label] = found
    return found


def _picture(src):
    from PIL import Image

    match = re.match(r"data:image/[a-z+]+;base64,(.*)$", src, re.S)
    assert match, f"a picture not embedded in the deck: {src[:60]}"
    return Image.open(io.BytesIO(base64.b64decode(match.group(1))))


def _same_picture(a, b):
    """Two pictures show the same thing (same shape, pixels equal once scaled down)."""
    import numpy as np

    if abs(a.width / a.height - b.width / b.height) > 0.02:
        return False
    small = [np.asarray(p.convert("L").resize((96, 64)), dtype=float) for p in (a, b)]
    return float(np.abs(small[0] - small[1]).mean()) < 1.0


@pytest.mark.parametrize("label", DECK_LABELS)
def test_deck_works_offline_with_every_slide(deck_page, decks, label):
    page = deck_page
    deck, in_markup, has_math = decks[label]
    measured = _measure(page, decks, label)
    continued = sum(s["continued"] for s in measured["slides"].values())
    assert measured["total"] == in_markup + continued
    errors = _open_deck(page, deck)
    # Formulas typeset by the local MathJax; every picture decoded.
    if has_math:
        page.wait_for_function("document.querySelectorAll('mjx-container svg').length > 0")
        assert page.locator("mjx-merror").count() == 0, "MathJax could not typeset a formula"
    assert page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    # Walking with "next" (what a presenter's clicker sends) reaches every slide once.
    seen = {tuple(_indices(page))}
    for _ in range(measured["total"] * 20):
        if page.evaluate("Reveal.isLastSlide() && !Reveal.availableFragments().next"):
            break
        page.keyboard.press("n")
        seen.add(tuple(_indices(page)))
    assert len(seen) == measured["total"]
    assert page.blocked == [] and measured["blocked"] == [], \
        f"the deck tried to reach the network: {page.blocked + measured['blocked']}"
    assert errors == [] and measured["errors"] == []


def test_a_long_slide_is_split_and_fits(deck_page, decks):
    measured = _measure(deck_page, decks, "stand-in")
    assert [s["continued"] for s in measured["slides"].values()].count(True) >= 1
    long_parts = [s for s in measured["slides"].values() if "A long slide" in s["text"]]
    assert len(long_parts) >= 2 and "A long slide (continued)" in long_parts[1]["text"]
    assert all(not s["outside"] and not s["cut"] and not s["covered"] for s in long_parts)


@pytest.mark.parametrize("label", DECK_LABELS)
def test_every_slide_fits_the_screen(deck_page, decks, label):
    slides = _measure(deck_page, decks, label)["slides"]
    problems = {at: s["outside"] + s["cut"] + [f"under the arrows: {c}" for c in s["covered"]]
                for at, s in slides.items() if s["outside"] or s["cut"] or s["covered"]}
    assert problems == {}, f"{len(problems)} of {len(slides)} slides do not fit 1280x720"


@pytest.mark.parametrize("label", DECK_LABELS)
def test_no_slide_shows_the_same_picture_twice(deck_page, decks, label):
    slides = _measure(deck_page, decks, label)["slides"]
    twice = []
    for at, slide in slides.items():
        pictures = [_picture(img["src"]) for img in slide["images"]]
        if any(_same_picture(a, b) for i, a in enumerate(pictures) for b in pictures[i + 1:]):
            twice.append(at)
    assert twice == [], f"slides showing one picture twice: {twice}"


@pytest.mark.parametrize("label", DECK_LABELS)
def test_no_test_suite_comment_on_any_slide(deck_page, decks, label):
    slides = _measure(deck_page, decks, label)["slides"]
    shown = [at for at, s in slides.items() if re.search(r"nbval", s["text"], re.I)]
    assert shown == [], f"slides showing 'nbval': {shown}"


@pytest.mark.parametrize("label", DECK_LABELS)
def test_slide_text_is_at_least_about_14px(deck_page, decks, label):
    slides = _measure(deck_page, decks, label)["slides"]
    small = {at: s["small"] for at, s in slides.items() if s["small"]}
    assert small == {}, f"{len(small)} slides have text under {TEXT_MIN_PX} px"


@pytest.mark.parametrize("label", DECK_LABELS)
def test_figure_text_is_at_least_about_14px(deck_page, decks, label):
    slides = _measure(deck_page, decks, label)["slides"]
    problems = []
    for at, slide in slides.items():
        for img in slide["images"]:
            picture = _picture(img["src"])
            recorded = picture.info.get(FONT_PX_KEY)
            if recorded is None:
                problems.append(f"{at}: a {picture.width}x{picture.height} picture does not "
                                f"record its smallest font size ({FONT_PX_KEY})")
                continue
            px = float(recorded) * img["shown"] / img["natural"]
            if px < TEXT_MIN_PX:
                problems.append(f"{at}: figure text {px:.1f} px ({recorded} px drawn, shown at "
                                f"{img['shown'] / img['natural']:.2f}x)")
    assert problems == []


@pytest.mark.parametrize("label", DECK_LABELS)
def test_every_picture_has_alt_text(deck_page, decks, label):
    slides = _measure(deck_page, decks, label)["slides"]
    missing = [at for at, s in slides.items() for img in s["images"]
               if not (img["alt"] or "").strip() or img["alt"] == NBCONVERT_NO_ALT]
    assert missing == [], f"pictures without alt text on slides {missing}"


def _slide_pages(page, result):
    """Each serious or critical violation with the printed pages (slides) it was found on."""
    lines = []
    for line, violation in zip(serious_violations(result),
                               [v for v in result["violations"]
                                if v["impact"] in ("serious", "critical")]):
        pages = page.evaluate(
            """targets => {
                const all = [...document.querySelectorAll('.pdf-page')];
                return [...new Set(targets.map(t => {
                    const el = document.querySelector(t);
                    return el && el.closest('.pdf-page') ? all.indexOf(el.closest('.pdf-page')) + 1
                                                         : null;
                }))];
            }""", [n["target"][-1] for n in violation["nodes"]])
        lines.append(f"slides {pages}: {line}")
    return lines


@pytest.mark.parametrize("label", DECK_LABELS)
def test_axe_finds_no_serious_violation(deck_page, decks, axe_script, label):
    """axe-core on the deck: every slide at once in reveal's print layout (each slide a page,
    every fragment shown, as in the PDF; the slides reveal hides from assistive technology
    while another one is presented are shown to axe too), then the presentation view with its
    controls and slide number."""
    page = deck_page
    deck = decks[label][0]
    page.goto(deck.as_uri() + "?print-pdf")
    page.wait_for_function("document.documentElement.getAttribute('data-pdf-ready') === 'true'",
                           timeout=60_000)
    # reveal hides every slide but the current one from assistive technology (aria-hidden);
    # each slide is the current one when it is presented, so axe sees them all here.
    page.evaluate("""() => document.querySelectorAll('.reveal .slides section').forEach(
                             s => { s.removeAttribute('aria-hidden'); s.hidden = false; })""")
    problems = _slide_pages(page, run_axe(page, axe_script))
    _open_deck(page, deck)
    problems += [f"presentation view: {line}"
                 for line in serious_violations(run_axe(page, axe_script))]
    assert problems == []


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


def test_command_line_prints_one_pdf_page_per_slide(tmp_path, deck_page):
    # In its own process, as a teacher runs it (this session's Playwright is already in use).
    notebook = tmp_path / "standin.ipynb"
    nbformat.write(_standin_notebook(), notebook)
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO),
                                                                  os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-m", "nnlesson", "slides", "--out", str(out), "--pdf",
                           str(notebook)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(out / "standin.html"), str(out / "standin.pdf"),
                                   str(out / "index.html")]
    pdf = (out / "standin.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    _open_deck(deck_page, out / "standin.html")
    slides = deck_page.evaluate("Reveal.getTotalSlides()")
    assert slides > STANDIN_MARKUP_SLIDES  # the long slide was split
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == slides
    # Each page is one 1280x720 slide (960x540 points).
    boxes = set(re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf))
    assert {(float(w), float(h)) for w, h in boxes} == {(960.0, 540.0)}
    assert 'href="standin.pdf"' in (out / "index.html").read_text()
