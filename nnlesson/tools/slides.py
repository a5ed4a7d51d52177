"""Slide decks: every lesson notebook as a reveal.js deck that works with no network.

A lesson notebook is also its slide deck: each cell carries ``metadata.slideshow.slide_type``
(``slide``, ``subslide``, ``fragment``, ``-``, ``skip`` or ``notes``), and nbconvert's reveal
template turns it into ``<section>`` elements. This module adds what a classroom needs:

* **No network.** reveal.js, require.js, jQuery and MathJax are taken from the npm registry
  once, into a cache (:func:`fetch_assets`), and the few files a deck uses are copied into
  ``OUT/assets``. The deck's HTML refers to them by relative paths only, so the folder can be
  opened from a USB stick in a room without internet.
* **Formulas.** nbconvert's template expects MathJax 2 from a CDN; the deck uses MathJax 3's
  single-file bundle ``tex-svg-full.js`` instead (no font files to copy), with the same
  ``$...$`` and ``$$...$$`` delimiters.
* **Plots from live experiments.** A slider experiment draws into an ipywidgets ``Image`` or
  ``Output``; the executed notebook keeps what it showed in its widget state. A widget cannot
  run without a kernel, so the deck shows it as it was: one line with the controls' values
  (``learning rate = 0.1 · momentum β = 0.9``) and the plot drawn at those values.
* **A title slide.** If the first visible cell is not a ``# Heading`` cell, one is added from
  the course registry (``nnlesson.course``).
* **Speaker notes** come from ``notes`` cells (press ``S`` in the deck).
* **PDF** (``pdf=True``): each deck printed by headless Chromium through Playwright, using
  reveal's ``?print-pdf`` layout.

Layout of ``OUT``::

    OUT/index.html                 links to every deck in OUT
    OUT/04_momentum.html           a deck (and OUT/04_momentum.pdf with pdf=True)
    OUT/assets/...                 reveal.js, require.js, jQuery, MathJax (about 3 MB)
"""
from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

from nnlesson._validate import check_bool
from nnlesson.course import LESSONS, Lesson, lesson as lesson_by_number

__all__ = [
    "ASSET_VERSIONS",
    "SlideAssetsError",
    "asset_cache_dir",
    "fetch_assets",
    "copy_assets",
    "build_deck",
    "build_slides",
    "write_index",
    "print_pdfs",
    "main",
]

# npm packages the decks use, pinned. reveal.js 4 has the layout nbconvert's reveal template
# expects (dist/reveal.js, dist/reveal.css, dist/theme/, plugin/notes/notes.js).
ASSET_VERSIONS = {
    "reveal.js": "4.6.1",
    "requirejs": "2.3.7",
    "jquery": "3.7.1",
    "mathjax": "3.2.2",
}

_FONTS = "reveal.js/dist/theme/fonts/source-sans-pro"
# (path under node_modules, path under OUT/assets): only what a deck loads, plus licences.
_ASSET_FILES = (
    ("reveal.js/dist/reveal.js", "reveal.js/dist/reveal.js"),
    ("reveal.js/dist/reveal.css", "reveal.js/dist/reveal.css"),
    ("reveal.js/dist/theme/white.css", "reveal.js/dist/theme/white.css"),
    ("reveal.js/plugin/notes/notes.js", "reveal.js/plugin/notes/notes.js"),
    ("reveal.js/LICENSE", "reveal.js/LICENSE"),
    # The white theme's font; Chromium and Firefox pick the .woff files, so .eot/.ttf stay out.
    (f"{_FONTS}/source-sans-pro.css", f"{_FONTS}/source-sans-pro.css"),
    (f"{_FONTS}/source-sans-pro-regular.woff", f"{_FONTS}/source-sans-pro-regular.woff"),
    (f"{_FONTS}/source-sans-pro-italic.woff", f"{_FONTS}/source-sans-pro-italic.woff"),
    (f"{_FONTS}/source-sans-pro-semibold.woff", f"{_FONTS}/source-sans-pro-semibold.woff"),
    (f"{_FONTS}/source-sans-pro-semibolditalic.woff",
     f"{_FONTS}/source-sans-pro-semibolditalic.woff"),
    (f"{_FONTS}/LICENSE", f"{_FONTS}/LICENSE"),
    ("requirejs/require.js", "require.js"),
    ("jquery/dist/jquery.min.js", "jquery.min.js"),
    ("jquery/LICENSE.txt", "jquery.LICENSE.txt"),
    ("mathjax/es5/tex-svg-full.js", "mathjax/tex-svg-full.js"),
    ("mathjax/LICENSE", "mathjax/LICENSE"),
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)

