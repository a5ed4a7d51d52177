"""A student's path through JupyterLab in a real browser: open a lesson, run it, move a slider.

For each notebook: open it in JupyterLab, run every cell from the Run menu, save, check that
every code cell ran and none produced an error, then move a slider with the keyboard (as a
student does with the handle focused) and check that the plot next to it was redrawn.

Each test runs on a stand-in notebook made here (the same kind of slider, found by its
description, wired to a matplotlib plot with ``ipywidgets.interactive_output``), which checks
the machinery whatever the lessons contain, and on the real lesson named by the constant below
(set a constant to None to test the stand-in only, e.g. while a lesson is rewritten).

A last test uses nnlesson's own widget layer with a deliberately slow update and checks that
the widget says "updating the plot..." in the browser while the kernel computes.
"""
import json
import re
import time

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from playwright.sync_api import Error as PlaywrightError

pytestmark = pytest.mark.browser

COURSE_MAP_NOTEBOOK = "notebooks/00_course_map.ipynb"
MOMENTUM_NOTEBOOK = "notebooks/04_momentum.ipynb"
STAND_IN = "stand-in"

LEARNING_RATE_LABEL = re.compile(r"learning rate|^lr$|η", re.IGNORECASE)
MOMENTUM_LABEL = re.compile(r"momentum|β", re.IGNORECASE)

RUN_TIMEOUT_MS = 120_000  # kernel start plus a lesson (CONTRIBUTING: under 20 s) on a busy CI
REDRAW_TIMEOUT_S = 20

_SETUP = """\
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display"""

_COURSE_MAP_EXPERIMENT = """\
lr = widgets.FloatLogSlider(value=0.1, base=10, min=-3, max=0, step=0.1,
                            description="learning rate", continuous_update=False)

def draw(lr):
    w = [1.5]
    for _ in range(15):
        w.append(w[-1] - lr * 2 * w[-1])  # gradient descent on L(w) = w^2
    grid = np.linspace(-2, 2, 101)
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(grid, grid ** 2, color="0.6")
    ax.plot(w, np.square(w), "o-", color="#0072B2")
    ax.set(title=f"gradient descent, lr = {lr:.2g}", xlabel="w", ylabel="L(w)")
    plt.show()

display(lr, widgets.interactive_output(draw, {"lr": lr}))"""

_MOMENTUM_EXPERIMENT = """\
lr = widgets.FloatLogSlider(value=0.02, base=10, min=-3, max=-1, step=0.1,
                            description="learning rate", continuous_update=False)
beta = widgets.FloatSlider(value=0.5, min=0.0, max=0.99, step=0.01,
                           description="momentum β", continuous_update=False)

def draw(lr, beta):
    p, v, path = np.array([-2.0, 1.0]), np.zeros(2), []
    for _ in range(60):
        g = np.array([1.0, 25.0]) * p  # gradient of a ravine: (x^2 + 25 y^2) / 2
        v = beta * v + (1 - beta) * g  # EMA momentum, as the course teaches it
        p = p - lr * v
        path.append(p)
    path = np.array(path)
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(path[:, 0], path[:, 1], "o-", markersize=3, color="#D55E00")
    ax.set(title=f"momentum path, beta = {beta:.2f}", xlabel="x", ylabel="y")
    plt.show()

display(lr, beta, widgets.interactive_output(draw, {"lr": lr, "beta": beta}))"""


# nnlesson's own widget layer, with an update that takes 2 s for any new rate (as a learning
# rate whose training runs are not cached yet does in lessons 11 and 13).
_SLOW_EXPERIMENT = """\
import time
from nnlesson.viz.plotting import new_figure
from nnlesson.viz.widgets import interactive_plot, lr_slider

fig, ax = new_figure()
(line,) = ax.plot([0, 1], [0, 0.1])
ax.set_ylim(0, 1)

def update(lr):
    if lr > 0.11:
        time.sleep(2)  # training runs the cache does not hold yet
    line.set_ydata([0, lr])

interactive_plot(fig, update, lr=lr_slider(0.1, min_exp=-2, max_exp=0))"""


