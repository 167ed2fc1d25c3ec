"""Put a grading kernel in a box before ipykernel starts: no network, no secrets, nothing writable.

``enter`` runs in the kernel process itself, while it is still single-threaded and before any
submitted code (``launcher.start``; the zygote's forked children too). It uses Linux namespaces:

- a network namespace with only loopback up: no route to the outside, to the grader's
  TCP ports on 127.0.0.1, or to abstract Unix sockets (the grader talks to the kernel over Unix
  socket files in the sandbox folder instead: jupyter_client's ``ipc`` transport);
- a mount namespace (private propagation: nothing leaks back to the host) where the hidden paths
  (the course's ``solutions/``, ``.git``, ``build/``, ``tests/``, ``benchmarks/``, the grader's temp
  folder with every gradebook and every other sandbox, the submissions and results folders, ``/run``)
  are covered by empty read-only tmpfs; the Python installation, the ``autograder`` package, the
  data folder and the kernel's own sandbox folder are re-exposed if a hidden path covered them;
  ``/dev`` is replaced by a few character devices (null, zero, urandom, GPUs) and a private
  ``/dev/shm``; every mount is then made read-only, nosuid and nodev, except the kernel's working
  folder and its channel folder (the only writable places);
- then the kernel gives up every capability (effective, permitted, inheritable, ambient and the
  bounding set), locks the secure bits, sets no-new-privileges and stops being dumpable. It stays
  uid 0 (Python may live under /root, mode 700), but without CAP_SYS_ADMIN it cannot unmount,
  remount or enter another namespace; without capabilities it cannot ptrace, read the memory or
  ``/proc/PID/root`` of the grader or the zygote (which hold all of them), and, not dumpable, nor
  can other kernels read or write its own.

As root this needs nothing more; as another user it uses a user namespace where the system allows
one. The level is what was achieved: ``full`` (all of the above), ``partial`` (some of it: the
reasons say what is missing) or ``none``.

Not defended: a kernel bug (a namespace escape or privilege escalation); reading what any process
may read anyway (``/proc`` of its own processes, the Python installation, other copies of the course
elsewhere on the machine, the grader's home folder); using CPU, memory and time within the limits;
information sent back through the kernel's own outputs (the grade).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import glob
import os
import socket
import stat
import struct
import sys
import time

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND = 32, 1024, 2048, 4096
MS_REC, MS_PRIVATE, MS_RELATIME, MS_STRICTATIME = 16384, 1 << 18, 1 << 21, 1 << 24
_OPTION_FLAGS = {"ro": MS_RDONLY, "nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
                 "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME, "strictatime": MS_STRICTATIME}
PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_SECUREBITS, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 4, 24, 28, 38, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
SECURE_BITS_LOCKED = 0x3F  # noroot, no-setuid-fixup, keep-caps off: each with its lock bit
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
DEVICES = ("null", "zero", "full", "random", "urandom")

_libc = ctypes.CDLL(None, use_errno=True)  # unshare, mount, prctl, capset: Linux only (enter checks)


class _Failed(Exception):
    pass


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise _Failed(f"{what}: {os.strerror(code)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    source_b, fstype_b, data_b = (s.encode() if s is not None else None for s in (source, fstype, data))
    _check(_libc.mount(source_b, target.encode(), fstype_b, ctypes.c_ulong(flags), data_b), f"mount {target}")


def hidden_paths(repo_root, extra=()) -> list[str]:
    """What a kernel must not see: the course's instructor folders, its git history (a worktree's
    shared .git too), the temp folder (gradebooks, other sandboxes), /run (daemons' sockets), ``extra``."""
    import tempfile

    root = os.path.realpath(repo_root)
    paths = [os.path.join(root, name) for name in ("solutions", ".git", "build", "tests", "benchmarks")]
    git = os.path.join(root, ".git")
    if os.path.isfile(git):  # a worktree: .git names the real repository's folder
        with open(git) as pointer:
            line = pointer.read().strip()
        if line.startswith("gitdir:"):
            gitdir = os.path.realpath(os.path.join(root, line.split(":", 1)[1].strip()))
            common = os.path.join(gitdir, "commondir")
            if os.path.isfile(common):
                with open(common) as shared:
                    gitdir = os.path.realpath(os.path.join(gitdir, shared.read().strip()))
            paths.append(gitdir)
    paths += [os.path.realpath(tempfile.gettempdir()), "/run"]
    return paths + [os.path.realpath(p) for p in extra]


def _needed() -> list[str]:
    """Folders the kernel must keep reading: Python, its packages, the course package and data."""
    import site
    import sysconfig

    package_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # autograder/kernel/isolation.py
    data = os.environ.get("COURSE_DATA_DIR") or os.path.join(package_parent, "data")  # as runtime.data_dir (no numpy here)
    paths = {sys.prefix, sys.base_prefix, package_parent, os.path.expanduser(data)}
    paths.update(sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib"))
    paths.update(site.getsitepackages())
    paths.update(p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)
    paths.update(p for p in sys.path if p and os.path.isabs(p))  # folders added by .pth files (shared dependencies)
    if os.environ.get("COURSE_ROOT"):  # the course folder chosen explicitly: its data
        paths.add(os.path.join(os.environ["COURSE_ROOT"], "data"))
    return sorted({os.path.realpath(p) for p in paths if os.path.isdir(p)})


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _mountinfo() -> list[tuple[int, int, str, set[str]]]:
    """(id, parent id, mount point, options) of every mount in this namespace."""
    entries = []
    with open("/proc/self/mountinfo") as info:
        for line in info:
            fields = line.split()
            point = fields[4].encode().decode("unicode_escape")  # \040 for a space, etc.
            entries.append((int(fields[0]), int(fields[1]), point, set(fields[5].split(","))))
    return entries


def _enter_namespaces() -> str:
    """Unshare mounts and network; as a plain user, inside a user namespace. Returns how."""
    if _libc.unshare(CLONE_NEWNS | CLONE_NEWNET) == 0:
        return "root"
    uid, gid = os.geteuid(), os.getegid()
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET), "unshare")
    for name, text in (("uid_map", f"{uid} {uid} 1"), ("setgroups", "deny"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as mapping:
            mapping.write(text)
    return "user namespace"


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(probe, SIOCGIFFLAGS, request)[:18])[1]
        fcntl.ioctl(probe, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


def _open_path(path: str) -> int:
    return os.open(path, os.O_PATH | os.O_CLOEXEC)


def _bind_fd(fd: int, target: str, is_dir: bool) -> None:
    if is_dir:
        os.makedirs(target, exist_ok=True)
    elif not os.path.exists(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "w").close()
    _mount(f"/proc/self/fd/{fd}", target, None, MS_BIND | MS_REC)


def _same(fd: int, path: str) -> bool:
    try:
        seen, kept = os.stat(path), os.fstat(fd)
    except OSError:
        return False
    return (seen.st_dev, seen.st_ino) == (kept.st_dev, kept.st_ino)


def _arrange_files(hidden: list[str], writable: list[str]) -> None:
    """Cover the hidden paths, keep what is needed visible, replace /dev, make all but ``writable`` read-only."""
    expose = sorted(set(_needed()) - set(writable))
    fds = {path: _open_path(path) for path in [*expose, *writable] if os.path.exists(path)}
    null = _open_path("/dev/null")
    devices = {name: _open_path(f"/dev/{name}") for name in DEVICES if os.path.exists(f"/dev/{name}")}
    devices.update({os.path.basename(p): _open_path(p) for p in glob.glob("/dev/nvidia*")})
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we mount propagates to the host

    # Shallow first: a hidden folder inside an exposed one is covered again after the exposure.
    steps = sorted([(p, "hide") for p in hidden] + [(p, "expose") for p in fds], key=lambda s: (s[0].count("/"), s[1] != "hide"))
    for path, action in steps:
        if action == "hide":
            if os.path.isdir(path):
                _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=16k,mode=755")
            elif os.path.lexists(path):
                _mount(f"/proc/self/fd/{null}", path, None, MS_BIND)
        elif path in writable or not _same(fds[path], path):
            _bind_fd(fds[path], path, True)

    _mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755")
    for name, fd in devices.items():
        _bind_fd(fd, f"/dev/{name}", os.path.isdir(f"/proc/self/fd/{fd}"))
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"/dev/{name}")
    os.mkdir("/dev/shm")
    _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=1777")  # POSIX semaphores; private

    # Read-only everywhere but the working folders: remount the top mount at each mount point,
    # keeping its flags (a user namespace refuses to clear locked ones) and adding nosuid, nodev.
    writable_points = {*writable, "/dev/shm"}
    device_points = {f"/dev/{name}" for name in devices}
    entries = _mountinfo()
    parents = {(parent, point) for _, parent, point, _ in entries}
    for mount_id, _, point, options in entries:
        if point in writable_points or (mount_id, point) in parents:  # writable, or covered by another mount
            continue
        flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | (0 if point in device_points else MS_NODEV)
        flags |= sum(flag for option, flag in _OPTION_FLAGS.items() if option in options)
        try:
            _mount(None, point, None, flags)
        except _Failed as failure:
            if os.path.exists(point):  # a mount under a covered folder is out of reach anyway
                raise failure
    for fd in [*fds.values(), null, *devices.values()]:
        os.close(fd)


def _close_directory_fds() -> None:
    """An inherited descriptor of a folder would reach outside the new mounts (openat)."""
    for name in os.listdir("/proc/self/fd"):
        try:
            if int(name) > 2 and stat.S_ISDIR(os.fstat(int(name)).st_mode):
                os.close(int(name))
        except OSError:
            pass


def _drop_privileges() -> None:
    """Every capability gone for good: no unmount, no remount, no ptrace of the grader."""
    with open("/proc/sys/kernel/cap_last_cap") as last:
        last_cap = int(last.read())
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    if _libc.prctl(PR_SET_SECUREBITS, SECURE_BITS_LOCKED, 0, 0, 0) != 0 and ctypes.get_errno() != errno.EPERM:
        _check(-1, "securebits")
    for cap in range(last_cap + 1):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() != errno.EINVAL:
            _check(-1, "bounding set")
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = struct.pack("Ii", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    _check(_libc.capset(ctypes.c_char_p(header), ctypes.c_char_p(bytes(24))), "capset")
    with open("/proc/self/status") as status:
        held = {k: int(v, 16) for k, v in (line.split(":") for line in status if line.startswith("Cap"))}
    if any(held[k] for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")):
        raise _Failed("capabilities remain")
    _check(_libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "dumpable")


def enter(workdir: str, channel: str, hidden: list[str]) -> dict:
    """Isolate this process (see module docstring); never raises.

    Returns {"level": "full" | "partial" | "none", "missing": [reasons], "setup_ms": float}.
    Must run single-threaded (a user namespace requires it), after the cgroup was joined.
    """
    start = time.perf_counter()
    if not sys.platform.startswith("linux"):
        return {"level": "none", "missing": [f"namespaces are Linux only (this is {sys.platform})"], "setup_ms": 0.0}
    missing = []
    namespaces = False
    try:
        _enter_namespaces()
        namespaces = True
    except (_Failed, OSError) as error:
        missing += [f"no network or mount namespace ({error})"]
    if namespaces:
        try:
            _loopback_up()
        except OSError as error:
            missing.append(f"loopback not up ({error})")  # still no network; local sockets fail
        try:
            _arrange_files([os.path.realpath(p) for p in hidden], [os.path.realpath(workdir), os.path.realpath(channel)])
        except (_Failed, OSError) as error:
            missing.append(f"files not hidden or not read-only ({error})")
        os.chdir(workdir)  # re-resolved through the new mounts
        _close_directory_fds()
    try:
        _drop_privileges()
    except (_Failed, OSError) as error:
        missing.append(f"privileges kept ({error})")
    serious = [reason for reason in missing if not reason.startswith("loopback")]
    level = "full" if not serious else ("partial" if namespaces else "none")
    return {"level": level, "missing": missing, "setup_ms": round((time.perf_counter() - start) * 1000, 1)}


_warned = False


def warn_once(level: str) -> None:
    """Say on stderr, once per grader process, that kernels are not fully isolated here."""
    global _warned
    if level != "full" and not _warned:
        _warned = True
        print(f"autograder: grading kernels run with isolation {level!r}, not 'full': submitted code may reach the "
              "network or read what this user can (needs root or user namespaces; README, Threat model)", file=sys.stderr)
