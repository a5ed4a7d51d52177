"""Run notebooks in a fresh kernel, reproducibly.

:func:`execute_notebook` re-runs a notebook in place, the way the committed lesson, exercise
and solution notebooks are produced
(``python -m nnlesson execute notebooks/06_adam_and_adamw.ipynb``):

* a fresh ``python3`` kernel of the current interpreter, started in the repository root so
  relative paths work the same for every notebook;
* a fixed environment: ``MPLBACKEND=module://matplotlib_inline.backend_inline``,
  ``PYTHONHASHSEED=0`` and one BLAS/OpenMP thread, so numbers do not depend on the machine's
  core count; the kernel imports this copy of ``nnlesson`` even when it is not installed;
* what changes from run to run is removed: no execution timestamps in the cell metadata, and
  widget model ids renumbered in the order the widgets appear, so re-running a notebook whose
  code did not change rewrites the same file.

:func:`run_in_kernel` is the building block (also used by the grader): it executes a
``NotebookNode`` in memory and lets nbclient's exceptions through.

No command overwrites a student's answer. An exercise's answer cell carries
``metadata.nnlesson = {"role": "answer", "defines": [...], "stub_sha256": ...}``, the hash of the
stub the generator wrote. :func:`answers_written` lists the answer cells whose source is no
longer that stub (someone wrote an answer there); :func:`keep_answers` refuses
(:class:`AnswersWouldBeLost`) to rewrite such files unless forced, and with ``force`` first
copies each one to a timestamped backup beside it. :func:`execute_notebook` refuses too.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import math
import os
import re
from collections import deque
from pathlib import Path

import nbformat

from nnlesson.tools.files import backup_file, write_notebook

__all__ = [
    "KERNEL_NAME",
    "NotebookExecutionError",
    "AnswersWouldBeLost",
    "stub_sha256",
    "answers_written",
    "keep_answers",
    "find_repo_root",
    "kernel_env",
    "clean_notebook",
    "run_in_kernel",
    "execute_notebook",
]

KERNEL_NAME = "python3"
_WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_MODEL_REF = re.compile(r"IPY_MODEL_([0-9a-f]{32})")
_MODEL_ID = re.compile(r"[0-9a-f]{32}")
_PACKAGE_PARENT = Path(__file__).resolve().parents[2]


class NotebookExecutionError(RuntimeError):
    """A notebook failed to run; the message is one line naming the file and the cell."""


class AnswersWouldBeLost(RuntimeError):
    """Writing would replace answers someone wrote; nothing was written.

    ``work`` maps each notebook's path to the names of its answer cells that hold work. The
    message names the files, says why they are kept and how to go ahead anyway (``--force``,
    with a backup).
    """

    def __init__(self, work, consequence, command, advice=""):
        self.work = dict(work)
        first = next(iter(self.work))
        stamp = datetime.datetime.now().strftime("%Y-%m-%dT%H-%M-%S")
        lines = "\n".join(f"  {path}: {', '.join(names)}" for path, names in self.work.items())
        what = ("1 notebook holds" if len(self.work) == 1
                else f"{len(self.work)} notebooks hold")
        super().__init__(
            f"refused: {what} work someone wrote, and {consequence}:\n{lines}\n"
            f"Nothing was written.{' ' + advice if advice else ''} To {command} anyway, add "
            f"--force: each of these files is first copied to a timestamped backup beside it "
            f"(e.g. {first}.{stamp}.bak).")


def stub_sha256(source):
    """The fingerprint of a stub cell's source (``metadata.nnlesson.stub_sha256``)."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def answers_written(nb):
    """Names of the answer cells of ``nb`` whose source is not the stub the generator wrote.

    An answer cell is one with ``metadata.nnlesson.role == "answer"``; it is named by the
    functions or classes it defines (else ``cell N``). A cell without a recorded stub counts as
    written: when in doubt, a cell is someone's work.
    """
    written = []
    for index, cell in enumerate(nb.cells, start=1):
        meta = cell.get("metadata", {}).get("nnlesson", {})
        if meta.get("role") != "answer":
            continue
        if stub_sha256(cell.get("source", "")) != meta.get("stub_sha256"):
            written.append(", ".join(meta.get("defines", [])) or f"cell {index}")
    return written


def keep_answers(work, *, force, consequence, command, advice=""):
    """Refuse to go on when ``work`` (``{path: [answer names]}``) is not empty, unless ``force``.

    Returns ``{path: backup path}``: with ``force``, every path of ``work`` is first copied
    to a timestamped backup beside it. Raises :class:`AnswersWouldBeLost` without ``force``.
    """
    work = {path: names for path, names in work.items() if names}
    if work and not force:
        raise AnswersWouldBeLost(work, consequence, command, advice)
    return {path: backup_file(path) for path in work}


