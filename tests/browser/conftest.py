"""Fixtures for the real-browser tests: Debian's Chromium through Playwright, and JupyterLab.

* ``chromium`` (session): headless Chromium from ``/usr/bin/chromium`` (or
  ``$NNLESSON_CHROMIUM``), never a downloaded browser. A missing browser fails the tests (they
  are never skipped) with the command that installs it.
* ``page`` (per test): a fresh browser context in which every request that is not a local
  file or this machine's JupyterLab is refused; ``page.blocked`` lists the refused URLs. When
  the test fails, a screenshot is saved to ``test-artifacts/``.
* ``jupyter_lab`` (session): a JupyterLab server on 127.0.0.1, a free port and a random token,
  serving a temporary copy of the repository's ``notebooks/``. At teardown the server is shut
  down through its API and then it, its kernels and anything they started are killed.
"""
from __future__ import annotations

import json
import os
import re
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

CHROMIUM = os.environ.get("NNLESSON_CHROMIUM") or "/usr/bin/chromium"  # Debian's, as slides.py
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
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


def _local(url: str) -> bool:
    return url.startswith(("file://", "data:", "blob:", "about:")) or re.match(
        r"^(https?|wss?)://127\.0\.0\.1(:\d+)?/", url) is not None


@pytest.fixture
def page(chromium, request):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.blocked = []
    console = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda err: console.append(f"page error: {err}"))

    def guard(route):
        if _local(route.request.url):
            route.continue_()
        else:
            page.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page.set_default_timeout(30_000)
    yield page
    failed = any(getattr(getattr(request.node, f"report_{when}", None), "failed", False)
                 for when in ("setup", "call"))
    if failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        (ARTIFACTS / f"{name}.console.txt").write_text("\n".join(console), encoding="utf-8")
        try:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        except Exception as err:  # a crashed page must not hide the test's own failure
            print(f"could not save a screenshot: {err}", file=sys.stderr)
    context.close()


# ------------------------------------------------------------------------------------------
# JupyterLab


@dataclass
class Lab:
    url: str  # http://127.0.0.1:PORT
    token: str
    root: Path  # the server's root_dir; notebooks/ inside it

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
    root = tmp_path_factory.mktemp("lab")
    if (REPO / "notebooks").is_dir():
        shutil.copytree(REPO / "notebooks", root / "notebooks")
    else:
        (root / "notebooks").mkdir()
    home = tmp_path_factory.mktemp("lab-home")
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # the kernels must use the notebook's inline backend
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        IPYTHONDIR=str(home / "ipython"),
    )
    # A student's first visit, minus what would get in the way of a test: no question about
    # Jupyter news (nor its request to the internet), and the notebook's own kernel starts
    # without a "Select Kernel" dialog.
    settings = home / "settings" / "@jupyterlab"
    for plugin, values in (("apputils-extension/notification", {"fetchNews": "false",
                                                                "checkForUpdates": False}),
                           ("notebook-extension/tracker", {"autoStartDefaultKernel": True})):
        file = settings / f"{plugin}.jupyterlab-settings"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}", f"--LabApp.user_settings_dir="
        f"{home / 'settings'}", "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly", "--ServerApp.terminals_enabled=False",
    ]
    if os.geteuid() == 0:  # CI runs as root
        command.append("--allow-root")
    log = open(home / "lab.log", "wb")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    lab = Lab(f"http://127.0.0.1:{port}", token, root)
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
