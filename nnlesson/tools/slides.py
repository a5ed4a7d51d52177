"""Slide decks: every lesson notebook as a reveal.js deck for a 1280x720 projector, offline.

A lesson notebook is also its slide deck: each cell carries ``metadata.slideshow.slide_type``
(``slide``, ``subslide``, ``fragment``, ``-``, ``skip`` or ``notes``), and nbconvert's reveal
template turns it into ``<section>`` elements. This module adds what a classroom needs:

* **No network.** reveal.js, require.js, jQuery and MathJax are taken from the npm registry
  once, into a cache (:func:`fetch_assets`), and the few files a deck uses are copied into
  ``OUT/assets``. The deck's HTML refers to them by relative paths only, so the folder can be
  opened from a USB stick in a room without internet.
* **Slides that fit.** Slides are 1280x720 CSS pixels (one pixel of a 1280x720 projector).
  Before reveal.js starts, a script fits every slide: figures as large as the slide allows,
  text zoomed down a little if needed, and a slide that still does not fit is split between
  cells into a continuation slide (see ``deck_template.FIT_SCRIPT``). The PDF gets the same
  slides.
* **Only what the audience needs.** ``skip`` cells (imports, set-up) are left out. A code cell
  shows only its output when it is tagged ``hide-input``, is collapsed in JupyterLab
  (``jupyter.source_hidden``), or displays only something richer than text (a figure, an
  explorer, a rendered table); ``show-input`` keeps its code. Comments meant for the test suite
  (``# nbval...``) are removed from the code that is shown.
* **Formulas.** nbconvert's template expects MathJax 2 from a CDN; the deck uses MathJax 3's
  single-file bundle ``tex-svg-full.js`` instead (no font files to copy), with the same
  ``$...$`` and ``$$...$$`` delimiters.
* **Plots from live experiments.** A slider experiment (an "explorer") draws into an
  ipywidgets ``Image`` or ``Output``; the executed notebook keeps what it showed in its widget
  state. A widget cannot run without a kernel, so the deck shows it as it was: one line with the
  controls' values (``learning rate = 0.1 · momentum β = 0.9``) and the picture drawn at those
  values. One figure per experiment: a later figure-only cell on the same slide (the lesson's
  snapshot of the explorer) is left out of the deck.
* **Alt text** on every picture: from the ``<img alt>`` of a ``text/html`` output (what
  ``nnlesson.viz.plotting.show`` displays), from the output's ``alt`` metadata, or from its
  ``text/plain`` description. A picture without one is reported (never nbconvert's "No
  description has been provided for this image").
* **A title slide.** If the first visible cell is not a ``# Heading`` cell, one is added from
  the course registry (``nnlesson.course``).
* **Speaker notes** come from ``notes`` cells (press ``S`` in the deck), without the label line
  that JupyterLab shows on the collapsed cell (:data:`NOTES_LABEL`).
* **PDF** (``pdf=True``): each deck printed by headless Chromium through Playwright, using
  reveal's ``?print-pdf`` layout, one page per slide.

Layout of ``OUT``::

    OUT/index.html                 links to every deck in OUT
    OUT/04_momentum.html           a deck (and OUT/04_momentum.pdf with pdf=True)
    OUT/assets/...                 reveal.js, require.js, jQuery, MathJax (about 3 MB)
"""
from __future__ import annotations

import base64
import binascii
import html
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import warnings
import zlib
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from nnlesson._validate import check_bool
from nnlesson.course import LESSONS, Lesson, lesson as lesson_by_number
from nnlesson.tools.files import write_bytes, write_text

