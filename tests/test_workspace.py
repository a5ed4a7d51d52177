"""The student's own folder (nnlesson start): what is copied, that nothing is ever replaced, how
JupyterLab is started there, and where the course files come from (clone or installed wheel)."""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import venv
from pathlib import Path

import pytest

from nnlesson.tools import workspace
from nnlesson.tools.workspace import (
    START_NOTEBOOK,
    copy_course,
    course_files,
    course_root,
    format_report,
    jupyter_lab_launch,
)

ROOT = Path(__file__).resolve().parent.parent
OLD_TIME = 1_600_000_000_000_000_000


def fake_course(root):
    """A small course: the three folders, a hidden checkpoint and a backup (neither copied)."""
    for name, text in {
        START_NOTEBOOK: "map",
        "notebooks/01_a.ipynb": "lesson 1",
        "notebooks/figures/loss.png": "png",
        "exercises/01_a.ipynb": "exercise 1",
        "exercises/01_a.ipynb.2026-01-01T00-00-00.bak": "someone's backup",
        "exercises/.ipynb_checkpoints/01_a-checkpoint.ipynb": "checkpoint",
        "solutions/01_a.ipynb": "solution 1",
        "README.md": "not part of a student's folder",
    }.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


COPIED = ["notebooks/00_course_map.ipynb", "notebooks/01_a.ipynb", "notebooks/figures/loss.png",
          "exercises/01_a.ipynb", "solutions/01_a.ipynb"]


def listing(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_course_root_of_this_checkout_and_its_files():
    assert course_root() == ROOT  # an editable install reads the clone
    files = [p.as_posix() for p in course_files()]
    expected = sorted(p.relative_to(ROOT).as_posix()
                      for folder in ("notebooks", "exercises", "solutions")
                      for p in (ROOT / folder).glob("*.ipynb"))
    assert sorted(files) == expected
    assert START_NOTEBOOK in files


def test_copy_course_copies_the_layout(tmp_path):
    course = fake_course(tmp_path / "course")
    report = copy_course(tmp_path / "mine", root=course)
    assert sorted(p.as_posix() for p in report.added) == sorted(COPIED)
    assert report.same == [] and report.different == []
    assert listing(tmp_path / "mine") == sorted(COPIED)
    for name in COPIED:
        assert (tmp_path / "mine" / name).read_bytes() == (course / name).read_bytes()


def test_copy_course_is_idempotent_and_never_replaces(tmp_path):
    course = fake_course(tmp_path / "course")
    mine = tmp_path / "mine"
    copy_course(mine, root=course)
    answer = mine / "exercises" / "01_a.ipynb"
    answer.write_text("my answer")
    os.utime(answer, ns=(OLD_TIME, OLD_TIME))
    (mine / "notebooks" / "01_a.ipynb").unlink()  # a file the student deleted comes back
    # The course gets a new lesson, and a new version of the exercise the student worked on.
    (course / "exercises" / "02_b.ipynb").write_text("exercise 2")
    (course / "exercises" / "01_a.ipynb").write_text("exercise 1, version 2")

    report = copy_course(mine, root=course)
    assert sorted(p.as_posix() for p in report.added) == ["exercises/02_b.ipynb",
                                                         "notebooks/01_a.ipynb"]
    assert [p.as_posix() for p in report.different] == ["exercises/01_a.ipynb"]
    assert len(report.same) == len(COPIED) - 2
    assert answer.read_text() == "my answer"
    assert answer.stat().st_mtime_ns == OLD_TIME
    again = copy_course(mine, root=course)
    assert again.added == [] and again.different == report.different
    assert answer.stat().st_mtime_ns == OLD_TIME

    text = format_report(report, mine)
    assert text.splitlines() == [
        f"Your course folder: {mine}",
        "added 2 files:",
        "  notebooks/01_a.ipynb",
        "  exercises/02_b.ipynb",
        "kept 4 files you already had (never replaced): 3 the same as the course's, 1 different "
        "(your work, or an older version of the course):",
        "  exercises/01_a.ipynb",
        "To get the course's version of a file you kept, rename yours, then run this command "
        "again.",
    ]


@pytest.mark.parametrize("inside", ["", "exercises", "exercises/mine", "new/deeper"])
def test_a_folder_inside_the_course_is_refused(tmp_path, inside):
    course = fake_course(tmp_path / "course")
    before = listing(course)
    with pytest.raises(ValueError, match="DIR must be a folder outside the course, got "):
        copy_course(course / inside, root=course)
    assert listing(course) == before


def test_a_file_is_refused(tmp_path):
    course = fake_course(tmp_path / "course")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="DIR must be a folder, got .*notes.txt'.*a file"):
        copy_course(tmp_path / "notes.txt", root=course)


