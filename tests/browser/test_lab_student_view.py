"""A student's first minutes in JupyterLab, started with the README's own command.

JupyterLab runs as ``nnlesson start DIR`` starts it (the ``jupyter_lab`` fixture: a temporary
student folder and HOME). In Chromium, with every outside request refused:

* the command runs exactly the launch ``nnlesson.tools.workspace.jupyter_lab_launch`` describes,
  and the page it opens is the course map;
* a course-map link to an exercise opens that exercise (no 404), and every exercise and
  solution link of the course map leads to a file in the student's folder;
* each lesson, opened and not run: its explorers show their stored picture with alt text (never
  a widget's ``VBox(children=...`` text), and its teacher notes are collapsed, showing only the
  label "For the teacher (click to expand)" (JupyterLab's grey bar of a collapsed cell, or a
  closed ``<details>`` element);
* lesson 04 after Run All: its teacher notes are still collapsed, axe-core finds no serious or
  critical violation in the course's own content, and every slider handle is named and
  announces the value its readout shows.

The axe scan covers the course's content only: the cells' outputs (figures, explorers, their
controls, printed text) and the rendered markdown cells. JupyterLab's own interface is left
out: the page around the notebook, the CodeMirror editors of the code cells, the cell list
(``role=feed``), the collapsed-cell placeholders and the heading collapse buttons and anchor
links JupyterLab adds inside rendered markdown. Those belong to JupyterLab, not to the course.
"""
import re
import shutil
import time
import urllib.parse
from pathlib import Path

import nbformat
import pytest

from browsing import REPO, failed, guarded_page, run_axe, save_artifacts, serious_violations
from nnlesson.tools import workspace
from nnlesson.tools.slides import NOTES_LABEL

pytestmark = pytest.mark.browser