__all__ = [
    "ASSET_VERSIONS",
    "TEST_ASSET_VERSIONS",
    "SLIDE_WIDTH",
    "SLIDE_HEIGHT",
    "MIN_TEXT_PX",
    "NOTES_LABEL",
    "HIDE_INPUT_TAG",
    "SHOW_INPUT_TAG",
    "FONT_PX_KEY",
    "SlideAssetsError",
    "asset_cache_dir",
    "fetch_assets",
    "axe_core_path",
    "copy_assets",
    "png_text",
    "build_deck",
    "build_slides",
    "write_index",
    "print_pdfs",
    "run_command",
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
# npm packages only the tests use, installed into the same cache by .ci/install_slide_assets.sh:
# axe-core checks the decks and JupyterLab for accessibility problems.
TEST_ASSET_VERSIONS = {
    "axe-core": "4.14.1",
}

# A slide is 1280x720 CSS pixels: one pixel of a 1280x720 projector.
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720
# Text on a slide is never zoomed below this factor to make it fit (19 px code stays >= 14 px);
# the slide is split instead.
MIN_ZOOM = 0.76
# The smallest text a figure may show at projector size, in pixels of the slide.
MIN_TEXT_PX = 14
# A figure is never stretched beyond twice the size it was drawn at (it would look soft).
MAX_FIGURE_SCALE = 2.0
# reveal's arrows and slide number take a square of this many pixels in the bottom-right corner.
CORNER = 116

# JupyterLab shows a collapsed markdown cell as a grey bar with its first line: teacher notes
# start with this label, which the speaker notes leave out.
NOTES_LABEL = "For the teacher (click to expand)"
HIDE_INPUT_TAG = "hide-input"
SHOW_INPUT_TAG = "show-input"
# A PNG text chunk: the smallest font size in the picture, in pixels of the PNG. The fitting
# script keeps such a figure large enough for that text to be MIN_TEXT_PX on the slide.
FONT_PX_KEY = "nnlesson-min-font-px"
_NO_ALT = "No description has been provided for this image"  # what nbconvert writes instead

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


def fetch_assets(cache: Path | str | None = None, packages: dict | None = None) -> Path:
    """Make sure the pinned npm packages are in ``cache``; return its ``node_modules`` folder.

    Args:
        cache: the npm prefix to install into; default :func:`asset_cache_dir`.
        packages: ``{name: version}``; default :data:`ASSET_VERSIONS` (what a deck loads).
            ``.ci/install_slide_assets.sh`` also passes :data:`TEST_ASSET_VERSIONS`.

    Runs ``npm install --prefix CACHE reveal.js@... requirejs@... jquery@... mathjax@...`` only
    when a package is missing or at another version, so after the first call no network is
    needed.

    Raises:
        SlideAssetsError: npm is not installed or the install fails.
    """
    cache = asset_cache_dir() if cache is None else Path(cache)
    packages = ASSET_VERSIONS if packages is None else dict(packages)
    modules = cache / "node_modules"
    if all(_installed_version(modules, n) == v for n, v in packages.items()):
        return modules
    npm = shutil.which("npm")
    if npm is None:
        raise SlideAssetsError(
            "npm was not found on PATH. The slide decks need local copies of "
            + ", ".join(f"{n} {v}" for n, v in packages.items())
            + " from the npm registry: install Node.js and npm (Debian: apt-get install -y npm),"
            " then run `bash .ci/install_slide_assets.sh` or build the slides again."
        )
    cache.mkdir(parents=True, exist_ok=True)
    command = [npm, "install", "--prefix", str(cache), "--no-audit", "--no-fund",
               "--ignore-scripts", "--save-exact",
               *(f"{name}@{version}" for name, version in packages.items())]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    missing = [n for n, v in packages.items() if _installed_version(modules, n) != v]
    if done.returncode != 0 or missing:
        raise SlideAssetsError(
            f"`{' '.join(command)}` failed (exit code {done.returncode}); still missing: "
            f"{', '.join(missing) or 'nothing'}.\n{done.stderr.strip()[-2000:]}"
        )
    return modules


def axe_core_path(cache: Path | str | None = None) -> Path:
    """Where the pinned axe-core (:data:`TEST_ASSET_VERSIONS`) keeps ``axe.min.js`` in the cache.

    Nothing is installed here: ``.ci/install_slide_assets.sh`` installs it.

    Raises:
        SlideAssetsError: it is missing or at another version.
    """
    modules = (asset_cache_dir() if cache is None else Path(cache)) / "node_modules"
    wanted = TEST_ASSET_VERSIONS["axe-core"]
    found = _installed_version(modules, "axe-core")
    script = modules / "axe-core" / "axe.min.js"
    if found != wanted or not script.is_file():
        raise SlideAssetsError(
            f"axe-core {wanted} is not in {modules} (found: {found or 'nothing'}); run "
            "`bash .ci/install_slide_assets.sh`, which installs it from the npm registry")
    return script


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
            write_bytes(dst, src.read_bytes())
    return assets


# --------------------------------------------------------------------------------------------
# Pictures


def png_text(data: bytes) -> dict:
    """The text chunks (``tEXt``, ``zTXt``, ``iTXt``) of PNG bytes as ``{keyword: text}``.

    Returns ``{}`` for bytes that are not a PNG.
    """
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return {}
    found, at = {}, 8
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        at += 12 + length
        try:
            if kind == b"tEXt":
                key, _, text = body.partition(b"\0")
                found[key.decode("latin-1")] = text.decode("latin-1")
            elif kind == b"zTXt":
                key, _, rest = body.partition(b"\0")
                found[key.decode("latin-1")] = zlib.decompress(rest[1:]).decode("latin-1")
            elif kind == b"iTXt":
                key, _, rest = body.partition(b"\0")
                compressed, _method, rest = rest[0], rest[1], rest[2:]
                _language, _, rest = rest.partition(b"\0")
                _translated, _, text = rest.partition(b"\0")
                found[key.decode("latin-1")] = (zlib.decompress(text) if compressed
                                                else text).decode("utf-8")
            elif kind == b"IEND":
                break
        except (zlib.error, UnicodeDecodeError, IndexError):
            continue
    return found


def _font_px(src: str) -> float | None:
    """The :data:`FONT_PX_KEY` of a ``data:image/png;base64,...`` picture, if it has one."""
    prefix = "data:image/png;base64,"
    if not src.startswith(prefix):
        return None
    try:
        value = png_text(base64.b64decode(src[len(prefix):]))[FONT_PX_KEY]
        return float(value) if float(value) > 0 else None
    except (binascii.Error, KeyError, ValueError):
        return None


class _ImageTags(HTMLParser):
    """The ``<img>`` elements of an HTML fragment, as attribute dicts."""

    def __init__(self):
        super().__init__()
        self.images = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))


