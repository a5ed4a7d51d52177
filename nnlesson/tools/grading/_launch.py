"""Start a student's kernel with its limits: ``python -I -S _launch.py SPEC_JSON KERNEL_CMD...``.

The grader runs this file by its path (never as ``nnlesson.tools...``: importing the package
would load numpy for nothing) in front of the kernel's command. It uses the standard library
only, sets the limits on its own process, then replaces itself with the kernel (``os.execv``),
which keeps them:

* ``RLIMIT_AS`` (``memory`` bytes of address space): an allocation beyond it fails with
  ``MemoryError`` instead of taking the machine's memory;
* ``RLIMIT_CPU`` (``cpu`` seconds), a backstop behind the grader's own time limit, for a kernel
  that ignores interrupts;
* ``RLIMIT_FSIZE`` (``file_size`` bytes): no single file larger than that; ``RLIMIT_CORE`` 0;
* ``RLIMIT_NPROC`` (Linux): the user's processes and threads now, plus ``processes``, so a fork
  bomb stops there instead of filling the process table (the limit counts every process of
  the user, so it is set from the count at the kernel's start; Linux does not apply it to
  root);
* with ``landlock``: a Landlock ruleset (Linux 5.13 and later, no privileges needed). The kernel
  and every process it starts may then read only the ``read`` folders (the Python installation,
  the system's libraries), list the ``list`` folders (the folder holding the ``nnlesson``
  package, so that the import system can find it there), write only beneath the ``write``
  folders (its private working folder), use no TCP at all (Landlock ABI 4 and later; the
  kernel talks to the grader through Unix sockets in its folder), and send no signal to a
  process outside its sandbox (ABI 6).

A failure to set a limit that was asked for stops the launch (exit code 70, one line on
stderr): a kernel never runs with less isolation than the grader reported. (Only on macOS,
which does not enforce ``RLIMIT_AS``, a refused memory limit is skipped.) The grader uses this
launcher on POSIX systems; on Windows the kernel starts without it.
"""
import ctypes
import json
import os
import resource
import sys

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446  # the same numbers on every arch
_VERSION = 1
_PATH_BENEATH = 1
_NO_NEW_PRIVS = 38

# file-system rights, by the ABI that introduced them
_EXECUTE, _WRITE_FILE, _READ_FILE, _READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_WRITE_DIR = sum(1 << bit for bit in range(4, 13))  # remove, make dir/file/sock/fifo/sym/...
_REFER, _TRUNCATE = 1 << 13, 1 << 14
_FILE_RIGHTS = _EXECUTE | _WRITE_FILE | _READ_FILE | _TRUNCATE  # rights a rule on a file may hold
_NET_BIND, _NET_CONNECT = 1 << 0, 1 << 1
_SCOPE_ABSTRACT_UNIX, _SCOPE_SIGNAL = 1 << 0, 1 << 1


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _syscall(libc, *args):
    result = libc.syscall(*args)
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))
    return result


def landlock_abi():
    """The Landlock ABI version of the running kernel, 0 when there is none."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        return max(0, _syscall(libc, _CREATE_RULESET, None, ctypes.c_size_t(0),
                               ctypes.c_uint32(_VERSION)))
    except (OSError, AttributeError):
        return 0


def restrict(read, write, list_only=()):
    """Allow reading (and running) beneath ``read``, everything beneath ``write``, listing the
    folders beneath ``list_only``; nothing else."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    libc.prctl.restype = ctypes.c_int
    abi = landlock_abi()
    if abi < 1:
        raise OSError("Landlock is not available in this Linux kernel")
    handled = _EXECUTE | _WRITE_FILE | _READ_FILE | _READ_DIR | _WRITE_DIR
    handled |= (_REFER if abi >= 2 else 0) | (_TRUNCATE if abi >= 3 else 0)
    fields = [handled]
    if abi >= 4:
        fields.append(_NET_BIND | _NET_CONNECT)  # no rule allows any port: no TCP
    if abi >= 6:
        fields.append(_SCOPE_ABSTRACT_UNIX | _SCOPE_SIGNAL)
    attr = (ctypes.c_uint64 * len(fields))(*fields)
    ruleset = _syscall(libc, _CREATE_RULESET, ctypes.byref(attr),
                       ctypes.c_size_t(ctypes.sizeof(attr)), ctypes.c_uint32(0))
    try:
        rules = [(p, _EXECUTE | _READ_FILE | _READ_DIR) for p in read]
        rules += [(p, _READ_DIR) for p in list_only]
        rules += [(p, handled) for p in write]
        for path, access in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            try:
                if not os.path.isdir(path):
                    access &= _FILE_RIGHTS
                rule = _PathBeneath(access & handled, fd)
                _syscall(libc, _ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(_PATH_BENEATH),
                         ctypes.byref(rule), ctypes.c_uint32(0))
            finally:
                os.close(fd)
        if libc.prctl(_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        _syscall(libc, _RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)
    return abi


def _limit(kind, value):
    if not value:
        return
    try:
        resource.setrlimit(kind, (int(value), int(value)))
    except (OSError, ValueError):
        if sys.platform.startswith("linux"):
            raise
        # macOS does not enforce an address-space limit and may refuse to set one


def _user_tasks():
    """Processes and threads of this user now (Linux's /proc), or None."""
    uid, count = str(os.getuid()), 0
    try:
        names = os.listdir("/proc")
    except OSError:
        return None
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        if fields.get("Uid", "").split()[:1] == [uid]:
            count += int(fields.get("Threads", "1").strip() or 1)
    return count


def main(argv):
    spec, command = json.loads(argv[1]), argv[2:]
    try:
        _limit(resource.RLIMIT_AS, spec.get("memory"))
        _limit(resource.RLIMIT_FSIZE, spec.get("file_size"))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if spec.get("processes") and sys.platform.startswith("linux"):
            tasks = _user_tasks()
            if tasks is not None:
                soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
                wanted = tasks + int(spec["processes"])
                if hard == resource.RLIM_INFINITY or wanted < hard:
                    resource.setrlimit(resource.RLIMIT_NPROC, (wanted, wanted))
        if spec.get("cpu"):
            cpu = int(spec["cpu"])
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        if spec.get("landlock"):
            restrict(spec.get("read", []), spec.get("write", []), spec.get("list", []))
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"nnlesson grade: cannot limit the kernel: {exc}\n")
        return 70
    os.execv(command[0], command)
    return 70  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv))