def test_a_course_folder_that_is_a_file_is_refused_before_anything_is_copied(tmp_path):
    course = fake_course(tmp_path / "course")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "exercises").write_text("my notes, saved under an unlucky name")
    with pytest.raises(ValueError, match=r"'.*exercises' must be a folder \(the course's "
                                         r"exercises/ goes there\), but it is a file"):
        copy_course(mine, root=course)
    assert listing(mine) == ["exercises"]  # nothing half-copied
    assert (mine / "exercises").read_text() == "my notes, saved under an unlucky name"


def test_a_renamed_lesson_file_is_named_and_the_old_one_kept(tmp_path):
    """A course update renames exercises/01_a.ipynb: the student's file, with their work,
    stays; the new name is added; the report says which old file it replaces."""
    course = fake_course(tmp_path / "course")
    mine = tmp_path / "mine"
    copy_course(mine, root=course)
    (mine / "exercises" / "01_a.ipynb").write_text("my answers")
    (course / "exercises" / "01_a.ipynb").rename(course / "exercises" / "01_a_and_b.ipynb")
    report = copy_course(mine, root=course)
    assert [p.as_posix() for p in report.added] == ["exercises/01_a_and_b.ipynb"]
    assert [(a.as_posix(), b.as_posix()) for a, b in report.renamed] == [
        ("exercises/01_a.ipynb", "exercises/01_a_and_b.ipynb")]
    assert (mine / "exercises" / "01_a.ipynb").read_text() == "my answers"
    assert format_report(report, mine).splitlines()[-1] == (
        "The course renamed exercises/01_a.ipynb to exercises/01_a_and_b.ipynb: your "
        "01_a.ipynb stays as it was, with your work; 01_a_and_b.ipynb is the course's new "
        "copy. Keep working in the one that holds your answers, and hand that one in.")
    assert copy_course(mine, root=course).renamed == []  # said once, when the file is added


def test_no_home_folder_is_a_clear_error(tmp_path, monkeypatch):
    """No HOME and no entry in the user database (a container with an arbitrary user id)."""
    import pwd

    def unknown(uid):
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.setattr(pwd, "getpwuid", unknown)
    course = fake_course(tmp_path / "course")
    with pytest.raises(ValueError, match=r"DIR '~/my-nnlesson' starts with ~, but this user has "
                                         r"no home folder \(HOME is not set\)"):
        copy_course("~/my-nnlesson", root=course)


def test_home_folder_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    course = fake_course(tmp_path / "course")
    copy_course("~/my-nnlesson", root=course)
    assert listing(tmp_path / "my-nnlesson") == sorted(COPIED)


def test_launch_command(tmp_path):
    launch = jupyter_lab_launch(tmp_path, ["--port", "8890"],
                                environ={"PATH": "/bin", "JUPYTER_CONFIG_PATH": "/etc/theirs"})
    assert launch.argv == [sys.executable, "-m", "jupyterlab",
                           f"--ServerApp.root_dir={tmp_path.resolve()}",
                           str(tmp_path.resolve() / "notebooks" / "00_course_map.ipynb"),
                           "--port", "8890"]
    assert launch.cwd == tmp_path.resolve()
    config = workspace.lab_config_dir()
    assert launch.env == {"PATH": "/bin",
                          "JUPYTER_CONFIG_PATH": os.pathsep.join([str(config), "/etc/theirs"])}
    overrides = json.loads((config / "labconfig" / "default_setting_overrides.json").read_text())
    assert overrides == {
        "@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                          "checkForUpdates": False},
        # a student who saves after Run All and reopens sees the last picture of each explorer
        # (disconnected until the cell runs again) instead of "model not found"
        "@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": True}}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.mark.slow