def _html_images(text) -> list:
    if isinstance(text, list):
        text = "".join(text)
    if not isinstance(text, str) or "<img" not in text.lower():
        return []
    parser = _ImageTags()
    parser.feed(text)
    return parser.images


def _descriptive(text) -> str | None:
    """``text/plain`` that describes a picture; None for a repr (``<Figure>``, ``VBox(...)``)."""
    if isinstance(text, list):
        text = "".join(text)
    text = (text or "").strip()
    if not text or (text.startswith("<") and text.endswith(">")):
        return None
    if re.match(r"^[A-Za-z_][\w.]*\(", text):  # a widget's or object's repr
        return None
    return text


def _is_picture(output) -> bool:
    """A figure or an explorer: a display whose content is a picture."""
    if output.get("output_type") not in ("display_data", "execute_result"):
        return False
    data = output.get("data", {})
    return (any(key.startswith("image/") for key in data) or _WIDGET_VIEW in data
            or bool(_html_images(data.get("text/html"))))


def _is_rich_display(output) -> bool:
    """A display that is more than text: a picture, an explorer, a rendered table or formula."""
    if output.get("output_type") not in ("display_data", "execute_result"):
        return False
    return any(key != "text/plain" for key in output.get("data", {}))


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


_NOTES_DETAILS = re.compile(r"^<details>\s*<summary>(.*?)</summary>(.*)</details>\s*$",
                            re.S | re.I)