def find_repo_root(start):
    """The nearest folder at or above ``start`` holding ``pyproject.toml`` and ``nnlesson/``."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "nnlesson").is_dir():
            return folder
    return None


def kernel_env(base=None):
    """Environment for the kernel: ``base`` (default: the current environment) plus the
    reproducibility settings."""
    env = dict(os.environ if base is None else base)
    env.update({
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "PYTHONHASHSEED": "0",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "VECLIB_MAXIMUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
    })
    # Let the kernel import this copy of nnlesson even when it is not installed.
    if _PACKAGE_PARENT.name not in ("site-packages", "dist-packages"):
        paths = [str(_PACKAGE_PARENT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
        env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def _widget_order(nb, state):
    """Model ids in a reproducible order: views in cell order, then the models they use."""
    order, seen = [], set()
    queue = deque()
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(_WIDGET_VIEW)
            if view and view.get("model_id") in state:
                queue.append(view["model_id"])
    while queue:
        model = queue.popleft()
        if model in seen:
            continue
        seen.add(model)
        order.append(model)
        queue.extend(_MODEL_REF.findall(json.dumps(state[model], sort_keys=True)))
    # Models no view reaches: order by content with ids masked.
    rest = [m for m in state if m not in seen]
    rest.sort(key=lambda m: _MODEL_ID.sub("", json.dumps(state[m], sort_keys=True)))
    return order + rest


def clean_notebook(nb):
    """Remove what changes between runs of the same code; returns a cleaned ``NotebookNode``.

    Drops cell ``execution`` metadata (timestamps) and renumbers widget model ids
    ``000...001``, ``000...002``, ... in the order the widgets appear.
    """
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
    state = nb.metadata.get("widgets", {}).get(_WIDGET_STATE, {}).get("state")
    if not state:
        return nb
    mapping = {old: f"{i:032x}" for i, old in enumerate(_widget_order(nb, state), start=1)}
    text = _MODEL_ID.sub(lambda m: mapping.get(m.group(0), m.group(0)), nbformat.writes(nb))
    return nbformat.reads(text, as_version=4)


def run_in_kernel(nb, *, cwd, timeout=None, timeout_func=None, allow_errors=False,
                  on_cell_execute=None, on_cell_executed=None, error_on_timeout=None):
    """Execute ``nb`` (a ``NotebookNode``, changed in place) in a fresh kernel started in ``cwd``.

    ``timeout`` is per cell in seconds (None: no limit); ``timeout_func(cell) -> seconds``
    overrides it. ``on_cell_execute(cell, cell_index)`` and
    ``on_cell_executed(cell, cell_index, execute_reply)`` are nbclient's hooks; an exception
    raised in a hook stops the run. With ``error_on_timeout`` (``{"ename", "evalue",
    "traceback"}``) a cell that runs too long is interrupted and gets that error reply instead
    of raising ``CellTimeoutError``. nbclient's exceptions (``CellExecutionError``,
    ``CellTimeoutError``, ``DeadKernelError``) propagate; the kernel is always shut down.
    """
    from nbclient import NotebookClient  # imported here: `import nnlesson` stays light

    client = NotebookClient(
        nb,
        timeout=None if timeout is None else max(1, math.ceil(timeout)),
        timeout_func=timeout_func,
        kernel_name=KERNEL_NAME,
        allow_errors=allow_errors,
        record_timing=False,
        shutdown_kernel="immediate",
        on_cell_execute=on_cell_execute,
        on_cell_executed=on_cell_executed,
        interrupt_on_timeout=error_on_timeout is not None,
        error_on_timeout=error_on_timeout,
        # The kernel's own log (e.g. a warning that it talks over local TCP) is noise here.
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute(env=kernel_env())
    return nb


def execute_notebook(path, timeout=120, *, cwd=None, force=False):
    """Run the notebook at ``path`` top to bottom in a fresh kernel and save it in place.

    ``timeout`` is the limit per cell, in seconds. ``cwd`` defaults to the repository root
    (the folder above ``path`` with ``pyproject.toml`` and ``nnlesson/``), else the notebook's
    folder. A cell that raises (without the ``raises-exception`` tag) or times out raises
    :class:`NotebookExecutionError` with a one-line message, and the file is left unchanged.
    A notebook whose answer cells hold someone's work (:func:`answers_written`) is not run
    unless ``force`` (the caller keeps a backup: :func:`keep_answers`); it raises
    :class:`AnswersWouldBeLost`. The file is saved atomically (:mod:`nnlesson.tools.files`).
    """
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {str(path)!r}")
    nb = nbformat.read(str(path), as_version=4)
    if not force:
        keep_answers({path: answers_written(nb)}, force=False,
                     consequence="executing it rewrites the file", command="execute it")
    folder = path.resolve().parent
    cwd = Path(cwd) if cwd is not None else (find_repo_root(folder) or folder)
    current = {"cell": 0}

    def on_cell_execute(cell, cell_index):
        current["cell"] = cell_index + 1

    try:
        run_in_kernel(nb, cwd=cwd, timeout=timeout, on_cell_execute=on_cell_execute)
    except CellExecutionError as exc:
        evalue = " ".join(str(exc.evalue).split())
        raise NotebookExecutionError(
            f"{path}: cell {current['cell']} raised {exc.ename}: {evalue}") from None
    except CellTimeoutError:
        raise NotebookExecutionError(
            f"{path}: cell {current['cell']} ran longer than {timeout} s") from None
    except DeadKernelError:
        raise NotebookExecutionError(f"{path}: the kernel died in cell {current['cell']}") from None
    write_notebook(path, clean_notebook(nb))
    return path