def _standin(lab, name, title, experiment):
    """Write a stand-in lesson into the server's notebooks/ and return its path there."""
    def cell(make, source, slide_type):
        made = make(source)
        made.metadata["slideshow"] = {"slide_type": slide_type}
        return made

    nb = new_notebook(cells=[
        cell(new_markdown_cell, f"# {title} (stand-in)", "slide"),
        cell(new_code_cell, _SETUP, "skip"),
        cell(new_code_cell, "print('ready')", "-"),
        cell(new_code_cell, experiment, "slide"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    path = f"notebooks/{name}.ipynb"
    nbformat.write(nb, lab.root / path)
    return path


def _panel(page):
    """The notebook on screen (other open notebooks stay in the page, hidden)."""
    return page.locator(".jp-NotebookPanel:visible").first


def _open(page, lab, path):
    # ?reset: a fresh workspace, so only this notebook is open (not the previous test's).
    page.goto(f"{lab.url}/lab/tree/{path}?reset&token={lab.token}")
    _panel(page).locator(".jp-Cell").first.wait_for()
    # Run only once the notebook's kernel has started and answered (server and page agree).
    # Waits go through page.wait_for_*: Playwright serves the request guard only meanwhile.
    deadline = time.monotonic() + RUN_TIMEOUT_MS / 1000
    while not any(s["path"] == path and s["kernel"]["execution_state"] == "idle"
                  for s in lab.api("/api/sessions")):
        assert time.monotonic() < deadline, f"no idle kernel for {path}"
        page.wait_for_timeout(250)
    _panel(page).locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(
        timeout=RUN_TIMEOUT_MS)


def _run_all_from_menu(page):
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-item", has_text=re.compile(r"^Run All Cells")).click()
    # Every code cell's prompt shows a number ("[3]:"), none a star ("[*]:") or a blank.
    page.wait_for_function(
        """(panel) => {
            const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
            return prompts.length > 0
                && prompts.every(p => /^\\[\\d+\\]:$/.test(p.textContent.trim()));
        }""", arg=_panel(page).element_handle(), timeout=RUN_TIMEOUT_MS)


def _save_and_read(page, lab, path):
    """Save with Ctrl+S and return the notebook as written to disk."""
    file = lab.root / path
    before = file.stat().st_mtime_ns
    _panel(page).locator(".jp-Notebook").click(position={"x": 5, "y": 5})
    page.keyboard.press("Escape")  # command mode: the shortcut belongs to the notebook
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 30
    while file.stat().st_mtime_ns == before:
        assert time.monotonic() < deadline, f"{path} was not saved after Ctrl+S"
        page.wait_for_timeout(200)
    page.wait_for_timeout(200)  # let the atomic replace finish before reading
    return json.loads(file.read_text(encoding="utf-8"))


def _assert_ran_without_errors(nb, path):
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, f"{path} has no code cell"
    not_run = [i for i, c in enumerate(code) if c.get("execution_count") is None]
    assert not_run == [], f"code cells {not_run} of {path} did not run"
    errors = [f"{o.get('ename')}: {o.get('evalue')}" for c in code for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors == [], f"{path} raised: {errors}"


def _move_slider_and_check_redraw(page, label):
    """Press ArrowRight on the handle of the slider described by ``label``; the plot changes."""
    described = page.locator(".widget-slider").filter(
        has=page.locator(".widget-label", has_text=label))
    cell = _panel(page).locator(".jp-CodeCell").filter(has=described).first
    slider = cell.locator(".widget-slider").filter(
        has=page.locator(".widget-label", has_text=label)).first
    slider.wait_for()
    plots = cell.locator(".jp-OutputArea-output img, .jp-OutputArea-output canvas")
    plots.first.wait_for()
    readout = slider.locator(".widget-readout")
    value_before = readout.inner_text()
    pictures_before = [plots.nth(i).screenshot() for i in range(plots.count())]

    handle = slider.locator(".noUi-handle")
    handle.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("([el, old]) => el.textContent.trim() !== old",
                           arg=[readout.element_handle(), value_before.strip()])

    deadline = time.monotonic() + REDRAW_TIMEOUT_S
    while True:
        plots.first.wait_for()
        try:
            pictures_after = [plots.nth(i).screenshot() for i in range(plots.count())]
        except PlaywrightError:  # the picture was being replaced while we looked
            pictures_after = pictures_before
        if pictures_after != pictures_before:
            break
        assert time.monotonic() < deadline, (
            f"the slider moved ({value_before} -> {readout.inner_text()}) "
            f"but the plot was not redrawn within {REDRAW_TIMEOUT_S} s")
        page.wait_for_timeout(300)


def _lesson_round_trip(page, lab, path, label):
    _open(page, lab, path)
    _run_all_from_menu(page)
    _assert_ran_without_errors(_save_and_read(page, lab, path), path)
    _move_slider_and_check_redraw(page, label)
    assert page.blocked == [], f"JupyterLab tried to reach the network: {page.blocked}"


def _targets(real):
    return [STAND_IN] + ([real] if real else [])


@pytest.mark.parametrize("target", _targets(COURSE_MAP_NOTEBOOK))
def test_course_map_runs_and_learning_rate_slider_redraws(page, jupyter_lab, target):
    path = target if target != STAND_IN else _standin(
        jupyter_lab, "standin_course_map", "Course map", _COURSE_MAP_EXPERIMENT)
    _lesson_round_trip(page, jupyter_lab, path, LEARNING_RATE_LABEL)


@pytest.mark.parametrize("target", _targets(MOMENTUM_NOTEBOOK))
def test_momentum_runs_and_momentum_slider_redraws(page, jupyter_lab, target):
    path = target if target != STAND_IN else _standin(
        jupyter_lab, "standin_momentum", "Momentum", _MOMENTUM_EXPERIMENT)
    _lesson_round_trip(page, jupyter_lab, path, MOMENTUM_LABEL)


def test_a_slow_update_says_so_while_it_computes(page, jupyter_lab):
    path = _standin(jupyter_lab, "standin_slow_update", "Slow update", _SLOW_EXPERIMENT)
    _open(page, jupyter_lab, path)
    _run_all_from_menu(page)
    cell = _panel(page).locator(".jp-CodeCell").filter(has=page.locator(".widget-slider")).first
    status = cell.get_by_text("updating the plot")
    assert status.count() == 0  # the first draw is done: nothing is computing
    cell.locator(".widget-slider .noUi-handle").first.focus()
    page.keyboard.press("ArrowRight")  # one step up the log scale: a new, slow rate
    status.wait_for(state="visible", timeout=5_000)  # shown while the kernel still computes
    status.wait_for(state="detached", timeout=REDRAW_TIMEOUT_S * 1000)  # and gone once drawn
    assert page.blocked == [], f"JupyterLab tried to reach the network: {page.blocked}"