def _strip_notes_label(nb) -> None:
    """Speaker notes without the label a student sees in JupyterLab.

    Either form of a notes cell works: the label as its first line (JupyterLab shows it on the
    grey bar of a collapsed cell), or the notes inside ``<details><summary>LABEL</summary>
    ... </details>`` (collapsed even after Run All, which expands collapsed markdown cells).
    """
    label = NOTES_LABEL.lower()
    for cell in nb.cells:
        if cell.cell_type == "markdown" and _slide_type(cell) == "notes":
            wrapped = _NOTES_DETAILS.match(cell.source.strip())
            if wrapped and wrapped.group(1).strip().lower() == label:
                cell.source = wrapped.group(2).strip()
                continue
            first, _, rest = cell.source.lstrip().partition("\n")
            if first.strip().strip("*_# ").lower() == label:
                cell.source = rest.lstrip("\n")


def _input_hidden(cell) -> bool:
    tags = cell.get("metadata", {}).get("tags", [])
    if SHOW_INPUT_TAG in tags:
        return False
    if HIDE_INPUT_TAG in tags or cell.get("metadata", {}).get("jupyter", {}).get("source_hidden"):
        return True
    outputs = cell.get("outputs", [])
    return bool(outputs) and all(_is_rich_display(o) for o in outputs)


def _hide_inputs(nb) -> None:
    """Code cells whose output is the point show only their output (nbconvert's remove_source)."""
    for cell in nb.cells:
        if cell.cell_type == "code" and _input_hidden(cell):
            cell.metadata.setdefault("transient", {})["remove_source"] = True


_TEST_COMMENT = re.compile(r"#.*\bnbval\b.*$")


def _strip_test_comments(nb) -> None:
    """Remove ``# nbval...`` comments (meant for the test suite) from the code a slide shows."""
    for cell in nb.cells:
        if cell.cell_type != "code" or "nbval" not in cell.source:
            continue
        lines = []
        for line in cell.source.split("\n"):
            code = _TEST_COMMENT.sub("", line).rstrip()
            if code or not line.strip():
                lines.append(code)
        cell.source = "\n".join(lines).strip("\n")


def _control_text(model_name: str, state: dict) -> str | None:
    """``"learning rate = 0.1"`` for a slider, dropdown, checkbox, progress bar or label.

    Returns None for anything else.
    """
    label = html.escape(str(state.get("description") or ""))
    if model_name.endswith("SliderModel") and isinstance(state.get("value"), (int, float)):
        value = f"{state['value']:.3g}"
    elif model_name == "DropdownModel" and state.get("index") is not None:
        value = html.escape(str(state.get("_options_labels", [])[state["index"]]))
    elif model_name in ("CheckboxModel", "ToggleButtonModel"):
        value = "on" if state.get("value") else "off"
    elif model_name.endswith("ProgressModel") and isinstance(state.get("value"), (int, float)):
        value = f"{state['value']:g} of {state.get('max', 100):g}"
    elif model_name == "LabelModel" and state.get("value"):
        value = html.escape(str(state["value"]))
    else:
        return None
    return f"{label} = {value}" if label else value


def _widget_items(model_id: str, models: dict, seen: set) -> list:
    """What the widget ``model_id`` and its children showed, in display order.

    Returns ``("control", text)`` for each slider, dropdown or checkbox (its value when the
    notebook was executed), ``("picture", output)`` for an ``Image`` widget's PNG (kept
    base64-encoded in the widget state's ``buffers``) or a picture an ``Output`` widget
    captured, ``("output", output)`` for anything else it captured or an ``HTML`` widget's
    text, and ``("alt", text)`` for a hidden description of the picture. Containers (``VBox``,
    ``interactive``) hold their children as ``"IPY_MODEL_<id>"`` references. A status line
    that is empty once the widget has drawn shows nothing.
    """
    if model_id in seen or model_id not in models:
        return []
    seen.add(model_id)
    model = models[model_id]
    name, state = model.get("model_name", ""), model.get("state", {})
    items = []
    if name == "OutputModel":
        items += [("picture" if _is_picture(o) else "output", o) for o in state.get("outputs", [])]
    elif name == "ImageModel":
        for buffer in model.get("buffers", []):
            if buffer.get("path") == ["value"] and buffer.get("encoding") == "base64":
                mime = f"image/{state.get('format', 'png')}"
                items.append(("picture", {"output_type": "display_data", "metadata": {},
                                          "data": {mime: buffer["data"]}}))
    elif name in ("HTMLModel", "HTMLMathModel"):
        # A hidden description (class nnlesson-plot-alt) is the picture's alt text, not a line.
        classes = state.get("_dom_classes", []) or []
        if state.get("value") and "nnlesson-plot-alt" in classes:
            items.append(("alt", html.unescape(re.sub(r"<[^>]+>", "", state["value"])).strip()))
        elif state.get("value"):
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