_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

# nbconvert's reveal template with four blocks replaced: MathJax 3 from OUT/assets instead of
# MathJax 2 from a CDN, no mermaid (loaded from a CDN, unused), no widget manager (loaded from a
# CDN; widgets are replaced by their saved outputs), and a start-up script that waits for
# MathJax before laying out the slides and exposes ``window.Reveal`` for tests and printing.
_DECK_TEMPLATE = r"""
{%- extends 'index.html.j2' -%}

{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}

{%- block html_head_css -%}
<style>
/* Keep headings as written: the white theme upper-cases them ("AdamW", not "ADAMW"). */
.reveal .slides h1, .reveal .slides h2, .reveal .slides h3, .reveal .slides h4 {
  text-transform: none;
}
/* The title slide's heading in the middle. */
.reveal .slides > section:first-child h1 { text-align: center; }
/* No empty page after the last slide when printing. */
html.print-pdf .reveal .slides .pdf-page:last-child { page-break-after: avoid; break-after: avoid; }
</style>
{%- endblock html_head_css -%}

{% block jupyter_widgets %}{% endblock jupyter_widgets %}

{%- block html_head_js_mathjax -%}
<script>
window.MathJax = {
  tex: {
    inlineMath: [['$', '$'], ['\\(', '\\)']],
    displayMath: [['$$', '$$'], ['\\[', '\\]']],
    processEscapes: true,
    processEnvironments: true,
    tags: 'ams'
  },
  svg: {fontCache: 'global'},
  options: {enableMenu: false}
};
</script>
<script src="{{ resources.nnlesson_mathjax_url }}"></script>
{%- endblock html_head_js_mathjax -%}

{% block footer_js %}
<script>
require(
    {waitSeconds: 15},
    [
      "{{ resources.reveal.url_prefix }}/dist/reveal.js",
      "{{ resources.reveal.url_prefix }}/plugin/notes/notes.js"
    ],
    function (Reveal, RevealNotes) {
        window.Reveal = Reveal;
        Reveal.on('pdf-ready', function () {
            document.documentElement.setAttribute('data-pdf-ready', 'true');
        });
        var typeset = (window.MathJax && MathJax.startup && MathJax.startup.promise)
            || Promise.resolve();
        typeset.catch(function (err) { console.error(err); }).then(function () {
            Reveal.initialize({
                controls: true,
                progress: true,
                history: true,
                transition: "{{ resources.reveal.transition }}",
                slideNumber: "{{ resources.reveal.number }}",
                width: {{ resources.reveal.width | default('960', true) }},
                height: {{ resources.reveal.height | default('700', true) }},
                pdfSeparateFragments: false,
                plugins: [RevealNotes]
            });
        });
    }
);
</script>
{% endblock footer_js %}
"""


class SlideAssetsError(RuntimeError):
    """The offline copies of reveal.js, require.js, jQuery or MathJax could not be obtained."""


@dataclass(frozen=True)
class _Source:
    """One notebook to turn into a deck: where it is, the deck's file stem and its title."""

    notebook: Path
    name: str
    title: str | None  # None: taken from the notebook's first heading


# --------------------------------------------------------------------------------------------
# Assets