def test_jupyter_lab_starts_on_the_folder_at_the_course_map(tmp_path):
    # The server nnlesson start runs, without a browser: its root is the student's folder (so
    # the course map's ../exercises/ links resolve), it opens the course map, and JupyterLab's
    # news question ("Would you like to get notified about official Jupyter news?", asked when
    # fetchNews is "none") is answered "false" by default.
    mine = tmp_path / "mine"
    copy_course(mine)
    port, token = _free_port(), "nnlesson-test"
    extra = ["--no-browser", f"--port={port}", f"--IdentityProvider.token={token}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        extra.append("--allow-root")
    launch = jupyter_lab_launch(mine, extra)
    env = dict(launch.env, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    log = open(tmp_path / "server.log", "wb")
    server = subprocess.Popen(launch.argv, cwd=launch.cwd, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _get(f"{base}/api/status?token={token}")
        root = _get(f"{base}/api/contents/?token={token}")
        assert {c["name"] for c in root["content"]} == {"notebooks", "exercises", "solutions"}
        exercise = _get(f"{base}/api/contents/exercises/04_momentum.ipynb?content=0&token={token}")
        assert exercise["type"] == "notebook"
        settings = _get(f"{base}/lab/api/settings/@jupyterlab/apputils-extension:notification"
                        f"?token={token}")
        assert settings["schema"]["properties"]["fetchNews"]["default"] == "false"
        assert settings["schema"]["properties"]["checkForUpdates"]["default"] is False
        widgets = _get(f"{base}/lab/api/settings/@jupyter-widgets/jupyterlab-manager:plugin"
                       f"?token={token}")
        assert widgets["schema"]["properties"]["saveState"]["default"] is True
        [opener] = (tmp_path / "runtime").glob("jpserver-file-to-run-*-open.html")
        assert f"/lab/tree/notebooks/00_course_map.ipynb?token={token}" in opener.read_text()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _copy_checkout(destination):
    """The checkout's files as git sees them (committed and new, not ignored) into a folder."""
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                           cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


@pytest.mark.slow
def test_a_regular_install_ships_the_course_files(tmp_path):
    # Build a wheel from the checkout as 'pip install .' does (an isolated build with the
    # setuptools pyproject.toml asks for), install it (not editable) into a new virtual
    # environment that borrows this one's dependencies, and run 'nnlesson start' from there.
    source = _copy_checkout(tmp_path / "clone")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                            "--wheel-dir", str(tmp_path / "dist"), str(source)],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    [wheel] = (tmp_path / "dist").glob("nnlesson-*.whl")
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=False)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                    "--no-index", "--quiet", str(wheel)], check=True, capture_output=True)
    # Dependencies from this environment's site-packages folders, after the new one's own
    # (plain path lines: this environment's editable-install hook is not run there, and a
    # checkout on sys.path is not borrowed).
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    borrowed = [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages")]
    (Path(site) / "borrowed.pth").write_text("".join(f"{p}\n" for p in borrowed))
    shutil.rmtree(source)  # the course files must come from the installation, not the clone

    probe = subprocess.run(
        [str(python), "-c", "import json, nnlesson; from nnlesson.tools import workspace as w; "
                            "print(json.dumps([nnlesson.__file__, str(w.course_root()), "
                            "[p.as_posix() for p in w.course_files()]]))"],
        capture_output=True, text=True, cwd=tmp_path)
    assert probe.returncode == 0, probe.stderr
    package, root, files = json.loads(probe.stdout)
    assert Path(package).is_relative_to(env_dir)
    assert Path(root) == (env_dir / "share" / "nnlesson").resolve()
    assert files == [p.as_posix() for p in course_files(ROOT)]

    start = subprocess.run([str(python), "-m", "nnlesson", "start", str(tmp_path / "mine"),
                            "--no-launch"], capture_output=True, text=True, cwd=tmp_path)
    assert start.returncode == 0, start.stderr
    assert listing(tmp_path / "mine") == sorted(files)
    for name in files:
        assert (tmp_path / "mine" / name).read_bytes() == (ROOT / name).read_bytes()
    overrides = subprocess.run(
        [str(python), "-c", "from nnlesson.tools import workspace as w; "
                            "print((w.lab_config_dir() / 'labconfig' / "
                            "'default_setting_overrides.json').read_text())"],
        capture_output=True, text=True, cwd=tmp_path)
    assert json.loads(overrides.stdout)["@jupyterlab/apputils-extension:notification"]