def _picture_output(src_or_b64: str, mime: str, alt: str | None):
    import nbformat

    data = src_or_b64.split(",", 1)[1] if src_or_b64.startswith("data:") else src_or_b64
    metadata = {mime: {"alt": alt}} if alt else {}
    return nbformat.v4.new_output("display_data", data={mime: data}, metadata=metadata)


def _widget_snapshot(model_id: str, models: dict, bundle: dict) -> list:
    """Outputs that stand for a widget on a slide: its controls' values on one line, its pictures.

    The pictures are the widget's own (its state when the notebook was executed); their alt
    text comes from the display's ``<img alt>`` placeholder, a hidden description widget or a
    descriptive ``text/plain``. Without widget state, the placeholder's pictures are shown.
    """
    import nbformat

    placeholder = [img for img in _html_images(bundle.get("text/html"))
                   if str(img.get("src", "")).startswith("data:image/")]
    items = _widget_items(model_id, models, set())
    alts = [img.get("alt") for img in placeholder if img.get("alt")]
    alts += [item for kind, item in items if kind == "alt" and item]
    plain = _descriptive(bundle.get("text/plain"))
    if plain:
        alts.append(plain)
    if not any(kind == "picture" for kind, _ in items):
        # No stored widget state: the placeholder's own pictures (with their alt texts).
        items += [("picture", _picture_output(img["src"], img["src"][5:].split(";")[0],
                                              img.get("alt") or plain)) for img in placeholder]
        alts = []
    outputs, controls, pictures = [], [], 0
    for kind, item in items + [("end", None)]:
        if kind == "alt":
            continue
        if kind == "control":
            controls.append(item)
            continue
        if controls:
            line = " · ".join(controls)
            outputs.append(nbformat.v4.new_output("display_data", data={
                "text/html": f'<p class="nnlesson-controls"><em>{line}</em></p>'}))
            controls = []
        if kind == "picture":
            output = nbformat.from_dict(item)
            mime = next((k for k in output.data if k.startswith("image/")), None)
            if (mime and pictures < len(alts) and not _html_images(output.data.get("text/html"))
                    and not output.metadata.get(mime, {}).get("alt")):
                output.metadata[mime] = {"alt": alts[pictures]}
            pictures += 1
            outputs.append(output)
        elif kind == "output":
            outputs.append(nbformat.from_dict(item))
    return outputs


def _replace_widgets(nb) -> set:
    """Show each widget as it was when the notebook ran, instead of the live widget.

    Without a kernel a slider cannot move, and the JavaScript that draws widgets would come
    from a CDN. So a widget becomes a line with its controls' values and the picture it drew;
    the widget state is dropped from the deck. Returns the indices of the cells whose widget
    showed a picture (the explorers).
    """
    import nbformat

    models = nb.metadata.get("widgets", {}).get(_WIDGET_STATE, {}).get("state", {})
    explorers = set()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(_WIDGET_VIEW)
            if view is None:
                outputs.append(output)
                continue
            snapshot = _widget_snapshot(view.get("model_id", ""), models, output.get("data", {}))
            if any(_is_picture(o) for o in snapshot):
                explorers.add(index)
            outputs += snapshot or [nbformat.v4.new_output("display_data", data={
                "text/html": "<p><em>Live experiment: run the notebook to use the "
                             "sliders.</em></p>"})]
        cell.outputs = outputs
    nb.metadata.pop("widgets", None)
    return explorers


