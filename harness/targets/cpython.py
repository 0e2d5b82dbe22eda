"""The cpython target: runs one case through CPython's own subprocess.

Started by a supervisor, as the core's agent is, as

    python3.N -I -S -B cpython.py CASE_FD OUTCOME_FD

It reads the case (JSON, docs/harness.md) from CASE_FD, runs its API path
with subprocess.run / Popen.communicate / Popen.wait exactly as a program
would, takes the same census as the core's agent (fds before and after,
descendants left), and writes the outcome in the same format to OUTCOME_FD.
The fault preload, when the case has rules, is armed around the API path
only, through the same exported switch the agent uses; with seccomp rules,
the seccomp supervisor's arm word is incremented beside it, as the agent
does (docs/harness.md).

What is not CPython's own choice is set here, once, and said in
docs/targets.md: the posix_spawn shortcut of 3.8+ is turned off, so that
every spawn takes _posixsubprocess's fork_exec path (the one the reference
describes and the core implements), and the case's vfork permission goes to
subprocess._USE_VFORK (3.11+).

Works on CPython 3.10 to 3.13, with nothing but the standard library.
"""

import ctypes
import errno as errno_mod
import hashlib
import json
import mmap
import os
import selectors  # noqa: F401 (imported before arming: subprocess uses it)
import signal  # noqa: F401
import subprocess
import sys
import time

CAPTURE_KEEP = 1 << 20
STDIO = {"inherit": None, "pipe": subprocess.PIPE,
         "devnull": subprocess.DEVNULL, "stdout": subprocess.STDOUT}


def unhex(v):
    return None if v is None else bytes.fromhex(v)


def hexed(b):
    return None if b is None else bytes(b).hex()


def capture(data):
    """A capture as the wire format has it, or None (absent)."""
    if data is None:
        return None
    data = bytes(data)
    return {"data": data[:CAPTURE_KEEP].hex(), "total_len": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}


def text(s):
    return None if s is None else str(s).encode("utf-8", "replace").hex()


class Phase:
    """Where the spawn is, seen through the calls subprocess makes: the
    errpipe's read end (handed to fork_exec) and every byte read from it,
    so that the record CPython decoded is in the outcome, as the core's
    raw record is."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.forking = False   # fork_exec was called
        self.forked = False    # fork_exec returned: a child exists
        self.errpipe = -1
        self.raw = None
        self.popen = None
        self.started = False   # Popen() returned: the spawn succeeded


phase = Phase()
_real_read = os.read
_real_fork_exec = subprocess._fork_exec if hasattr(
    subprocess, "_fork_exec") else None


def traced_read(fd, n):
    data = _real_read(fd, n)
    if fd == phase.errpipe:
        phase.raw = (phase.raw or b"") + data
    return data


def traced_fork_exec(*args, **kwargs):
    # errpipe_read is the 13th argument in 3.10 to 3.13.
    phase.errpipe = args[12]
    phase.forking = True
    pid = (_real_fork_exec or _posixsubprocess_fork_exec)(*args, **kwargs)
    phase.forked = True
    if FORGE is not None:
        # The core's libfiu point spf/errpipe/forge, done the same way: the
        # data goes into the errpipe as if the child had written it, before
        # the parent closes its write end and reads.
        os.write(args[13], FORGE)
    return pid


class RecordingPopen(subprocess.Popen):
    """run() makes its Popen inside: keep it, for the returncode after a
    timeout or an error."""

    def __init__(self, *args, **kwargs):
        phase.popen = self
        super().__init__(*args, **kwargs)
        phase.started = True


def install_tracing():
    global _posixsubprocess_fork_exec
    os.read = traced_read
    subprocess._USE_POSIX_SPAWN = False
    subprocess.Popen = RecordingPopen
    if hasattr(subprocess, "_fork_exec"):       # 3.11+
        subprocess._fork_exec = traced_fork_exec
    else:                                       # 3.10
        import _posixsubprocess
        _posixsubprocess_fork_exec = _posixsubprocess.fork_exec

        class Shim:
            fork_exec = staticmethod(traced_fork_exec)
        subprocess._posixsubprocess = Shim


def popen_kwargs(c):
    sp = c["spawn"]
    kw = {}
    if sp["executable"] is not None:
        kw["executable"] = unhex(sp["executable"])
    if sp["env"] is not None:
        kw["env"] = {unhex(k): unhex(v) for k, v in sp["env"]}
    if sp["cwd"] is not None:
        kw["cwd"] = unhex(sp["cwd"])
    for i, name in enumerate(("stdin", "stdout", "stderr")):
        s = sp["stdio"][i]
        kw[name] = s["fd"] if s["kind"] == "fd" else STDIO[s["kind"]]
    kw["close_fds"] = sp["close_fds"]
    kw["pass_fds"] = tuple(sp["pass_fds"])
    kw["start_new_session"] = sp["start_new_session"]
    if sp["process_group"] != -1:
        kw["process_group"] = sp["process_group"]  # TypeError on 3.10
    kw["umask"] = sp["umask"]
    kw["restore_signals"] = sp["restore_signals"]
    for key in ("user", "group"):
        if sp.get(key, -1) != -1:
            kw[key] = sp[key]
    if sp.get("extra_groups") is not None:  # null: no setgroups at all
        kw["extra_groups"] = sp["extra_groups"]
    if hasattr(subprocess, "_USE_VFORK"):
        subprocess._USE_VFORK = sp["allow_vfork"]
    return [unhex(a) for a in sp["argv"]], kw


def record_stage(raw):
    """The stage of an OSError CPython decoded from the errpipe (any
    subclass named in the record), by the reference's table (1.5)."""
    _, _, rest = raw.partition(b":")
    _, _, text_ = rest.partition(b":")
    if text_ == b"noexec:chdir":
        return "chdir"
    return "preexec" if text_.startswith(b"noexec") else "exec"


