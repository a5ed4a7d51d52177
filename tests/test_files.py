"""Safe saving (nnlesson.tools.files): a failed or interrupted write leaves the old file intact."""
import datetime
import errno
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from nnlesson.tools import files
from nnlesson.tools.files import backup_file, write_bytes, write_json, write_notebook, write_text

OLD = b"the previous version\n" * 100
NEW = b"the new version, longer than the old one\n" * 10_000


def leftovers(folder, keep):
    """Files in ``folder`` other than ``keep`` (e.g. temporary files left behind)."""
    return sorted(p.name for p in Path(folder).iterdir() if p.name not in keep)


@pytest.fixture
def old_file(tmp_path):
    path = tmp_path / "grades.csv"
    path.write_bytes(OLD)
    os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    return path


def assert_untouched(path):
    assert path.read_bytes() == OLD
    assert path.stat().st_mtime_ns == 1_600_000_000_000_000_000
    assert leftovers(path.parent, {path.name}) == []


def test_write_bytes_replaces_content_and_returns_path(old_file):
    assert write_bytes(str(old_file), NEW) == old_file
    assert old_file.read_bytes() == NEW
    assert leftovers(old_file.parent, {old_file.name}) == []


def test_write_text_json_notebook_round_trip(tmp_path):
    write_text(tmp_path / "a.txt", "ü\n")
    assert (tmp_path / "a.txt").read_bytes() == "ü\n".encode("utf-8")
    write_json(tmp_path / "a.json", {"b": 1, "a": [1, 2]})
    assert (tmp_path / "a.json").read_text() == '{\n  "b": 1,\n  "a": [\n    1,\n    2\n  ]\n}\n'
    nb = new_notebook(cells=[new_markdown_cell("# title"), new_code_cell("x = 1")])
    write_notebook(tmp_path / "ours.ipynb", nb)
    nbformat.write(nb, str(tmp_path / "theirs.ipynb"))  # the reference: nbformat's own writer
    assert (tmp_path / "ours.ipynb").read_bytes() == (tmp_path / "theirs.ipynb").read_bytes()


def test_new_file_gets_umask_permissions_and_replaced_file_keeps_its_own(tmp_path):
    previous = os.umask(0o027)
    try:
        write_bytes(tmp_path / "new.txt", b"x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640
    kept = tmp_path / "kept.txt"
    kept.write_bytes(b"x")
    kept.chmod(0o604)
    write_bytes(kept, b"y")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o604


def test_missing_folder_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="no folder .*nowhere.* to write 'x.txt' into"):
        write_bytes(tmp_path / "nowhere" / "x.txt", b"")


class _HalfWriter:
    """A file handle whose write stores half of the data, then fails like a full disk."""

    def __init__(self, handle):
        self.handle = handle

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()

    def write(self, data):
        self.handle.write(data[: len(data) // 2])
        self.handle.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name):
        return getattr(self.handle, name)


def test_disk_full_halfway_leaves_the_old_file(old_file, monkeypatch):
    real_fdopen = os.fdopen
    monkeypatch.setattr(files.os, "fdopen", lambda fd, mode: _HalfWriter(real_fdopen(fd, mode)))
    with pytest.raises(OSError) as info:
        write_bytes(old_file, NEW)
    assert info.value.errno == errno.ENOSPC
    assert_untouched(old_file)


@pytest.mark.parametrize("failing", ["fsync", "replace", "link"])
def test_failure_at_each_step_leaves_the_old_file(old_file, monkeypatch, failing):
    calls = []

    def fail(*args):
        calls.append(args)
        raise OSError(errno.EIO, f"{failing} failed")

    monkeypatch.setattr(files.os, failing, fail)
    overwrite = failing != "link"
    target = old_file if overwrite else old_file.with_name("new.csv")
    with pytest.raises(OSError, match=f"{failing} failed"):
        if failing == "link":
            # A file system without hard links falls back to rename; make that fail too.
            monkeypatch.setattr(files.os, "replace", fail)
        write_bytes(target, NEW, overwrite=overwrite)
    assert calls  # the step really ran and failed
    assert_untouched(old_file)


def test_interrupt_during_write_leaves_the_old_file(old_file, monkeypatch):
    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_bytes(old_file, NEW)
    assert_untouched(old_file)


def test_process_killed_during_write_leaves_the_old_file(old_file):
    # A real crash: the writing process is killed after the new bytes reached the temporary
    # file and before the rename. Nothing can clean up after a kill, so the hidden temporary
    # file stays, but the target is the old file, byte for byte.
    script = textwrap.dedent(f"""
        import os, signal
        from nnlesson.tools import files
        files.os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)
        files.write_bytes({str(old_file)!r}, b"new" * 100000)
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert run.returncode == -9
    assert old_file.read_bytes() == OLD
    left = leftovers(old_file.parent, {old_file.name})
    assert len(left) == 1 and left[0].startswith(".grades.csv.") and left[0].endswith(".tmp")


def test_create_only_never_replaces(old_file, tmp_path):
    with pytest.raises(FileExistsError, match="grades.csv' exists; it was not replaced"):
        write_bytes(old_file, NEW, overwrite=False)
    assert_untouched(old_file)
    assert write_text(tmp_path / "fresh.txt", "hi", overwrite=False).read_text() == "hi"


def test_create_only_loses_the_race_without_replacing(old_file, monkeypatch):
    # The file appears after the first check, while the new bytes are being written.
    target = old_file.with_name("late.csv")
    real_fsync = os.fsync

    def someone_else_writes(fd):
        real_fsync(fd)
        target.write_bytes(b"theirs")

    monkeypatch.setattr(files.os, "fsync", someone_else_writes)
    with pytest.raises(FileExistsError):
        write_bytes(target, NEW, overwrite=False)
    assert target.read_bytes() == b"theirs"
    assert leftovers(old_file.parent, {old_file.name, target.name}) == []


def test_backup_file_is_a_timestamped_copy_that_never_replaces_one(old_file):
    when = datetime.datetime(2026, 12, 6, 10, 15, 0)
    first = backup_file(old_file, now=when)
    second = backup_file(old_file, now=when)
    assert first.name == "grades.csv.2026-12-06T10-15-00.bak"
    assert second.name == "grades.csv.2026-12-06T10-15-00-2.bak"
    assert first.read_bytes() == second.read_bytes() == OLD
    assert old_file.read_bytes() == OLD
    assert old_file.stat().st_mtime_ns == 1_600_000_000_000_000_000
    with pytest.raises(FileNotFoundError):
        backup_file(old_file.with_name("missing.csv"))


def test_write_json_is_valid_json(tmp_path):
    obj = {"student": "ann", "score": [1, 2], "note": "ü"}
    write_json(tmp_path / "g.json", obj)
    assert json.loads((tmp_path / "g.json").read_text(encoding="utf-8")) == obj
