"""Fixtures for the real-browser tests: Debian's Chromium through Playwright, and JupyterLab.

* ``chromium`` (session): headless Chromium from ``/usr/bin/chromium`` (or
  ``$NNLESSON_CHROMIUM``), never a downloaded browser. A missing browser fails the tests (they
  are never skipped) with the command that installs it.
* ``page`` (per test): a fresh browser context in which every request that is not a local
  file or this machine's JupyterLab is refused; ``page.blocked`` lists the refused URLs. When
  the test fails, a screenshot is saved to ``test-artifacts/``. :func:`guarded_page` makes
  such a page for a module's own fixtures (e.g. one page at 1280x720 for every deck);
  it and the other helpers live in ``browsing.py``.
* ``jupyter_lab`` (session): JupyterLab started the way the README starts it, with the
  README's command ``nnlesson start DIR`` into a temporary student folder, plus only what a test
  needs after ``--`` (no browser, 127.0.0.1, a free port, a random token). HOME, the Jupyter
  and IPython folders and the XDG folders are temporary, so nothing is read from or left in
  the user's own settings. At teardown the server is shut down through its API and then it, its
  kernels and anything they started are killed.
* ``axe_script`` (session): axe-core's ``axe.min.js`` from the slide-asset cache (pinned in
  ``nnlesson.tools.slides.TEST_ASSET_VERSIONS``, installed by ``.ci/install_slide_assets.sh``);
  ``browsing.run_axe`` runs it in a page.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from browsing import ARTIFACTS, REPO, failed, guarded_page, save_artifacts

CHROMIUM = os.environ.get("NNLESSON_CHROMIUM") or "/usr/bin/chromium"  # Debian's, as slides.py
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LAB_START_TIMEOUT = 90  # seconds; a cold start on 2 busy cores can take a while


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. "
                    "Run `bash .ci/install_browser.sh` (as root) to install it.", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, request):
    page = guarded_page(chromium)
    yield page
    if failed(request):
        save_artifacts(page, request.node.nodeid)
    page.context.close()


@pytest.fixture(scope="session")
def axe_script():
    """Path of axe-core's ``axe.min.js`` (the pinned version, from the slide-asset cache)."""
    from nnlesson.tools.slides import SlideAssetsError, axe_core_path

    try:
        return axe_core_path()
    except SlideAssetsError as err:
        pytest.fail(str(err), pytrace=False)


# ------------------------------------------------------------------------------------------
# JupyterLab


@dataclass
class Lab:
    url: str  # http://127.0.0.1:PORT
    token: str
    root: Path  # the server's root_dir: the student's folder, notebooks/ exercises/ solutions/
    log: Path  # the server's output
    pid: int  # JupyterLab's process (the `nnlesson start` process became it)
    extra_args: list  # what the test added after `--`

    def api(self, path: str, method: str = "GET", body=None, timeout: float = 5):
        """Call the server's REST API with the token; returns the decoded JSON answer."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", method=method, data=data,
                                         headers={"Authorization": f"token {self.token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _processes() -> dict:
    """{pid: (parent pid, start time)} of every process, read from Linux's /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # "pid (comm) state ppid ... starttime(22nd) ...": comm may hold spaces
            fields = stat.rsplit(")", 1)[1].split()
            table[int(entry.name)] = (int(fields[1]), fields[19])
    return table


def _descendants(pid: int) -> list[tuple[int, str]]:
    """Every process below ``pid`` as (pid, start time), so a reused pid is never mistaken."""
    table = _processes()
    found, frontier = [], {pid}
    while frontier:
        children = {p for p, (parent, _) in table.items() if parent in frontier}
        found += [(p, table[p][1]) for p in children]
        frontier = children
    return found


def _kill(processes) -> None:
    """SIGKILL each (pid, start time) that is still the same process."""
    table = _processes()
    for pid, started in processes:
        if table.get(pid, (None, None))[1] == started:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture(scope="session")
def jupyter_lab(tmp_path_factory):
    """JupyterLab as the README starts it: ``nnlesson start DIR -- ARGS`` (see module doc)."""
    home = tmp_path_factory.mktemp("home")
    root = tmp_path_factory.mktemp("student") / "my-nnlesson"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("JUPYTER", "IPYTHON", "XDG_", "MPL"))}
    env.update(
        HOME=str(home),
        # The kernels import the nnlesson of this checkout, whose notebooks are copied.
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / ".local" / "share" / "jupyter"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        IPYTHONDIR=str(home / ".ipython"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
    )
    port, token = _free_port(), secrets.token_hex(16)
    extra_args = ["--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                  "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"]
    if os.geteuid() == 0:  # CI runs as root
        extra_args.append("--allow-root")
    # The README's command: the console script installed next to this Python.
    script = Path(sys.executable).with_name("nnlesson")
    command = ([str(script)] if script.is_file() else [sys.executable, "-m", "nnlesson"])
    command += ["start", str(root), "--", *extra_args]
    log = open(home / "lab.log", "wb")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True, cwd=home)
    lab = Lab(f"http://127.0.0.1:{port}", token, root, home / "lab.log", server.pid, extra_args)
    try:
        deadline = time.monotonic() + LAB_START_TIMEOUT
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {server.returncode}:\n"
                            + (home / "lab.log").read_text(errors="replace")[-3000:])
            try:
                lab.api("/api/status")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within {LAB_START_TIMEOUT} s:\n"
                                + (home / "lab.log").read_text(errors="replace")[-3000:])
                time.sleep(0.25)
        yield lab
    finally:
        # Kernels run in their own sessions, so note every descendant before stopping anything.
        spawned = _descendants(server.pid)
        try:
            lab.api("/api/shutdown", method="POST")  # stops the kernels, then the server
            server.wait(timeout=20)
        except Exception:
            pass
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        _kill(spawned + _descendants(server.pid))
        log.close()
        ARTIFACTS.mkdir(exist_ok=True)  # the server's log, for a failure seen only in CI
        shutil.copyfile(home / "lab.log", ARTIFACTS / "jupyterlab.log")