def spawn_failed(out, e):
    """Popen() raised: the spawn failed.  Which part failed is read from
    where the exception came from, as a program could: before fork_exec
    (pipes: setup), inside it without a child (fork), or from the record."""
    out["result"] = "spawn_error"
    raw = phase.raw
    if isinstance(e, (ValueError, TypeError)) and not phase.forked:
        stage, err = "invalid", errno_mod.EINVAL
    elif isinstance(e, subprocess.SubprocessError) and raw is not None and \
            str(e).startswith("Bad exception data"):
        stage, err = "bad_data", 0
    elif raw and isinstance(e, OSError):
        stage, err = record_stage(raw), e.errno or 0
    elif raw:
        stage, err = "child", 0
    elif isinstance(e, OSError):
        stage = "fork" if phase.forking or phase.forked else "setup"
        err = e.errno or 0
    else:
        stage, err = "child", 0
    out["stage"] = stage
    out["errno"] = err
    if raw:
        out["raw"] = raw.hex()
        out["err_name"] = raw.partition(b":")[0].hex()
    if isinstance(e, OSError):
        if e.filename is not None:
            out["filename"] = os.fsencode(e.filename).hex()
        out["message"] = text(e.strerror)
    else:
        out["message"] = text(e)


def api_failed(out, call, e):
    """The API call raised OSError after the spawn."""
    out["result"] = "error"
    out["errno"] = e.errno or 0
    out["message"] = text("%s: %s" % (call, e.strerror))


def returncode_of(out, p):
    if p is not None and p.returncode is not None:
        out["returncode"] = p.returncode


def kill_and_collect(out, p):
    p.kill()
    p.wait()
    returncode_of(out, p)


def path_run(c, argv, kw, out):
    spawned = False
    try:
        kw = dict(kw)
        if c["input"] is not None:
            # The core's run() takes input with stdin a pipe or inherited;
            # CPython's makes stdin the pipe itself and refuses one given.
            kw["input"] = unhex(c["input"])
            if kw["stdin"] == subprocess.PIPE:
                del kw["stdin"]
        res = subprocess.run(argv, timeout=timeout_of(c["timeout_ns"]),
                             check=c["check"], **kw)
    except subprocess.TimeoutExpired as e:
        out["result"] = "timeout"
        out["partial_out"] = capture(e.stdout)
        out["partial_err"] = capture(e.stderr)
        returncode_of(out, phase.popen)
        return
    except subprocess.CalledProcessError as e:
        out["result"] = "called_process_error"
        out["returncode"] = e.returncode
        piped(c, out, e.stdout, e.stderr)
        return
    except OSError as e:
        if not phase.started:
            spawn_failed(out, e)
            return
        # run() killed the child and waited for it on the way out.
        api_failed(out, "communicate", e)
        returncode_of(out, phase.popen)
        return
    except (ValueError, TypeError, subprocess.SubprocessError) as e:
        spawn_failed(out, e)
        return
    out["result"] = "exited"
    out["returncode"] = res.returncode
    piped(c, out, res.stdout, res.stderr)


