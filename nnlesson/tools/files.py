"""Safe saving: every file the tools write goes through "write a temporary file, then rename".

A crash, a full disk or an interrupted process in the middle of a write leaves the old file
exactly as it was: the new bytes go to a temporary file in the same folder, are flushed to disk,
and only then replace the target with :func:`os.replace` (atomic on POSIX and Windows when both
are on the same file system, which a temporary file in the same folder guarantees). A write that
fails removes its temporary file; only a process killed outright can leave one behind (a hidden
``.NAME.*.tmp`` beside the target), never a half-written target.

    write_text(path, text)          write_bytes(path, data)
    write_notebook(path, nb)        write_json(path, obj)
    backup_file(path)               (a timestamped copy beside the file, never replacing one)

``overwrite=False`` creates the file only if it does not exist yet, atomically too: an existing
file, even one that appears while the new one is being written, is never replaced.
"""
from __future__ import annotations

import datetime
import errno
import json
import os
import secrets
from pathlib import Path

__all__ = ["write_bytes", "write_text", "write_json", "write_notebook", "backup_file"]


def _temporary_file(folder, name):
    """Create a new hidden temporary file in ``folder``; returns ``(fd, path)``.

    The file is opened with mode 0o666 so the kernel applies the process's umask: the result
    gets the permissions any newly created file would get (no umask juggling, which is not
    thread-safe).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = folder / f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, f"no free temporary file name in {str(folder)!r}")


def _sync_folder(folder):
    """Flush the folder entry of a rename to disk (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bytes(path, data, *, overwrite=True):
    """Write ``data`` to ``path`` atomically; returns ``path`` as a :class:`~pathlib.Path`.

    Args:
        path: the file to write. Its folder must exist.
        data: the bytes to write.
        overwrite: with False, the file is only created: if ``path`` exists (or appears during
            the write), nothing is replaced and :class:`FileExistsError` is raised.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        FileNotFoundError: the folder does not exist.
        FileExistsError: ``overwrite=False`` and ``path`` exists.
        OSError: the write failed (e.g. a full disk); ``path`` is left as it was and the
            temporary file is removed.

    A new file gets the permissions the process's umask gives; a replaced file keeps its own.
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(errno.ENOENT, f"no folder {str(folder)!r} to write {path.name!r} into")
    if not overwrite and os.path.lexists(path):
        raise FileExistsError(errno.EEXIST, f"{str(path)!r} exists; it was not replaced")
    fd, tmp = _temporary_file(folder, path.name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            if path.exists():
                os.chmod(tmp, path.stat().st_mode & 0o7777)
            os.replace(tmp, path)
        else:
            _create_only(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _sync_folder(folder)
    return path


def _create_only(tmp, path):
    """Give ``tmp`` the name ``path`` unless ``path`` exists (then FileExistsError)."""
    try:
        os.link(tmp, path)  # fails if path exists: no window in which it could be replaced
    except FileExistsError:
        raise FileExistsError(errno.EEXIST, f"{str(path)!r} exists; it was not replaced") from None
    except OSError:
        # A file system without hard links: check, then rename (a tiny window remains).
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, f"{str(path)!r} exists; it was not replaced") from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def write_text(path, text, encoding="utf-8", *, overwrite=True):
    """Write ``text`` to ``path`` atomically (UTF-8 by default); see :func:`write_bytes`."""
    return write_bytes(path, text.encode(encoding), overwrite=overwrite)


def write_json(path, obj, *, overwrite=True, **dump_kwargs):
    """Write ``obj`` as JSON (indent 2, keys in order given, a final newline) atomically."""
    dump_kwargs.setdefault("indent", 2)
    return write_text(path, json.dumps(obj, **dump_kwargs) + "\n", overwrite=overwrite)


def write_notebook(path, nb, *, overwrite=True):
    """Write a notebook (``nbformat.NotebookNode``) atomically, byte for byte as nbformat does."""
    import nbformat

    text = nbformat.writes(nb)
    return write_text(path, text if text.endswith("\n") else text + "\n",  # as nbformat.write
                      overwrite=overwrite)


def backup_file(path, now=None):
    """Copy ``path`` to a timestamped backup beside it; returns the backup's path.

    The backup is ``NAME.YYYY-MM-DDTHH-MM-SS.bak`` (local time; ``now``, a
    :class:`datetime.datetime`, defaults to the current time), or ``NAME.<time>-2.bak``,
    ``-3``, ... when that name is taken: an older backup is never replaced. The ``.bak`` ending
    keeps the copy out of notebook listings and test collection; rename it to ``.ipynb`` to
    open it in JupyterLab.

    Raises:
        FileNotFoundError: ``path`` does not exist.
    """
    path = Path(path)
    data = path.read_bytes()
    stamp = (now or datetime.datetime.now()).strftime("%Y-%m-%dT%H-%M-%S")
    for number in range(1, 1000):
        suffix = f"{stamp}.bak" if number == 1 else f"{stamp}-{number}.bak"
        backup = path.with_name(f"{path.name}.{suffix}")
        try:
            return write_bytes(backup, data, overwrite=False)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, f"too many backups of {str(path)!r} at {stamp}")