def _drop_second_figures(nb, explorers: set) -> list:
    """One figure per experiment: leave out figure-only cells on an explorer's slide after it.

    A lesson often follows its explorer with a snapshot of the same plot (a static copy for
    readers without a kernel); the deck already shows the explorer's picture. Returns the
    indices of the cells left out that do not call a ``snapshot_...`` function (to report them).
    """
    unexpected, explorer_seen = [], False
    for index, cell in enumerate(nb.cells):
        kind = _slide_type(cell)
        if kind in ("slide", "subslide"):
            explorer_seen = False
        if index in explorers:
            explorer_seen = True
            continue
        if (explorer_seen and cell.cell_type == "code" and kind not in ("skip", "notes")
                and cell.get("outputs") and all(_is_picture(o) for o in cell.outputs)):
            cell.metadata.setdefault("slideshow", {})["slide_type"] = "skip"
            if not re.search(r"\bsnapshot_\w*\s*\(", cell.source):
                unexpected.append(index)
    return unexpected


def _set_alt_texts(nb) -> None:
    """Put each picture output's alt text where the template reads it (``metadata[mime].alt``).

    An output shown as ``text/html`` carries its own ``<img alt>``. For a plain picture the alt
    text is its ``alt`` metadata (per type or for the output) or a descriptive ``text/plain``.
    """
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = output.get("data", {})
            if "text/html" in data:
                continue
            for mime in ("image/png", "image/jpeg"):
                if mime not in data:
                    continue
                meta = output.setdefault("metadata", {})
                per_type = meta.get(mime) if isinstance(meta.get(mime), dict) else {}
                alt = per_type.get("alt") or meta.get("alt") or _descriptive(data.get("text/plain"))
                if alt:
                    meta[mime] = dict(per_type, alt=alt)


class _DeckImages(HTMLParser):
    """Offsets of the ``<img>`` tags in a deck and their attributes."""

    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.tags.append((self.getpos(), self.get_starttag_text(), dict(attrs)))


def _finish_pictures(page: str) -> tuple[str, int]:
    """Mark each picture's font size for the fitting script; drop nbconvert's stand-in alt text.

    Returns the page and the number of pictures without alt text.
    """
    parser = _DeckImages()
    parser.feed(page)
    lines = page.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    pieces, last, missing = [], 0, 0
    for (line, column), tag, attrs in parser.tags:
        at = starts[line - 1] + column
        new = tag
        alt = attrs.get("alt")
        if alt is None or not alt.strip() or alt == _NO_ALT:
            missing += 1
            new = re.sub(r'\salt="[^"]*"', "", new)
        font_px = _font_px(attrs.get("src") or "")
        if font_px is not None:
            new = re.sub(r"^<img\b", f'<img data-nnlesson-font-px="{font_px:g}"', new)
        pieces += [page[last:at], new]
        last = at + len(tag)
    pieces.append(page[last:])
    return "".join(pieces), missing