def piped(c, out, stdout, stderr):
    """Output as the core reports it: captured streams are present (empty
    when nothing came), the others absent."""
    stdio = c["spawn"]["stdio"]
    if stdio[1]["kind"] == "pipe":
        out["out"] = capture(stdout if stdout is not None else b"")
    if stdio[2]["kind"] == "pipe":
        out["err_out"] = capture(stderr if stderr is not None else b"")


def path_communicate(c, p, kw, out):
    out["result"] = "exited"
    try:
        try:
            stdout, stderr = p.communicate(unhex(c["input"]),
                                           timeout_of(c["timeout_ns"]))
        except subprocess.TimeoutExpired as e:
            out["result"] = "timeout"
            out["partial_out"] = capture(e.stdout)
            out["partial_err"] = capture(e.stderr)
            if not c["resume"]:
                kill_and_collect(out, p)
                return
            stdout, stderr = p.communicate(
                timeout=timeout_of(c["resume_timeout_ns"]))
    except subprocess.TimeoutExpired:
        kill_and_collect(out, p)
        return
    except OSError as e:
        api_failed(out, "communicate", e)
        kill_and_collect(out, p)
        return
    piped(c, out, stdout, stderr)
    p.wait()
    returncode_of(out, p)


def path_wait(c, p, out):
    try:
        out["returncode"] = p.wait(timeout_of(c["timeout_ns"]))
        out["result"] = "exited"
        return
    except subprocess.TimeoutExpired:
        out["result"] = "timeout"
    except OSError as e:
        api_failed(out, "wait", e)
    # As call(): a timeout kills the child, then collects it.
    kill_and_collect(out, p)


def timeout_of(ns):
    return None if ns is None else ns / 1e9


def run_path(c, out):
    argv, kw = popen_kwargs(c)
    phase.reset()
    if c["api"] == "run":
        return path_run(c, argv, kw, out)
    try:
        p = subprocess.Popen(argv, **kw)
    except (OSError, ValueError, TypeError, subprocess.SubprocessError) as e:
        spawn_failed(out, e)
        return
    with_pipes_closed(p, lambda: path_communicate(c, p, kw, out)
                      if c["api"] == "communicate" else path_wait(c, p, out))


def with_pipes_closed(p, fn):
    """As the core's spf_proc_free: the parent's pipe ends are closed when
    the path is done with the process."""
    try:
        fn()
    finally:
        for f in (p.stdin, p.stdout, p.stderr):
            if f is not None:
                try:
                    f.close()
                except OSError:
                    pass


SWITCH = None
FORGE = None  # bytes forged into the errpipe, or None
SECCOMP_ARM = None  # the seccomp supervisor's arm word (a c_uint32), or None


def map_seccomp_arm():
    """The word SPF_SECCOMP_ARM names ("FD:OFFSET" in the fault log), taken
    out of the environment the case inherits."""
    global SECCOMP_ARM
    v = os.environ.pop("SPF_SECCOMP_ARM", None)
    if v is None:
        return
    fd, off = (int(x) for x in v.split(":"))
    m = mmap.mmap(fd, mmap.PAGESIZE, mmap.MAP_SHARED,
                  mmap.PROT_READ | mmap.PROT_WRITE, offset=off)
    # One aligned 32-bit store per change, as the supervisor reads it.
    SECCOMP_ARM = ctypes.c_uint32.from_buffer(m)


def bump_seccomp_arm():
    if SECCOMP_ARM is not None:
        SECCOMP_ARM.value += 1


def switch(name):
    global SWITCH
    if SWITCH is None:
        SWITCH = ctypes.CDLL(None)
    try:
        fn = getattr(SWITCH, name)
    except AttributeError:
        return
    fn.restype = None
    fn()


def run_once(c, out):
    switch("spf_fault_arm")
    bump_seccomp_arm()
    t0 = time.monotonic_ns()
    try:
        run_path(c, out)
    finally:
        out["elapsed_ns"] = time.monotonic_ns() - t0
        bump_seccomp_arm()
        switch("spf_fault_disarm")


def open_fds():
    fds = {}
    d = "/proc/self/fd"
    for name in os.listdir(d):
        try:
            fds[int(name)] = os.readlink(os.path.join(d, name))
        except OSError:
            pass  # the listing's own fd, closed by now
    return fds


