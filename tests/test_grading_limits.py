"""The limits of a graded run: memory, output, files, time, processes, the environment;
submissions never written.

Each test grades a small released exercise (one answer, one check) with a submission whose
answer misbehaves, and looks at what the misbehaviour reached: the row's reason, the files
around the submission, the processes left running.
"""
import os
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from nnlesson.tools.exercises_build import make_exercise
from nnlesson.tools.grading import grade
from nnlesson.tools.grading.sandbox import landlock_abi

SOLUTION = new_notebook(cells=[
    new_code_cell("import numpy as np\nfrom nnlesson.course.checks import Case, run_check\n\n"
                  "def check_double(fn):\n"
                  "    return run_check('check_double', fn, [Case('v', (np.ones(2),))], "
                  "lambda x: 2 * x)"),
    new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"),
    new_code_cell("check_double(double)"),
])
RELEASE = make_exercise(SOLUTION)


def setup_class(folder, answers):
    """A release folder and one submission per ``{student: answer cell source}``."""
    release = folder / "release"
    release.mkdir()
    nbformat.write(RELEASE, str(release / "01_double.ipynb"))
    paths = {}
    for name, source in answers.items():
        nb = nbformat.from_dict(RELEASE)
        nb.cells[1].source = source
        (folder / "class" / name).mkdir(parents=True)
        paths[name] = folder / "class" / name / "01_double.ipynb"
        nbformat.write(nb, str(paths[name]))
    return release, paths


GOOD = "def double(x):\n    return 2 * x"


def test_a_notebook_that_allocates_too_much_memory_gets_a_memory_error(tmp_path):
    release, _ = setup_class(tmp_path, {
        "greedy": "import numpy as np\nhoard = np.ones(3 * 2**30 // 8)  # 3 GB\n" + GOOD,
        "fine": GOOD,
    })
    rows = {r.student: r for r in grade([tmp_path / "class"], release=release, memory=1024,
                                        progress=False)}
    greedy = rows["greedy"]
    assert (greedy.score, greedy.status) == ("0/1", "error")
    assert greedy.reason.startswith("your cell 2 ran out of memory (limit 1024 MB)")
    assert (rows["fine"].score, rows["fine"].status) == ("1/1", "passed")


def test_a_notebook_that_prints_without_end_is_stopped_at_the_output_limit(tmp_path):
    release, _ = setup_class(tmp_path, {
        "chatty": "while True:\n    print('all work and no play ' * 20)\n" + GOOD,
    })
    [row] = grade([tmp_path / "class"], release=release, max_output=1, timeout=60,
                  progress=False)
    assert (row.score, row.status) == ("0/1", "error")
    assert row.reason.startswith("your cell 2 printed more than 1 MB of output; the notebook "
                                 "was stopped")


def test_a_cell_that_ignores_interrupts_is_killed_at_the_time_limit(tmp_path, monkeypatch):
    from nnlesson.tools.grading import sandbox

    monkeypatch.setattr(sandbox, "_GRACE", 1.0)  # the seconds it gets after the interrupt
    release, _ = setup_class(tmp_path, {
        "stubborn": "import time\nwhile True:\n    try:\n        time.sleep(1)\n"
                    "    except KeyboardInterrupt:\n        pass\n" + GOOD,
    })
    [row] = grade([tmp_path / "class"], release=release, timeout=3, progress=False)
    assert (row.score, row.status) == ("0/1", "timeout")
    assert row.reason.startswith("time limit of 3 s reached in your cell 2")


def test_the_kernel_and_its_children_are_killed_at_the_end(tmp_path):
    """A child in the kernel's process group, and one that left it (a session of its own)."""
    marker = f"nnlesson-grading-test-{os.getpid()}-{tmp_path.name}"
    child = (f"import subprocess, sys\n"
             f"for detached in (False, True):\n"
             f"    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', "
             f"{marker!r}], start_new_session=detached)\n" + GOOD)
    release, _ = setup_class(tmp_path, {"spawner": child})
    [row] = grade([tmp_path / "class"], release=release, progress=False)
    assert (row.score, row.status) == ("1/1", "passed")
    assert not _processes_with(marker)


def test_the_kernel_may_start_only_so_many_processes(tmp_path):
    """A fork bomb stops: the launcher limits the user's processes and threads to those running
    at the kernel's start plus a margin (Linux does not enforce it for root, but sets it)."""
    import json
    import resource
    import subprocess
    import sys

    from nnlesson.tools.grading.sandbox import _LAUNCH, _PROCESSES

    if not sys.platform.startswith("linux"):
        pytest.fail("the process limit is Linux's (RLIMIT_NPROC counted from /proc)")
    spec = json.dumps({"processes": _PROCESSES})
    done = subprocess.run([sys.executable, "-I", "-S", str(_LAUNCH), spec, "/bin/bash", "-c",
                           "ulimit -u"], capture_output=True, text=True, timeout=60, check=True)
    limit = int(done.stdout)
    tasks = sum(1 for _ in Path("/proc").glob("[0-9]*/task/*"))  # every user's, an upper bound
    assert _PROCESSES < limit <= tasks + _PROCESSES + 1000
    soft, _ = resource.getrlimit(resource.RLIMIT_NPROC)
    assert soft == resource.RLIM_INFINITY or limit < soft