def asset_cache_dir() -> Path:
    """Where :func:`fetch_assets` installs the npm packages.

    ``$NNLESSON_SLIDE_ASSETS`` if set, else ``$XDG_CACHE_HOME/nnlesson/slide-assets`` (by
    default ``~/.cache/nnlesson/slide-assets``).
    """
    if os.environ.get("NNLESSON_SLIDE_ASSETS"):
        return Path(os.environ["NNLESSON_SLIDE_ASSETS"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "nnlesson" / "slide-assets"


def _installed_version(modules: Path, package: str) -> str | None:
    try:
        return json.loads((modules / package / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def fetch_assets(cache: Path | str | None = None) -> Path:
    """Make sure the pinned npm packages are in ``cache``; return its ``node_modules`` folder.

    Runs ``npm install --prefix CACHE reveal.js@... requirejs@... jquery@... mathjax@...`` only
    when a package is missing or at another version, so after the first call no network is
    needed. Raises :class:`SlideAssetsError` when npm is not installed or the install fails.
    """
    cache = asset_cache_dir() if cache is None else Path(cache)
    modules = cache / "node_modules"
    if all(_installed_version(modules, n) == v for n, v in ASSET_VERSIONS.items()):
        return modules
    npm = shutil.which("npm")
    if npm is None:
        raise SlideAssetsError(
            "npm was not found on PATH. The slide decks need local copies of "
            + ", ".join(f"{n} {v}" for n, v in ASSET_VERSIONS.items())
            + " from the npm registry: install Node.js and npm (Debian: apt-get install -y npm),"
            " then run `bash .ci/install_slide_assets.sh` or build the slides again."
        )
    cache.mkdir(parents=True, exist_ok=True)
    command = [npm, "install", "--prefix", str(cache), "--no-audit", "--no-fund",
               "--ignore-scripts", "--save-exact",
               *(f"{name}@{version}" for name, version in ASSET_VERSIONS.items())]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    missing = [n for n, v in ASSET_VERSIONS.items() if _installed_version(modules, n) != v]
    if done.returncode != 0 or missing:
        raise SlideAssetsError(
            f"`{' '.join(command)}` failed (exit code {done.returncode}); still missing: "
            f"{', '.join(missing) or 'nothing'}.\n{done.stderr.strip()[-2000:]}"
        )
    return modules


def copy_assets(out_dir: Path | str, cache: Path | str | None = None) -> Path:
    """Copy the files a deck needs from the npm cache into ``out_dir/assets``; return that path."""
    modules = fetch_assets(cache)
    assets = Path(out_dir) / "assets"
    for source, target in _ASSET_FILES:
        src = modules / source
        if not src.is_file():
            raise SlideAssetsError(f"{src} is missing from the npm cache; delete {modules.parent}"
                                   " and build the slides again to fetch it anew")
        dst = assets / target
        dst.parent.mkdir(parents=True, exist_ok=True)
        if not dst.exists() or dst.stat().st_size != src.stat().st_size:
            shutil.copyfile(src, dst)
    return assets


# --------------------------------------------------------------------------------------------
# Notebook to deck


def _slide_type(cell) -> str:
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-")


def _first_heading(nb) -> str | None:
    """Text of the first ``# Heading`` in the notebook's visible markdown cells."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and _slide_type(cell) not in ("skip", "notes"):
            match = re.search(r"^#\s+(.+?)\s*#*\s*$", cell.source, flags=re.MULTILINE)
            if match:
                return match.group(1)
    return None


def _ensure_title_slide(nb, title: str) -> None:
    """Insert a title slide unless the first visible cell is markdown opening with ``# ``."""
    import nbformat

    for cell in nb.cells:
        if _slide_type(cell) in ("skip", "notes"):
            continue
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("# "):
            return
        break
    title_cell = nbformat.v4.new_markdown_cell(
        f"# {title}", metadata={"slideshow": {"slide_type": "slide"}})
    if nb.nbformat_minor < 5:  # cell ids came with nbformat 4.5
        title_cell.pop("id", None)
    nb.cells.insert(0, title_cell)


def _control_text(model_name: str, state: dict) -> str | None:
    """``"learning rate = 0.1"`` for a slider, dropdown or checkbox; None for anything else."""
    label = html.escape(str(state.get("description") or ""))
    if model_name.endswith("SliderModel") and isinstance(state.get("value"), (int, float)):
        value = f"{state['value']:.3g}"
    elif model_name == "DropdownModel" and state.get("index") is not None:
        value = html.escape(str(state.get("_options_labels", [])[state["index"]]))
    elif model_name in ("CheckboxModel", "ToggleButtonModel"):
        value = "on" if state.get("value") else "off"
    else:
        return None
    return f"{label} = {value}" if label else value


def _widget_items(model_id: str, models: dict, seen: set) -> list:
    """What the widget ``model_id`` and its children showed, in display order.

    Returns ``("control", text)`` for each slider, dropdown or checkbox (its value when the
    notebook was executed) and ``("output", dict)`` for each picture or text: the outputs an
    ``Output`` widget captured, an ``Image`` widget's PNG (kept base64-encoded in the widget
    state's ``buffers``), an ``HTML`` widget's text. Containers (``VBox``, ``interactive``)
    hold their children as ``"IPY_MODEL_<id>"`` references.
    """
    if model_id in seen or model_id not in models:
        return []
    seen.add(model_id)
    model = models[model_id]
    name, state = model.get("model_name", ""), model.get("state", {})
    items = []
    if name == "OutputModel":
        items += [("output", o) for o in state.get("outputs", [])]
    elif name == "ImageModel":
        for buffer in model.get("buffers", []):
            if buffer.get("path") == ["value"] and buffer.get("encoding") == "base64":
                mime = f"image/{state.get('format', 'png')}"
                items.append(("output", {"output_type": "display_data", "metadata": {},
                                         "data": {mime: buffer["data"]}}))
    elif name in ("HTMLModel", "HTMLMathModel") and state.get("value"):
        items.append(("output", {"output_type": "display_data", "metadata": {},
                                 "data": {"text/html": state["value"]}}))
    else:
        text = _control_text(name, state)
        if text is not None:
            items.append(("control", text))
    for value in state.values():
        for ref in value if isinstance(value, list) else [value]:
            if isinstance(ref, str) and ref.startswith("IPY_MODEL_"):
                items += _widget_items(ref[len("IPY_MODEL_"):], models, seen)
    return items


def _widget_snapshot(model_id: str, models: dict) -> list:
    """Outputs that stand for a widget on a slide: its controls' values on one line, its plots."""
    import nbformat

    outputs, controls = [], []
    for kind, item in _widget_items(model_id, models, set()) + [("end", None)]:
        if kind == "control":
            controls.append(item)
            continue
        if controls:
            line = " · ".join(controls)
            outputs.append(nbformat.v4.new_output("display_data", data={
                "text/html": f'<p class="nnlesson-controls"><em>{line}</em></p>'}))
            controls = []
        if kind == "output":
            outputs.append(nbformat.from_dict(item))
    return outputs


def _replace_widgets(nb) -> None:
    """Show each widget as it was when the notebook ran, instead of the live widget.

    Without a kernel a slider cannot move, and the JavaScript that draws widgets would come
    from a CDN. So a widget becomes a line with its controls' values and the plot it drew;
    the widget state is dropped from the deck.
    """
    import nbformat

    models = nb.metadata.get("widgets", {}).get(_WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(_WIDGET_VIEW)
            if view is None:
                outputs.append(output)
                continue
            snapshot = _widget_snapshot(view.get("model_id", ""), models)
            outputs += snapshot or [nbformat.v4.new_output("display_data", data={
                "text/html": "<p><em>Live experiment: run the notebook to use the "
                             "sliders.</em></p>"})]
        cell.outputs = outputs
    nb.metadata.pop("widgets", None)


def build_deck(notebook: Path | str, deck: Path | str, *, title: str | None = None) -> Path:
    """Write the reveal.js deck of one notebook to ``deck`` (an ``.html`` path); return it.

    Asset URLs are relative to the deck's folder, so ``assets/`` must sit next to it (see
    :func:`copy_assets`). ``title`` names the deck and its title slide (default: the notebook's
    first heading, else its file name).
    """
    import nbformat
    from nbconvert import SlidesExporter

    notebook, deck = Path(notebook), Path(deck)
    nb = nbformat.read(notebook, as_version=4)
    title = title or _first_heading(nb) or notebook.stem
    _ensure_title_slide(nb, title)
    _replace_widgets(nb)
    nb.metadata["title"] = title

    exporter = SlidesExporter(
        raw_template=_DECK_TEMPLATE,
        reveal_url_prefix="assets/reveal.js",
        reveal_theme="white",
        reveal_transition="slide",
        reveal_number="c/t",
        require_js_url="assets/require.js",
        jquery_url="assets/jquery.min.js",
        mathjax_url="assets/mathjax/tex-svg-full.js",
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(
        nb, resources={"nnlesson_mathjax_url": "assets/mathjax/tex-svg-full.js",
                       "metadata": {"name": notebook.stem}})
    deck.parent.mkdir(parents=True, exist_ok=True)
    deck.write_text(body, encoding="utf-8")
    return deck


# --------------------------------------------------------------------------------------------
# Which notebooks


def _repo_root() -> Path:
    """The checkout that holds ``notebooks/``: the one this file is in, else the working dir."""
    here = Path(__file__).resolve().parents[2]
    return here if (here / "notebooks").is_dir() else Path.cwd()


def _source_for_lesson(item: Lesson, root: Path) -> _Source:
    return _Source(root / item.notebook, item.name, f"Lesson {item.number:02d}: {item.title}")


def _resolve(spec, root: Path) -> _Source:
    """A lesson number, slug, name (``04_momentum``), :class:`Lesson` or ``.ipynb`` path."""
    if isinstance(spec, Lesson):
        return _source_for_lesson(spec, root)
    if isinstance(spec, int) and not isinstance(spec, bool):
        return _source_for_lesson(lesson_by_number(spec), root)
    if isinstance(spec, (str, os.PathLike)):
        text = os.fspath(spec)
        if text.isdigit():
            return _source_for_lesson(lesson_by_number(int(text)), root)
        for item in LESSONS:
            if text in (item.slug, item.name):
                return _source_for_lesson(item, root)
        if text.endswith(".ipynb"):
            path = Path(text)
            return _Source(path, path.stem, None)
    raise ValueError(
        f"lessons must hold lesson numbers (0 to {len(LESSONS) - 1}), slugs such as 'momentum', "
        f"names such as '04_momentum' or paths to .ipynb files, got {spec!r}")


def _deck_title(deck: Path) -> str:
    match = re.search(r"<title>(.*?) slides</title>", deck.read_text(encoding="utf-8"), re.S)
    return html.unescape(match.group(1)) if match else deck.stem


def write_index(out_dir: Path | str) -> Path:
    """Write ``out_dir/index.html``: a link to every deck in ``out_dir`` (and its PDF if any)."""
    out_dir = Path(out_dir)
    rows = []
    for deck in sorted(out_dir.glob("*.html")):
        if deck.name == "index.html":
            continue
        pdf = deck.with_suffix(".pdf")
        pdf_link = f' (<a href="{html.escape(pdf.name)}">PDF</a>)' if pdf.exists() else ""
        rows.append(f'  <li><a href="{html.escape(deck.name)}">'
                    f"{html.escape(_deck_title(deck))}</a>{pdf_link}</li>")
    page = "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8"><title>nnlesson slide decks</title>',
        "<style>body { font-family: sans-serif; max-width: 40em; margin: 2em auto; }"
        " li { margin: 0.4em 0; }</style></head>",
        "<body>",
        "<h1>nnlesson slide decks</h1>",
        "<p>Arrow keys move between slides, <kbd>S</kbd> opens the speaker notes,"
        " <kbd>Esc</kbd> shows all slides.</p>",
        "<ul>",
        *rows,
        "</ul>",
        "</body>",
        "</html>",
        "",
    ])
    index = out_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


# --------------------------------------------------------------------------------------------
# PDF


def print_pdfs(decks, *, chromium: str | None = None, timeout_ms: int = 60_000) -> list[Path]:
    """Print each deck to a PDF next to it with headless Chromium (reveal's ``?print-pdf``).

    ``chromium`` defaults to ``$NNLESSON_CHROMIUM`` or Debian's ``/usr/bin/chromium``; run
    ``.ci/install_browser.sh`` when it is missing. Every request that is not a local file is
    refused, so a PDF shows exactly what the offline deck shows.
    """
    from playwright.sync_api import sync_playwright

    executable = chromium or os.environ.get("NNLESSON_CHROMIUM") or CHROMIUM
    if not Path(executable).is_file():
        raise FileNotFoundError(
            f"chromium must be an existing Chromium executable, got {executable!r}; "
            "run `bash .ci/install_browser.sh` to install Debian's Chromium")
    pdfs = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True,
                                     args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page()
            page.route("**/*", lambda route: route.continue_()
                       if route.request.url.startswith("file://") else route.abort())
            for deck in decks:
                deck = Path(deck).resolve()
                page.goto(deck.as_uri() + "?print-pdf", wait_until="load")
                page.wait_for_function(
                    "document.documentElement.getAttribute('data-pdf-ready') === 'true'",
                    timeout=timeout_ms)
                pdf = deck.with_suffix(".pdf")
                page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
                pdfs.append(pdf)
        finally:
            browser.close()
    return pdfs


# --------------------------------------------------------------------------------------------
# Entry points


def build_slides(out_dir, lessons=None, pdf=False, *, root=None, asset_cache=None) -> list[Path]:
    """Build a deck for each lesson into ``out_dir``; return the deck files written.

    ``lessons``: ``None`` for every lesson in ``nnlesson.course.LESSONS`` whose notebook exists
    (a warning names the missing ones), or a list of lesson numbers, slugs, names
    (``04_momentum``) or ``.ipynb`` paths. Lesson notebooks are looked up under ``root``
    (default: the checkout this package lives in, else the working directory).

    Writes ``out_dir/NAME.html`` per lesson (and ``NAME.pdf`` when ``pdf`` is true),
    ``out_dir/assets/`` and ``out_dir/index.html``. Returns the ``.html`` decks, each followed
    by its ``.pdf`` when ``pdf`` is true.
    """
    if not isinstance(out_dir, (str, os.PathLike)):
        raise TypeError(f"out_dir must be a path to a folder, got {out_dir!r}")
    check_bool("pdf", pdf)
    out_dir = Path(out_dir)
    root = _repo_root() if root is None else Path(root)

    if lessons is None:
        sources = [_source_for_lesson(item, root) for item in LESSONS]
        missing = [s for s in sources if not s.notebook.is_file()]
        sources = [s for s in sources if s.notebook.is_file()]
        if missing:
            warnings.warn("no notebook yet for: " + ", ".join(s.name for s in missing),
                          stacklevel=2)
        if not sources:
            raise FileNotFoundError(f"no lesson notebook found under {root / 'notebooks'}")
    else:
        if isinstance(lessons, (str, int, os.PathLike, Lesson)):
            lessons = [lessons]
        sources = list({s.name: s for s in (_resolve(spec, root) for spec in lessons)}.values())
        for source in sources:
            if not source.notebook.is_file():
                raise FileNotFoundError(f"notebook {source.notebook} does not exist")

    copy_assets(out_dir, asset_cache)
    decks = [build_deck(s.notebook, out_dir / f"{s.name}.html", title=s.title) for s in sources]
    written = list(decks)
    if pdf:
        pdfs = print_pdfs(decks)
        written = [path for pair in zip(decks, pdfs) for path in pair]
    write_index(out_dir)
    return written


def main(argv: list[str]) -> int:
    """``nnlesson slides [--out DIR] [--pdf] [LESSON ...]``; returns the exit code.

    Prints each file written, then the index. An error is one line on stderr, exit code 2.
    """
    parser = argparse.ArgumentParser(
        prog="nnlesson slides",
        description="Build an offline reveal.js slide deck from each lesson notebook.")
    parser.add_argument("lessons", nargs="*", metavar="LESSON",
                        help="lesson number, slug, name (04_momentum) or .ipynb path; "
                             "default: every lesson")
    parser.add_argument("--out", default="slides_out", metavar="DIR",
                        help="folder for the decks, their assets and index.html "
                             "(default: slides_out)")
    parser.add_argument("--pdf", action="store_true",
                        help="also print each deck to PDF with headless Chromium")
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            written = build_slides(args.out, args.lessons or None, pdf=args.pdf)
        for warning in caught:
            print(f"note: {warning.message}", file=sys.stderr)
    except (SlideAssetsError, FileNotFoundError, ValueError) as err:
        print(f"nnlesson slides: error: {err}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    print(Path(args.out) / "index.html")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
