"""Safe saving: every file the tools write goes through "write a temporary file, then rename".

A crash, a full disk or an interrupted process in the middle of a write leaves the old file
exactly as it was: the new bytes go to a temporary file in the same folder, are flushed to disk,
and only then replace the target with :func:`os.replace` (atomic on POSIX and Windows when both
are on the same file system, which a temporary file in the same folder guarantees).

    write_text(path, text)          write_bytes(path, data)
    write_notebook(path, nb)        write_json(path, obj)
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

__all__ = ["write_bytes", "write_text", "write_json", "write_notebook"]


def write_bytes(path, data):
    """Write ``data`` to ``path`` atomically; returns ``path`` as a :class:`~pathlib.Path`.

    The parent folder must exist. The file keeps the permissions a new file would get (the
    process's umask), or those of the file it replaces.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder {str(folder)!r} to write {path.name!r} into")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def write_text(path, text, encoding="utf-8"):
    """Write ``text`` to ``path`` atomically (UTF-8 by default)."""
    return write_bytes(path, text.encode(encoding))


def write_json(path, obj, **dump_kwargs):
    """Write ``obj`` as JSON (indent 2, keys in order given, a final newline) atomically."""
    dump_kwargs.setdefault("indent", 2)
    return write_text(path, json.dumps(obj, **dump_kwargs) + "\n")


def write_notebook(path, nb):
    """Write a notebook (``nbformat.NotebookNode``) atomically, formatted as nbformat does."""
    import nbformat

    text = nbformat.writes(nb)
    return write_text(path, text if text.endswith("\n") else text + "\n")  # as nbformat.write
