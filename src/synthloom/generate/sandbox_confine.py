"""Kernel confinement of a Python validator's process, applied by sandbox_runner.py to itself
after the user's code is compiled and before it runs (so module-level code is confined too).

Layers, each enough on its own for what it guards:
- rlimits: CPU seconds, address space, no new processes, no file growth, few open files;
- parent death: PR_SET_PDEATHSIG=SIGKILL, then a check that the parent is still the one that
  started us (it may have died before the prctl);
- Landlock (when the kernel has it): reads only below Python's own folders and the shared
  libraries; no write, create, delete, rename, truncate or link anywhere; no signal to a process
  outside this one, no TCP;
- seccomp (libseccomp through pyseccomp; required): a deny list answering EPERM, see DENIED.

This file runs inside the child; it imports nothing from synthloom."""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import signal
import sys

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38

# Denied outright (EPERM). Network, new programs and processes, every call that changes the file
# tree, other processes' memory, the kernel's own state, and escapes from seccomp itself
# (io_uring runs file operations the filter never sees).
DENIED = (
    "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4", "sendto", "sendmsg",
    "sendmmsg", "execve", "execveat", "fork", "vfork", "clone",
    "unlink", "unlinkat", "rename", "renameat", "renameat2", "truncate", "ftruncate", "creat",
    "symlink", "symlinkat", "link", "linkat", "chmod", "fchmod", "fchmodat", "fchmodat2", "chown",
    "fchown", "lchown", "fchownat", "mkdir", "mkdirat", "rmdir", "mknod", "mknodat", "utime",
    "utimes", "utimensat", "futimesat", "setxattr", "lsetxattr", "fsetxattr", "removexattr",
    "lremovexattr", "fremovexattr", "mount", "umount2", "pivot_root", "chroot", "open_by_handle_at",
    "name_to_handle_at", "fsopen", "fsmount", "move_mount", "open_tree", "fsconfig", "fspick",
    "pidfd_open", "pidfd_send_signal", "pidfd_getfd", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
    "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "kcmp",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "bpf", "perf_event_open",
    "userfaultfd", "unshare", "setns", "keyctl", "add_key", "request_key", "prctl", "setrlimit",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
    "swapon", "swapoff", "acct", "quotactl", "sethostname", "setdomainname", "syslog",
    "fanotify_init", "memfd_secret", "setuid", "setgid", "setreuid", "setregid", "setresuid",
    "setresgid", "setgroups", "setfsuid", "setfsgid", "capset", "personality",
    "shmget", "shmat", "shmctl", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop",
    "semctl", "semtimedop", "mq_open", "mq_unlink", "mq_timedsend", "settimeofday",
    "clock_settime", "clock_adjtime", "adjtimex", "sched_setscheduler", "sched_setparam",
    "sched_setattr", "setpriority", "ioprio_set", "iopl", "ioperm", "vhangup", "uselib",
)
# open flags that write, create or truncate
WRITE_FLAGS = (os.O_WRONLY, os.O_RDWR, os.O_CREAT, os.O_TRUNC, os.O_APPEND)
TIOCSTI, TIOCLINUX = 0x5412, 0x541C  # ioctls that type into a terminal

# Landlock (linux/landlock.h)
_LL_CREATE, _LL_ADD, _LL_RESTRICT = 444, 445, 446
_LL_FS_READ = (1 << 2) | (1 << 3)  # READ_FILE | READ_DIR
_LL_FS_ALL = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1}


def set_limits(*, memory_mb: int, cpu_s: int) -> None:
    memory = memory_mb * 1024 * 1024
    for limit, value in (
        (resource.RLIMIT_AS, memory), (resource.RLIMIT_CPU, cpu_s), (resource.RLIMIT_NPROC, 0),
        (resource.RLIMIT_FSIZE, 0), (resource.RLIMIT_NOFILE, 64), (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(limit, (value, value))


def die_with_parent(parent_pid: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent_pid:  # the parent died before the prctl took effect
        os._exit(1)


def _readable_roots() -> list[str]:
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    roots.update(p for p in sys.path if p)
    roots.update(("/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/local/lib", "/etc/ld.so.cache",
                  "/dev/null", "/dev/urandom", "/sys/devices/system/cpu", "/usr/share/zoneinfo"))
    return sorted(r for r in roots if os.path.exists(r))


def landlock() -> int:
    """Confine file access with Landlock; returns its ABI version, 0 when the kernel lacks it."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    abi = libc.syscall(_LL_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    if abi < 1:
        return 0
    handled_fs = _LL_FS_ALL.get(abi, (1 << 16) - 1)
    fields = [handled_fs]
    if abi >= 4:
        fields.append(0b11)  # BIND_TCP | CONNECT_TCP: no rule grants them
    if abi >= 6:
        fields.append(0b11)  # scope: abstract unix sockets and signals stay inside this process
    attr = (ctypes.c_uint64 * len(fields))(*fields)
    ruleset = libc.syscall(_LL_CREATE, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")

    class PathBeneath(ctypes.Structure):
        _pack_ = 1
        _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]

    try:
        for root in _readable_roots():
            fd = os.open(root, os.O_PATH | os.O_CLOEXEC)
            try:
                access = _LL_FS_READ if os.path.isdir(root) else (1 << 2)
                rule = PathBeneath(access, fd)
                if libc.syscall(_LL_ADD, ruleset, 1, ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
                    raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {root}")
            finally:
                os.close(fd)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        if libc.syscall(_LL_RESTRICT, ruleset, ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)
    return abi


def seccomp() -> None:
    """Load the seccomp filter; raises when the kernel or libseccomp cannot."""
    import pyseccomp as sc

    deny = sc.ERRNO(errno.EPERM)
    f = sc.SyscallFilter(sc.ALLOW)
    for name in DENIED:
        try:
            f.add_rule(deny, name)
        except (ValueError, OSError, RuntimeError):  # a call this libseccomp does not know
            continue
    # clone3 takes its flags in memory the filter cannot read: ENOSYS makes libc fall back to clone
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    f.add_rule(sc.ERRNO(errno.ENOSYS), "openat2")
    for flag in WRITE_FLAGS:
        f.add_rule(deny, "open", sc.Arg(1, sc.MASKED_EQ, flag, flag))
        f.add_rule(deny, "openat", sc.Arg(2, sc.MASKED_EQ, flag, flag))
    me = os.getpid()
    f.add_rule(deny, "kill", sc.Arg(0, sc.NE, me))
    f.add_rule(deny, "tkill", sc.Arg(0, sc.NE, me))
    f.add_rule(deny, "tgkill", sc.Arg(0, sc.NE, me))
    f.add_rule(deny, "prlimit64", sc.Arg(2, sc.NE, 0))
    for request in (TIOCSTI, TIOCLINUX):
        f.add_rule(deny, "ioctl", sc.Arg(1, sc.MASKED_EQ, 0xFFFFFFFF, request))
    f.load()


def confine(*, parent_pid: int, memory_mb: int, cpu_s: int) -> str:
    """Apply every layer; returns a short description. Raises OSError/ImportError when seccomp
    cannot be loaded (the caller then refuses to run the code unless unconfined runs are allowed)."""
    import pyseccomp  # noqa: F401  (loads libseccomp while files and memory are unrestricted)

    die_with_parent(parent_pid)
    set_limits(memory_mb=memory_mb, cpu_s=cpu_s)
    abi = landlock()
    seccomp()
    return f"seccomp, landlock abi {abi}" if abi else "seccomp (no landlock)"