def build_deck(notebook: Path | str, deck: Path | str, *, title: str | None = None) -> Path:
    """Write the reveal.js deck of one notebook to ``deck`` (an ``.html`` path); return it.

    Asset URLs are relative to the deck's folder, so ``assets/`` must sit next to it (see
    :func:`copy_assets`). ``title`` names the deck and its title slide (default: the notebook's
    first heading, else its file name). Warns (``UserWarning``) about pictures without alt text
    and figures left out that were not snapshots of an explorer.
    """
    import nbformat
    from nbconvert import SlidesExporter

    from nnlesson.tools.deck_template import DECK_TEMPLATE

    notebook, deck = Path(notebook), Path(deck)
    nb = nbformat.read(notebook, as_version=4)
    title = title or _first_heading(nb) or notebook.stem
    _ensure_title_slide(nb, title)
    _strip_notes_label(nb)
    _hide_inputs(nb)
    _strip_test_comments(nb)
    explorers = _replace_widgets(nb)
    left_out = _drop_second_figures(nb, explorers)
    _set_alt_texts(nb)
    nb.metadata["title"] = title

    exporter = SlidesExporter(
        raw_template=DECK_TEMPLATE,
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
    resources = {"metadata": {"name": notebook.stem},
                 "nnlesson": {"mathjax_url": "assets/mathjax/tex-svg-full.js",
                              "width": SLIDE_WIDTH, "height": SLIDE_HEIGHT,
                              "min_zoom": MIN_ZOOM, "min_text_px": MIN_TEXT_PX,
                              "max_figure_scale": MAX_FIGURE_SCALE, "corner": CORNER}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    body, missing = _finish_pictures(body)
    if missing:
        warnings.warn(f"{notebook.name}: {missing} picture{'s' * (missing != 1)} without alt "
                      "text (show figures with nnlesson.viz.plotting.show(fig, alt=...))",
                      stacklevel=2)
    if left_out:
        warnings.warn(f"{notebook.name}: cells {', '.join(map(str, left_out))} left out of the "
                      "deck: a second figure on an explorer's slide (one figure per experiment)",
                      stacklevel=2)
    deck.parent.mkdir(parents=True, exist_ok=True)
    write_text(deck, body)
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
    write_text(index, page)
    return index


# --------------------------------------------------------------------------------------------
# PDF


def print_pdfs(decks, *, chromium: str | None = None, timeout_ms: int = 60_000) -> list[Path]:
    """Print each deck to a PDF next to it with headless Chromium (reveal's ``?print-pdf``).

    ``chromium`` defaults to ``$NNLESSON_CHROMIUM`` or Debian's ``/usr/bin/chromium``; run
    ``.ci/install_browser.sh`` when it is missing. Every request that is not a local file is
    refused, so a PDF shows exactly what the offline deck shows: one 1280x720 page per slide.
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
                write_bytes(pdf, page.pdf(prefer_css_page_size=True, print_background=True))
                pdfs.append(pdf)
        finally:
            browser.close()
    return pdfs


# --------------------------------------------------------------------------------------------
# Entry points


def build_slides(out_dir, lessons=None, pdf=False, *, root=None, asset_cache=None) -> list[Path]:
    """Build a deck for each lesson into ``out_dir``; return the deck files written.

    Args:
        out_dir: the folder for the decks, ``assets/`` and ``index.html`` (created if missing).
        lessons: ``None`` for every lesson in ``nnlesson.course.LESSONS`` whose notebook exists
            (a warning names the missing ones), or a list of lesson numbers, slugs, names
            (``04_momentum``) or ``.ipynb`` paths.
        pdf: also print each deck to ``NAME.pdf`` with headless Chromium.
        root: where lesson notebooks are looked up (default: the checkout this package lives
            in, else the working directory).
        asset_cache: the npm cache (default :func:`asset_cache_dir`).

    Returns:
        The ``.html`` decks, each followed by its ``.pdf`` when ``pdf`` is true.

    Raises:
        TypeError: ``out_dir`` is not a path or ``pdf`` not a bool.
        ValueError: a lesson that is not in the course.
        FileNotFoundError: a notebook that does not exist (or none at all).
        SlideAssetsError: the offline assets could not be obtained.
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

    out_dir.mkdir(parents=True, exist_ok=True)
    copy_assets(out_dir, asset_cache)
    decks = [build_deck(s.notebook, out_dir / f"{s.name}.html", title=s.title) for s in sources]
    written = list(decks)
    if pdf:
        pdfs = print_pdfs(decks)
        written = [path for pair in zip(decks, pdfs) for path in pair]
    write_index(out_dir)
    return written


def run_command(out, lessons=(), pdf=False) -> int:
    """``nnlesson slides``: build the decks, print each file written and the index.

    Warnings (lessons without a notebook, pictures without alt text) are printed as notes on
    stderr. Returns the exit code: 0, or 2 with a one-line error when the slide assets cannot
    be obtained (other errors are left to the command line, which prints them the same way).
    """
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            written = build_slides(out, list(lessons) or None, pdf=pdf)
        for warning in caught:
            print(f"note: {warning.message}", file=sys.stderr)
    except SlideAssetsError as err:
        print(f"nnlesson slides: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    print(Path(out) / "index.html")
    return 0


def main(argv: list[str]) -> int:
    """``python -m nnlesson.tools.slides ARGS``: the same as ``nnlesson slides ARGS``."""
    from nnlesson.tools.cli import main as cli_main

    return cli_main(["slides", *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
