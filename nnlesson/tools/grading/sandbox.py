"""A kernel for one student's notebook, with limits: memory, time, output, files, processes.

:class:`LimitedKernel` starts a fresh ``python3`` kernel through the launcher
(:mod:`nnlesson.tools.grading._launch`) and runs code cells in it one at a time:

* **memory**: the kernel's address space is capped (``RLIMIT_AS``), so an allocation beyond
  the limit raises ``MemoryError`` in the student's cell (or the kernel dies) instead of
  taking the machine's memory;
* **time**: one deadline for the whole notebook. A cell still running at the deadline is
  interrupted; a kernel that ignores the interrupt is killed a few seconds later. A CPU-time
  limit in the kernel is the backstop;
* **output**: the bytes of output a notebook may send (printed text, pictures, errors). Past
  the limit the cell is interrupted and nothing more is kept, so an endless ``print`` loop
  cannot fill the grader's memory;
* **files**: the kernel starts in a private temporary folder (its working folder and its
  home), removed afterwards. Where Linux offers Landlock (5.13 and later, no privileges
  needed), the kernel and everything it starts can write only beneath that folder, read only
  the Python installation and the system's libraries (never the other submissions or the
  grades), open no TCP connection, and signal no process outside its sandbox. The kernel talks
  to the grader through Unix sockets inside its folder;
* **processes**: the kernel leads its own process group; at the end the whole group is killed,
  children included.

``isolation()`` says which file isolation is in force on this machine; the grader reports it.
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from nnlesson._validate import check_number

__all__ = ["Limits", "CellOutcome", "LimitedKernel", "isolation", "landlock_abi", "kernel_env"]

_LAUNCH = Path(__file__).resolve().with_name("_launch.py")
_PACKAGE_DIR = Path(__file__).resolve().parents[2]  # the nnlesson package
_GRACE = 5.0  # seconds a kernel gets to stop after an interrupt before it is killed
_FILE_SIZE = 256 * 2**20  # no single file a kernel writes may exceed this
_PROCESSES = 256  # processes and threads a kernel may add to its user's (a fork bomb stops)
_MARK = "NNLESSON_GRADED_KERNEL"  # in the kernel's environment: finds its processes at the end
# What a student's kernel gets of the grader's environment (names, or prefixes ending in _):
# enough to run Python and find its libraries, never the instructor's tokens or keys.
_PASSED_ENV = ("PATH", "PYTHONPATH", "PYTHONHOME", "LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH",
               "LANG", "LANGUAGE", "LC_", "TZ", "SYSTEMROOT", "SYSTEMDRIVE", "WINDIR",
               "COMSPEC", "PATHEXT", "NUMBER_OF_PROCESSORS", "PROCESSOR_ARCHITECTURE")


@dataclass(frozen=True)
class Limits:
    """What one notebook's run may use.

    Attributes:
        timeout: seconds for all of the notebook's cells (kernel start excluded).
        memory_mb: the kernel's address space in MiB.
        max_output_mb: output (text, pictures, errors) the notebook may send, in MiB.
        isolate: confine the kernel's files with Landlock where the system offers it.
    """

    timeout: float = 60.0
    memory_mb: float = 2048
    max_output_mb: float = 10.0
    isolate: bool = True

    def __post_init__(self):
        check_number("timeout", self.timeout, low=0, low_open=True)
        check_number("memory_mb", self.memory_mb, low=256)
        check_number("max_output_mb", self.max_output_mb, low=0, low_open=True)


@dataclass
class CellOutcome:
    """How one cell ended.

    ``status`` is ``"ok"``, ``"error"`` (the cell raised ``ename: evalue``), ``"timeout"``
    (the notebook's time ran out in this cell), ``"output"`` (the output limit was reached)
    or ``"dead"`` (the kernel died). ``user_expressions`` holds the values the grader asked
    for, when the cell ended without error.
    """

    status: str = "ok"
    ename: str = ""
    evalue: str = ""
    output_bytes: int = 0
    user_expressions: dict | None = None


def landlock_abi():
    """The Landlock ABI of this Linux kernel (0: not available)."""
    if not sys.platform.startswith("linux"):
        return 0
    from nnlesson.tools.grading._launch import landlock_abi as abi

    return abi()


def isolation():
    """A short description of the file isolation the grader can give a kernel here."""
    abi = landlock_abi()
    if abi:
        return f"landlock (ABI {abi})"
    return "working folder only (no Landlock on this system)"


def kernel_env(mplconfigdir=None):
    """The environment of a student's kernel: the notebook runner's reproducible settings
    (:func:`nnlesson.tools.notebooks.kernel_env`) and, of the grader's own environment, only
    what Python needs to start (``PATH``, ``PYTHONPATH``, the library path, the locale).
    Nothing else (an API token, a cloud key, a password) reaches a student's code, which could
    print it into its row's reason. ``mplconfigdir``: matplotlib's folder, with its font cache
    built once for the whole class."""
    from nnlesson.tools.notebooks import kernel_env as runner_env

    kept = runner_env({key: value for key, value in os.environ.items()
                       if any(key == name or name.endswith("_") and key.startswith(name)
                              for name in _PASSED_ENV)})
    if mplconfigdir is not None:
        kept["MPLCONFIGDIR"] = str(mplconfigdir)
    return kept


def _read_only_paths():
    """Folders a kernel must read: the Python installation and the system's libraries."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             str(_PACKAGE_DIR)}
    paths.update(v for v in sysconfig.get_paths().values() if v)
    paths.update(p for p in sys.path if p and os.path.isabs(p) and os.path.isdir(p)
                 and not _holds_cwd(p))
    paths.update(["/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/etc", "/proc", "/sys",
                  "/dev"])
    return sorted(p for p in paths if os.path.exists(p))


def _holds_cwd(path):
    """True for a ``sys.path`` entry that is the grader's working folder or holds it (``-m``
    puts it on the path): the submissions may live there."""
    try:
        here = Path.cwd().resolve()
        path = Path(path).resolve()
    except OSError:
        return True
    return path == here or path in here.parents and path != _PACKAGE_DIR.parent


def _kill_marked(entry):
    """SIGKILL every process of this user whose environment holds ``entry`` (Linux's /proc)."""
    if not os.path.isdir("/proc") or not hasattr(os, "getuid"):
        return
    me = os.getpid()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                found = entry in f.read().split(b"\0")
        except OSError:  # gone, or another user's
            continue
        if found:
            try:
                os.kill(int(name), signal.SIGKILL)
            except OSError:
                pass


def _output_size(content):
    try:
        return len(json.dumps(content, default=str))
    except (TypeError, ValueError):
        return len(str(content))


class LimitedKernel:
    """One kernel with :class:`Limits`; use ``async with LimitedKernel(...) as kernel``.

    Args:
        limits: the :class:`Limits`.
        root: a folder for the kernel's private folder (created inside it, removed at the end).
        env: environment variables for the kernel.
        read_only: extra folders the kernel may read (e.g. a warmed matplotlib cache).
    """

    def __init__(self, limits, root, env, read_only=()):
        self.limits = limits
        self.folder = Path(tempfile.mkdtemp(prefix="nb-", dir=root))
        self.work = self.folder / "work"
        self.home = self.folder / "home"
        for folder in (self.work, self.home, self.home / "tmp"):
            folder.mkdir()
        self.landlock = bool(limits.isolate and landlock_abi())
        self.env = dict(env)
        self.env.update({
            "HOME": str(self.home),
            "TMPDIR": str(self.home / "tmp"),
            "IPYTHONDIR": str(self.home / ".ipython"),
            "JUPYTER_CONFIG_DIR": str(self.home / ".jupyter"),
            "JUPYTER_DATA_DIR": str(self.home / ".local" / "share" / "jupyter"),
            "JUPYTER_RUNTIME_DIR": str(self.home / "runtime"),
            "PYTHONNOUSERSITE": "1",
            "MALLOC_ARENA_MAX": "2",  # fewer malloc arenas: less address space per thread
            _MARK: self.folder.name,
        })
        self.read_only = list(read_only)
        self.deadline = None
        self.output_bytes = 0
        self.km = self.kc = None
        self.pgid = None

    # ------------------------------------------------------------------------- start, stop

    def _launch_spec(self):
        cpu = int(self.limits.timeout) + 30
        return {
            "memory": int(self.limits.memory_mb * 2**20),
            "file_size": _FILE_SIZE,
            "processes": _PROCESSES,
            "cpu": cpu,
            "landlock": self.landlock,
            "read": _read_only_paths() + [str(p) for p in self.read_only],
            "list": [str(_PACKAGE_DIR.parent)],  # the import system looks for nnlesson there
            "write": [str(self.folder), "/dev/null"],
        }

    async def __aenter__(self):
        from jupyter_client.manager import AsyncKernelManager

        spec = json.dumps(self._launch_spec())

        class _Manager(AsyncKernelManager):
            def format_kernel_cmd(self, extra_arguments=None):
                cmd = super().format_kernel_cmd(extra_arguments)
                if os.name != "posix":  # no rlimits, no exec: the kernel starts as it is
                    return cmd
                return [sys.executable, "-I", "-S", str(_LAUNCH), spec, *cmd]

        # Unix sockets in the private folder: the kernel needs no TCP at all.
        transport = {"transport": "ipc", "ip": str(self.folder / "k")} if os.name == "posix" else {}
        self.km = _Manager(kernel_name="python3", connection_file=str(self.folder / "kernel.json"),
                           **transport)
        try:
            await self.km.start_kernel(
                cwd=str(self.work), env=self.env,
                extra_arguments=["--IPKernelApp.log_level=ERROR",
                                 "--HistoryManager.hist_file=:memory:"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.pgid = getattr(self.km.provisioner, "pgid", None)
            self.kc = self.km.client()
            self.kc.start_channels()
            await self.kc.wait_for_ready(timeout=60)
            self.kc.allow_stdin = False
        except BaseException:
            await self._stop()
            raise
        return self

    async def __aexit__(self, *exc):
        await self._stop()

    async def _stop(self):
        """Kill the kernel's process group (children included) and the processes that left
        it (``setsid``) but still carry the kernel's environment, then clean up."""
        if self.pgid and hasattr(os, "killpg"):
            try:
                os.killpg(self.pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        _kill_marked(f"{_MARK}={self.folder.name}".encode())
        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None:
            try:
                await self.km.shutdown_kernel(now=True)
            except Exception:  # already dead: nothing to shut down
                pass
            try:
                await self.km.cleanup_resources()
            except Exception:
                pass
        shutil.rmtree(self.folder, ignore_errors=True)

    async def _kill(self):
        if self.pgid and hasattr(os, "killpg"):
            try:
                os.killpg(self.pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    async def _alive(self):
        try:
            return await self.km.is_alive()
        except Exception:
            return False

    # ------------------------------------------------------------------------- running

    def start_clock(self):
        """Start the notebook's time limit (call after the kernel is up)."""
        self.deadline = time.monotonic() + self.limits.timeout

    async def run(self, source, user_expressions=None):
        """Run one cell; returns a :class:`CellOutcome`. Never raises for the cell's sake."""
        outcome = CellOutcome()
        if self.deadline is None:
            self.start_clock()
        if time.monotonic() >= self.deadline:
            outcome.status = "timeout"
            return outcome
        if not await self._alive():
            outcome.status = "dead"
            return outcome
        msg_id = self.kc.execute(source, store_history=True, allow_stdin=False,
                                 stop_on_error=False, user_expressions=user_expressions or {})
        limit = self.limits.max_output_mb * 2**20
        stop = {"why": None, "at": None}  # why the grader interrupted the cell, and when

        async def interrupt(why):
            if stop["why"] is None:
                stop["why"], stop["at"] = why, time.monotonic()
                await self.km.interrupt_kernel()

        async def read_outputs():
            while True:
                msg = await self.kc.get_iopub_msg()
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                kind = msg["msg_type"]
                if kind == "status":
                    if msg["content"].get("execution_state") == "idle":
                        return
                elif kind != "execute_input":
                    size = _output_size(msg["content"])
                    outcome.output_bytes += size
                    self.output_bytes += size
                    if self.output_bytes > limit:
                        await interrupt("output")

        async def read_reply():
            while True:
                msg = await self.kc.get_shell_msg()
                if msg["parent_header"].get("msg_id") == msg_id:
                    return msg

        outputs = asyncio.ensure_future(read_outputs())
        reply = asyncio.ensure_future(read_reply())
        replied_at = None
        try:
            while not (reply.done() and outputs.done()):
                now = time.monotonic()
                if reply.done():
                    # The cell has finished; its last outputs follow within moments.
                    replied_at = replied_at or now
                    if now - replied_at > 2.0:
                        break
                    await asyncio.wait({outputs}, timeout=0.25)
                    continue
                if stop["at"] is not None and now >= stop["at"] + _GRACE:
                    await self._kill()  # the cell ignored the interrupt
                    outcome.status = stop["why"]
                    return outcome
                if stop["at"] is None and now >= self.deadline:
                    await interrupt("timeout")
                    continue
                wake = stop["at"] + _GRACE if stop["at"] is not None else self.deadline
                await asyncio.wait({outputs, reply}, timeout=max(0.01, min(1.0, wake - now)),
                                   return_when=asyncio.FIRST_COMPLETED)
                if not reply.done() and not await self._alive():
                    outcome.status = "dead"
                    return outcome
        finally:
            for task in (outputs, reply):
                task.cancel()
        content = reply.result()["content"]
        if stop["why"] is not None:
            outcome.status = stop["why"]
        elif content.get("status") == "error":
            outcome.status = "error"
        outcome.ename = content.get("ename", "")
        outcome.evalue = content.get("evalue", "")
        outcome.user_expressions = content.get("user_expressions") or None
        return outcome

    async def evaluate(self, expression, timeout=10.0):
        """Evaluate ``expression`` silently in the kernel; its ``user_expressions`` entry
        (``{"status": "ok", "data": {...}}``), or None when the kernel does not answer."""
        if not await self._alive():
            return None
        msg_id = self.kc.execute("", silent=True, store_history=False, allow_stdin=False,
                                 stop_on_error=False, user_expressions={"value": expression})
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                wait = max(0.05, min(1.0, end - time.monotonic()))
                msg = await self.kc.get_shell_msg(timeout=wait)
            except Exception:  # queue.Empty: nothing yet
                if not await self._alive():
                    return None
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return (msg["content"].get("user_expressions") or {}).get("value")
        return None