LESSONS = sorted(p.name for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
RUN_LESSON = "04_momentum.ipynb"  # run in the browser for the axe scan and the sliders
RUN_TIMEOUT_MS = 120_000
RENDER_TIMEOUT_MS = 30_000
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
RAW_WIDGET_TEXT = re.compile(r"\b(VBox|HBox|Box|Interactive|Output|Image)\(|"
                             r"Error displaying widget|Loading widget", re.IGNORECASE)
NBCONVERT_NO_ALT = "No description has been provided for this image"

# What axe scans: the course's content, not JupyterLab's own interface (see the module doc).
AXE_CONTEXT = {
    "include": [[".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output"],
                [".jp-NotebookPanel:not(.lm-mod-hidden) .jp-MarkdownCell .jp-RenderedMarkdown"]],
    "exclude": [[".jp-collapseHeadingButton"], [".jp-InternalAnchorLink"],
                [".jp-InputPlaceholder"], [".cm-editor"]],
}


@pytest.fixture(scope="module")
def lab_page(chromium, jupyter_lab):
    """One page for the module (1280x900), so the lessons are opened one after another."""
    page = guarded_page(chromium)
    yield page
    page.context.close()


@pytest.fixture(autouse=True)
def _artifacts_on_failure(request, lab_page):
    yield
    if failed(request):
        save_artifacts(lab_page, request.node.nodeid)


def _panel(page):
    return page.locator(".jp-NotebookPanel:visible").first


def _open(page, lab, path):
    page.goto(f"{lab.url}/lab/tree/{path}?reset&token={lab.token}")
    _panel(page).locator(".jp-Cell").first.wait_for(timeout=RENDER_TIMEOUT_MS)


def _close_kernels(lab):
    """Shut down every kernel the server runs (opening a notebook starts one)."""
    for session in lab.api("/api/sessions"):
        lab.api(f"/api/sessions/{session['id']}", method="DELETE")


def _launch_url(lab):
    """The page ``nnlesson start`` opens in the student's browser (the server writes it down)."""
    runtime = Path(lab.log).parent / "runtime"
    files = list(runtime.glob("jpserver-file-to-run-*-open.html"))
    assert len(files) == 1, f"JupyterLab wrote no page to open in {runtime}: {files}"
    match = re.search(r'url=([^"]+)"', files[0].read_text(encoding="utf-8"))
    assert match, files[0].read_text(encoding="utf-8")
    return match.group(1).replace("&amp;", "&")


def test_the_readme_command_runs_the_public_launch(jupyter_lab):
    lab = jupyter_lab
    # `nnlesson start DIR -- ARGS` became JupyterLab, running exactly the documented launch.
    running = Path(f"/proc/{lab.pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    running = [arg.decode() for arg in running]
    launch = workspace.jupyter_lab_launch(lab.root, lab.extra_args)
    assert running[1:] == launch.argv[1:]
    assert Path(running[0]).resolve() == Path(launch.argv[0]).resolve()
    # The student's folder holds the whole course, laid out like the repository.
    missing = [str(p) for p in workspace.course_files(REPO) if not (lab.root / p).is_file()]
    assert missing == []
    # ... and the page it opens is the course map.
    url = urllib.parse.urlsplit(_launch_url(lab))
    assert url.path == "/lab/tree/notebooks/00_course_map.ipynb"


def test_a_course_map_link_opens_an_exercise(lab_page, jupyter_lab):
    page, lab = lab_page, jupyter_lab
    course_map = "notebooks/00_course_map.ipynb"
    shutil.copyfile(REPO / course_map, lab.root / course_map)  # as `nnlesson start` made it
    page.goto(_launch_url(lab))
    panel = _panel(page)
    links = panel.locator(".jp-RenderedMarkdown a[href*='exercises/']")
    links.first.wait_for(timeout=RENDER_TIMEOUT_MS)
    # No news pop-up greets the student (nnlesson start's settings turn it off).
    assert page.get_by_text("official Jupyter news").count() == 0
    # Every exercise and solution link of the course map leads to a file in the student's folder
    # (JupyterLab shows a relative link as /files/PATH, and opens PATH in a tab when clicked).
    hrefs = panel.locator(".jp-RenderedMarkdown a").evaluate_all(
        "links => links.map(a => a.href)")
    paths = [urllib.parse.unquote(urllib.parse.urlsplit(h).path) for h in hrefs]
    targets = {(lab.root / p[len("/files/"):]) for p in paths
               if p.startswith("/files/") and p.endswith(".ipynb")}
    wanted = {(lab.root / f / n) for f in ("exercises", "solutions")
              for n in {p.name for p in (REPO / f).glob("*.ipynb")}}
    assert wanted <= targets, f"the course map does not link {sorted(wanted - targets)}"
    broken = sorted(str(t) for t in targets if not t.is_file())
    assert broken == [], f"course-map links to files the student does not have: {broken}"
    # Click the first exercise link, as a student does.
    href = links.first.get_attribute("href")
    name = Path(urllib.parse.unquote(urllib.parse.urlsplit(href).path)).name
    links.first.click()
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")
    page.wait_for_function("([el, name]) => el && el.textContent.trim() === name",
                           arg=[tab.element_handle(timeout=RENDER_TIMEOUT_MS), name],
                           timeout=RENDER_TIMEOUT_MS)
    opened = _panel(page)
    opened.locator(".jp-Cell").first.wait_for(timeout=RENDER_TIMEOUT_MS)
    assert page.locator(".jp-Dialog").count() == 0, page.locator(".jp-Dialog").inner_text()
    path = f"exercises/{name}"
    assert lab.api(f"/api/contents/{urllib.parse.quote(path)}?content=0")["path"] == path
    not_found = [line for line in lab.log.read_text(errors="replace").splitlines()
                 if " 404 " in line and "exercises" in line]
    assert not_found == [], not_found
    assert page.blocked == [], f"JupyterLab tried to reach the network: {page.blocked}"
    _close_kernels(lab)


# ------------------------------------------------------------------------------------------
# Each lesson as a student first sees it: opened, not run.

_unrun = {}


def _show(page, cell):
    """Scroll ``cell`` into view: JupyterLab renders a cell's content only near the screen."""
    cell.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    return cell


def _unrun_view(page, lab, lesson):
    """What lesson ``lesson`` shows before it runs: its explorers' outputs and its notes cells."""
    if lesson in _unrun:
        return _unrun[lesson]
    path = f"notebooks/{lesson}"
    # The student's copy as `nnlesson start` made it (another test may have run and saved it).
    shutil.copyfile(REPO / path, lab.root / path)
    nb = nbformat.read(lab.root / path, as_version=4)
    explorers = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                 and any(WIDGET_VIEW in o.get("data", {}) for o in c.get("outputs", []))]
    notes = [i for i, c in enumerate(nb.cells)
             if c.metadata.get("slideshow", {}).get("slide_type") == "notes"]
    _open(page, lab, path)
    cells = _panel(page).locator(".jp-Notebook .jp-Cell")
    # JupyterLab adds the cells in batches; then the outputs' renderers (widgets) settle.
    page.wait_for_function("([panel, n]) => panel.querySelectorAll('.jp-Cell').length === n",
                           arg=[_panel(page).element_handle(), len(nb.cells)],
                           timeout=RENDER_TIMEOUT_MS)
    page.wait_for_timeout(1500)
    view = {"explorers": {}, "notes": {}}
    for i in explorers:
        output = _show(page, cells.nth(i)).locator(".jp-OutputArea")
        view["explorers"][i] = {
            "text": output.inner_text(),
            "images": output.locator("img").evaluate_all(
                "imgs => imgs.map(i => ({alt: i.getAttribute('alt'),"
                " shown: i.naturalWidth > 0 && i.getBoundingClientRect().width > 0}))"),
        }
    view["notes"] = _notes_view(page, nb, notes)
    _close_kernels(lab)
    _unrun[lesson] = view
    return view


def _body_words(source):
    """A run of four plain words from a notes cell's text (after its label), to look for."""
    body = re.sub(r"<[^>]+>", " ", source.split(NOTES_LABEL, 1)[-1])
    match = re.search(r"[A-Za-z]{2,}(?: [A-Za-z]{2,}){3}", body)
    return match.group(0) if match else body.strip()[:20]


def _notes_view(page, nb, indices):
    """For each notes cell: is it collapsed (a grey bar, or a closed <details>), its label, and
    whether its text shows."""
    cells = _panel(page).locator(".jp-Notebook .jp-Cell")
    found = {}
    for i in indices:
        cell = _show(page, cells.nth(i))
        placeholder = cell.locator(".jp-InputPlaceholder")
        summary = cell.locator(".jp-RenderedMarkdown details:not([open]) > summary")
        label = (placeholder.inner_text().strip() if placeholder.count()
                 else summary.first.inner_text().strip() if summary.count() else None)
        words, text = _body_words(nb.cells[i].source), cell.inner_text()
        found[i] = {"collapsed": bool(placeholder.count() or summary.count()), "label": label,
                    "text": text, "visible": bool(words) and words in text}
    return found


def _notes_problems(notes):
    problems = []
    for i, note in notes.items():
        if not note["collapsed"] or note["visible"]:
            problems.append(f"cell {i} is open: {note['text'][:60]!r}")
        elif note["label"] != NOTES_LABEL:
            problems.append(f"cell {i}'s collapsed bar reads {note['label']!r}")
    return problems


@pytest.mark.parametrize("lesson", LESSONS)
def test_an_explorer_shows_its_stored_picture_before_it_runs(lab_page, jupyter_lab, lesson):
    view = _unrun_view(lab_page, jupyter_lab, lesson)
    problems = []
    for i, output in view["explorers"].items():
        raw = RAW_WIDGET_TEXT.search(output["text"])
        if raw:
            problems.append(f"cell {i} shows {raw.group(0)!r}: {output['text'][:80]!r}")
        pictures = [img for img in output["images"] if img["shown"]]
        if not pictures:
            problems.append(f"cell {i} shows no picture before it runs")
        for img in pictures:
            if not (img["alt"] or "").strip() or img["alt"] == NBCONVERT_NO_ALT:
                problems.append(f"cell {i}'s picture has no alt text")
    assert problems == []


@pytest.mark.parametrize("lesson", LESSONS)
def test_teacher_notes_are_collapsed(lab_page, jupyter_lab, lesson):
    view = _unrun_view(lab_page, jupyter_lab, lesson)
    assert view["notes"], "a lesson has teacher notes"
    assert _notes_problems(view["notes"]) == []


# ------------------------------------------------------------------------------------------
# Lesson 04 after Run All


@pytest.fixture(scope="module")
def ran_lesson(lab_page, jupyter_lab):
    """Lesson 04 opened and run from the Run menu; returns the page."""
    page, lab = lab_page, jupyter_lab
    path = f"notebooks/{RUN_LESSON}"
    _open(page, lab, path)
    deadline = time.monotonic() + RUN_TIMEOUT_MS / 1000
    while not any(s["path"] == path and s["kernel"]["execution_state"] == "idle"
                  for s in lab.api("/api/sessions")):
        assert time.monotonic() < deadline, f"no idle kernel for {path}"
        page.wait_for_timeout(250)
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-item", has_text=re.compile(r"^Run All Cells")).click()
    page.wait_for_function(
        """(panel) => {
            const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
            return prompts.length > 0
                && prompts.every(p => /^\\[\\d+\\]:$/.test(p.textContent.trim()));
        }""", arg=_panel(page).element_handle(), timeout=RUN_TIMEOUT_MS)
    _panel(page).locator(".widget-slider .noUi-handle").first.wait_for(timeout=RENDER_TIMEOUT_MS)
    page.wait_for_timeout(1000)  # the accessibility patch runs on the next animation frame
    yield page
    _close_kernels(lab)


def test_a_lesson_after_run_all_has_no_serious_accessibility_violation(ran_lesson, axe_script):
    """axe-core on lesson 04 after Run All, scoped to the course's own content (module doc)."""
    result = run_axe(ran_lesson, axe_script, AXE_CONTEXT)
    assert serious_violations(result) == []
    assert ran_lesson.blocked == [], f"JupyterLab tried to reach the network: {ran_lesson.blocked}"


def test_teacher_notes_stay_collapsed_after_run_all(ran_lesson, jupyter_lab):
    # Run All renders every markdown cell, and JupyterLab shows a collapsed markdown cell's
    # source again when it renders it: a label on a collapsed cell is not enough.
    nb = nbformat.read(jupyter_lab.root / f"notebooks/{RUN_LESSON}", as_version=4)
    notes = [i for i, c in enumerate(nb.cells)
             if c.metadata.get("slideshow", {}).get("slide_type") == "notes"]
    assert _notes_problems(_notes_view(ran_lesson, nb, notes)) == []


def _sliders(page):
    return _panel(page).locator(".jp-OutputArea-output .widget-slider").evaluate_all(
        """sliders => sliders.map(s => {
            const handle = s.querySelector('.noUi-handle');
            const label = s.querySelector('.widget-label');
            const readout = s.querySelector('.widget-readout');
            return {label: label ? label.textContent.trim() : '',
                    readout: readout ? readout.textContent.trim() : '',
                    name: handle ? handle.getAttribute('aria-label') : null,
                    valuetext: handle ? handle.getAttribute('aria-valuetext') : null};
        })""")


def test_slider_handles_are_named_and_announce_their_value(ran_lesson):
    page = ran_lesson
    sliders = _sliders(page)
    assert sliders, "lesson 04's explorer has sliders"
    wrong = [s for s in sliders if not s["label"] or s["name"] != s["label"]
             or s["valuetext"] != s["readout"]]
    assert wrong == [], "handles must be named after their label and announce the readout"
    # After a move, the announced value follows the readout (a log slider: not its exponent).
    handle = _panel(page).locator(".jp-OutputArea-output .widget-slider .noUi-handle").first
    before = sliders[0]["readout"]
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        """([el, old]) => {
            const h = el.querySelector('.noUi-handle');
            const r = el.querySelector('.widget-readout').textContent.trim();
            return r !== old && h.getAttribute('aria-valuetext') === r;
        }""", arg=[_panel(page).locator(".jp-OutputArea-output .widget-slider").first
                   .element_handle(), before], timeout=10_000)