def descendants():
    """Every process below us (as the agent's census sees them)."""
    kids = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index(b"(") + 1:stat.rindex(b")")]
        fields = stat[stat.rindex(b")") + 2:].split()
        kids.setdefault(int(fields[1]), []).append(
            (int(name), comm.decode("utf-8", "replace"), fields[0].decode()))
    found, todo = [], [os.getpid()]
    while todo:
        for pid, comm, state in kids.get(todo.pop(), []):
            found.append((pid, comm, state))
            todo.append(pid)
    return found


COMPARED = ("result", "stage", "errno", "returncode", "filename", "raw",
            "message", "out", "err_out", "partial_out", "partial_err")


def written(fd):
    try:
        st = os.fstat(fd)
    except OSError:
        return -1
    import stat as stat_mod
    return st.st_size if stat_mod.S_ISREG(st.st_mode) else -1


def run_all(c, out):
    run_once(c, out)
    out["iterations"] = 1
    first = [written(1), written(2)]
    start = list(first)
    for i in range(1, c["repeat"]):
        nxt = blank()
        run_once(c, nxt)
        out["iterations"] += 1
        what = next((k for k in COMPARED if out.get(k) != nxt.get(k)), None)
        end = [written(1), written(2)]
        for k, fd in enumerate((1, 2)):
            if what or first[k] < 0 or end[k] < 0:
                continue
            if end[k] - start[k] != first[k] or \
                    os.pread(fd, first[k], 0) != os.pread(fd, first[k],
                                                          start[k]):
                what = ("inherited_stdout", "inherited_stderr")[k]
        if what:
            out["harness_error"] = (
                "iteration %d differed from the first (%s): %s %s errno %d"
                % (i + 1, what, nxt["result"], nxt["stage"], nxt["errno"]))
            break
        start = end
    for k, fd in enumerate((1, 2)):
        if c["repeat"] > 1 and first[k] >= 0:
            os.ftruncate(fd, first[k])


def blank():
    return {"result": "harness_error", "stage": "none", "errno": 0,
            "filename": None, "err_name": None, "raw": None, "message": None,
            "returncode": None, "partial_out": None, "partial_err": None,
            "out": None, "err_out": None, "inherited_out": None,
            "inherited_err": None, "elapsed_ns": 0, "iterations": 0,
            "leaked_fds": [], "zombies": [], "strays": [],
            "watchdog_signal": 0, "interrupted": False, "fired": [],
            "harness_error": None, "not_applicable": None}


def inexpressible(c):
    """Why this CPython cannot express the case, or None.  Such a case is
    not applicable here (docs/targets.md): it is not run at all, rather
    than run as something else."""
    if c["spawn"]["process_group"] != -1 and sys.version_info < (3, 11):
        return ("CPython %d.%d has no process_group (3.11+)"
                % sys.version_info[:2])
    if any(p["name"] != "spf/errpipe/forge" for p in c["fiu"]):
        return ("the cpython target has only the spf/errpipe/forge point "
                "of the core's libfiu points")
    return None


def main():
    case_fd, out_fd = int(sys.argv[1]), int(sys.argv[2])
    os.set_inheritable(out_fd, False)
    with os.fdopen(case_fd, "rb") as f:
        c = json.loads(f.read())
    out = blank()
    install_tracing()
    why = inexpressible(c)
    try:
        map_seccomp_arm()
    except (OSError, ValueError) as e:
        out["result"] = "harness_error"
        out["harness_error"] = ("cpython adapter: cannot map the seccomp arm "
                                "word: %s" % e)
        why = None
        c = None
    if c is None:
        pass
    elif why:
        out["result"] = "not_applicable"
        out["not_applicable"] = why
    else:
        for p in c["fiu"]:
            global FORGE
            FORGE = unhex(p["data"]) or b""
        before = open_fds()
        try:
            run_all(c, out)
        except Exception as e:  # the adapter's own failure, not CPython's
            out["result"] = "harness_error"
            out["harness_error"] = "cpython adapter: %s: %s" % (
                type(e).__name__, e)
        after = open_fds()
        out["leaked_fds"] = ["fd %d -> %s" % (fd, after[fd])
                             for fd in sorted(after) if fd not in before]
        out["zombies"] = [
            "pid %d (%s) state %s%s" % (pid, comm, state,
                                        " (not reaped)" if state == "Z"
                                        else " (still running, not waited "
                                        "for)")
            for pid, comm, state in descendants()]
    data = json.dumps(out).encode()
    while data:
        data = data[os.write(out_fd, data):]


if __name__ == "__main__":
    main()