def test_the_kernel_gets_none_of_the_graders_secrets(tmp_path, monkeypatch):
    """An instructor's token in the grader's environment never reaches a student's code (which
    could raise it into the row's reason); the kernel reads the font cache built once."""
    monkeypatch.setenv("NNLESSON_TEST_TOKEN", "s3cr3t-do-not-show")
    answer = ("import os\nimport matplotlib\n"
              "raise RuntimeError('token: ' + os.environ.get('NNLESSON_TEST_TOKEN', 'none') + "
              "'; shared font cache: ' + str(matplotlib.get_cachedir() == "
              "os.environ.get('MPLCONFIGDIR')))\n" + GOOD)
    release, _ = setup_class(tmp_path, {"curious": answer})
    [row] = grade([tmp_path / "class"], release=release, progress=False)
    assert row.reason.startswith("your cell 2 raised RuntimeError: token: none; shared font "
                                 "cache: True"), row.reason


def _processes_with(text):
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if text.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            continue
    return found


def test_a_notebook_cannot_write_or_read_outside_its_own_folder(tmp_path):
    """Next to its submission, into another student's, into the grader's folder, into /tmp:
    nothing appears and nothing changes; reading another submission fails too."""
    assert landlock_abi() >= 1, "this test needs Linux's Landlock (5.13 or later)"
    grades = tmp_path / "grades"
    grades.mkdir()
    targets = [tmp_path / "class" / "mallory" / "note.txt",
               tmp_path / "class" / "alice" / "01_double.ipynb",
               grades / "grades.csv",
               Path("/tmp") / f"nnlesson-escape-{tmp_path.name}.txt"]
    writes = "".join(f"try:\n    open({str(t)!r}, 'w').write('x')\nexcept OSError as e:\n"
                     f"    denied.append(type(e).__name__)\n" for t in targets)
    steal = (f"try:\n    stolen = open({str(targets[1])!r}).read()\nexcept OSError as e:\n"
             f"    denied.append(type(e).__name__)\n")
    release, paths = setup_class(tmp_path, {
        "alice": GOOD,
        "mallory": "denied = []\n" + writes + steal
                   + "assert denied == ['PermissionError'] * 5, denied\n" + GOOD,
    })
    before = paths["alice"].read_bytes()
    rows = {r.student: r for r in grade([tmp_path / "class"], release=release, progress=False)}
    assert (rows["mallory"].score, rows["mallory"].status) == ("1/1", "passed"), rows["mallory"]
    assert not targets[0].exists() and not targets[2].exists() and not targets[3].exists()
    assert paths["alice"].read_bytes() == before


def test_the_grader_never_writes_to_a_submission(tmp_path):
    """Bytes and modification times of every submitted file are the same after grading,
    also for a notebook that tries to rewrite itself."""
    release, paths = setup_class(tmp_path, {"alice": GOOD, "bob": "def double(x):\n    return x"})
    own = paths["bob"]
    nb = nbformat.read(str(own), as_version=4)
    nb.cells[1].source = (f"try:\n    open({str(own)!r}, 'w').write('{{}}')\nexcept OSError:\n"
                          f"    pass\n" + nb.cells[1].source)
    nbformat.write(nb, str(own))
    folders = [tmp_path / "class", *(p for p in (tmp_path / "class").rglob("*") if p.is_dir())]
    for folder in folders:
        os.utime(folder, ns=(0, 0))  # a file added to (or removed from) it would change this
    files = sorted(p for p in (tmp_path / "class").rglob("*") if p.is_file())
    old = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}
    rows = grade([tmp_path / "class"], release=release, progress=False)
    assert [r.status for r in rows] == ["passed", "failed"]
    assert sorted(p for p in (tmp_path / "class").rglob("*") if p.is_file()) == files
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files} == old
    assert [folder.stat().st_mtime_ns for folder in folders] == [0] * len(folders)


def test_a_huge_notebook_file_is_an_error_row_not_read(tmp_path, monkeypatch):
    import nnlesson.tools.grading as grading

    release, paths = setup_class(tmp_path, {"alice": GOOD})
    monkeypatch.setattr(grading, "_MAX_NOTEBOOK", 1000)  # the file is about 2 kB
    [row] = grade([paths["alice"]], release=release, progress=False)
    assert (row.status, row.score) == ("error", "0/0")
    assert row.reason.startswith("cannot read the notebook: ValueError: 0 MB, more than the 0 MB")


@pytest.mark.parametrize("kwargs, message", [
    ({"memory": 100}, "memory must be a finite number >= 256"),
    ({"max_output": -1}, "max_output must be a finite number > 0"),
    ({"shard": (3, 2)}, r"shard must be \(K, N\) with 1 <= K <= N, got \(3, 2\)"),
])
def test_bad_limits(tmp_path, kwargs, message):
    release, _ = setup_class(tmp_path, {"alice": GOOD})
    with pytest.raises(ValueError, match=message):
        grade([tmp_path / "class"], release=release, **kwargs)
