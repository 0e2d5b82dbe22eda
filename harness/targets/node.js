'use strict';
/*
 * The node target: runs one case through node's own child_process (libuv).
 *
 * Started by a supervisor, as the core's agent is, as
 *
 *     node node.js CASE_FD OUTCOME_FD
 *
 * It reads the case (JSON, docs/harness.md) from CASE_FD, runs its API path
 * as a node program would (run: child_process.spawnSync; communicate and
 * wait: child_process.spawn with the output collected from 'data' events and
 * a timer for the timeout), takes the same census as the core's agent (fds
 * before and after, descendants left), and writes the outcome in the same
 * format to OUTCOME_FD.  Standard library only; it prints nothing.
 *
 * What node cannot express is not replaced by something else: the case is
 * not run, and its outcome says it is not applicable, naming what node
 * lacks (docs/targets-node.md lists them, with every other way node differs
 * from the core).
 */

const cp = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const os = require('os');

const CAPTURE_KEEP = 1 << 20;
// setTimeout takes at most 2^31-1 ms (a larger delay becomes 1 ms).
const TIMER_MAX_MS = 2147483647;

class Inexpressible extends Error {}

function unhex(v) {
  return v === null || v === undefined ? null : Buffer.from(v, 'hex');
}

function hexed(b) {
  return b === null || b === undefined ? null : Buffer.from(b).toString('hex');
}

function capture(data) {
  if (data === null || data === undefined)
    return null;
  const b = Buffer.isBuffer(data) ? data : Buffer.from(data);
  return {
    data: b.subarray(0, CAPTURE_KEEP).toString('hex'),
    total_len: b.length,
    sha256: crypto.createHash('sha256').update(b).digest('hex'),
  };
}

function text(s) {
  return s === null || s === undefined ? null
                                       : Buffer.from(String(s)).toString('hex');
}

/*
 * node takes programs, arguments, the environment and the cwd as strings,
 * and hands them to the child encoded as UTF-8.  Bytes that are valid
 * UTF-8 reach the child unchanged; any other bytes cannot be expressed (a
 * latin1 reading would be re-encoded as different bytes), so they end the
 * case instead of being changed silently.
 */
const utf8 = new TextDecoder('utf-8', {fatal: true, ignoreBOM: true});

function str(hex, what) {
  const b = unhex(hex);
  try {
    return utf8.decode(b);
  } catch (e) {
    throw new Inexpressible(
        `node passes ${what} as UTF-8 text: its bytes ${hex} are not UTF-8`);
  }
}

/* The case's spawn as node's arguments: [file, args, options]. */
function spawnArgs(c) {
  const sp = c.spawn;
  const argv = sp.argv.map((a, i) => str(a, `argv[${i}]`));
  // node's file is the program it executes (searched in the PATH of the
  // child's environment when it has no slash), and argv0 the child's
  // argv[0]: CPython's executable is node's file.
  const file = sp.executable !== null ? str(sp.executable, 'executable')
                                      : argv[0];
  const opts = {argv0: argv[0], killSignal: 'SIGKILL', maxBuffer: Infinity};
  if (sp.env !== null) {
    // Keys go in the case's order; node gives them to the child in the
    // object's key order (which puts integer-like names first).
    const env = Object.create(null);
    for (const [k, v] of sp.env)
      env[str(k, 'an environment name')] = str(v, 'an environment value');
    opts.env = env;
  }
  if (sp.cwd !== null)
    opts.cwd = str(sp.cwd, 'cwd');
  opts.stdio = stdioOf(sp);
  // pass_fds: node shares an fd with the child at the same number when
  // stdio[N] is N; the fds between are 'ignore' (libuv leaves them alone).
  // 0, 1 and 2 are the child's stdio whatever pass_fds says, as in CPython.
  for (const fd of sp.pass_fds) {
    if (fd < 3)
      continue;
    while (opts.stdio.length < fd)
      opts.stdio.push('ignore');
    opts.stdio[fd] = fd;
  }
  if (sp.start_new_session)
    opts.detached = true; // libuv: setsid() in the child
  // libuv also clears the supplementary groups when either is set.
  if (sp.user !== undefined && sp.user !== -1)
    opts.uid = sp.user;
  if (sp.group !== undefined && sp.group !== -1)
    opts.gid = sp.group;
  return [file, argv.slice(1), opts];
}

const KIND = {inherit: 'inherit', pipe: 'pipe', devnull: 'ignore'};

function stdioOf(sp) {
  const s = sp.stdio.map((x, i) => {
    if (x.kind === 'fd')
      return x.fd;
    if (x.kind === 'stdout')
      return null; // below
    return KIND[x.kind] === 'inherit' ? i : KIND[x.kind];
  });
  if (sp.stdio[2].kind === 'stdout') {
    // node has no "stderr to stdout": the same fd can be given for both,
    // which needs stdout to be an fd before the spawn.  A pipe is created
    // by the spawn itself: not expressible.
    const o = sp.stdio[1];
    if (o.kind === 'pipe')
      throw new Inexpressible(
          'node cannot merge stderr into a stdout pipe (stdio has no ' +
          '"stdout" kind, and the pipe exists only after the spawn)');
    if (o.kind === 'devnull') {
      // One /dev/null for both, as CPython's DEVNULL then STDOUT; closed
      // after the spawn.
      devnullFd = fs.openSync('/dev/null', 'r+');
      s[1] = s[2] = devnullFd;
    } else {
      s[2] = s[1];
    }
  }
  return s;
}

let devnullFd = -1;

function closeDevnull() {
  if (devnullFd >= 0)
    fs.closeSync(devnullFd);
  devnullFd = -1;
}

/*
 * Whether the case has fault rules.  The supervisor then puts SPF_FAULTS
 * in our environment and the preload first in LD_PRELOAD, but the preload
 * takes them out of environ as it loads (unless a rule has exec scope),
 * before node copies environ into process.env: the environment the
 * process was started with is still in /proc/self/environ.  The preload
 * must also be mapped, so that an SPF_FAULTS left in the caller's own
 * environment (with no rules, no preload) does not count.
 */
function faultRules() {
  const env = new Map();
  for (const e of fs.readFileSync('/proc/self/environ', 'latin1').split('\0')) {
    const eq = e.indexOf('=');
    if (eq > 0 && !env.has(e.slice(0, eq)))
      env.set(e.slice(0, eq), e.slice(eq + 1));
  }
  if (!env.has('SPF_FAULTS'))
    return false;
  const preload = (env.get('LD_PRELOAD') || '').split(/[ :]/)[0];
  if (!preload)
    return false;
  const maps = fs.readFileSync('/proc/self/maps', 'latin1');
  let real = preload;
  try {
    real = fs.realpathSync(preload);
  } catch (e) {
    // as given
  }
  return maps.includes(` ${real}\n`) || maps.includes(` ${preload}\n`);
}

/* Options node has no way to give: a non-default value makes the case not
 * applicable, for the reason returned. */
function inexpressible(c) {
  const sp = c.spawn;
  if (faultRules())
    return 'fault rules are not applicable on the node target yet (node ' +
           'cannot arm the preload, nor the seccomp supervisor)';
  if (c.fiu.length)
    return 'libfiu points are not applicable on the node target (they are ' +
           "the core's own failure points: " +
           c.fiu.map((p) => p.name).join(', ') + ')';
  if (sp.process_group !== -1)
    return 'node has no process_group (child_process has no setpgid)';
  if (sp.umask !== -1)
    return 'node has no umask (child_process cannot set it in the child)';
  if (!sp.restore_signals)
    return 'node has no restore_signals=false (libuv resets every ' +
           'signal disposition and the signal mask in the child)';
  if (sp.extra_groups !== undefined && sp.extra_groups !== null)
    return 'node has no extra_groups (libuv only clears the ' +
           'supplementary groups, with uid or gid)';
  if (c.api === 'run' && c.timeout_ns !== null && c.timeout_ns <= 0)
    return "node's spawnSync has no expired timeout (0 means none, a " +
           'negative one is refused)';
  return null;
}

/*
 * A node process holds fds of its own from its start (libuv's epoll,
 * eventfds, signal and worker pipes: 3 to 17 or so), and the adapter its
 * outcome: a case naming one of them (pass_fds, stdio {fd: N}) expects it
 * closed, as every agent's fds are out of reach (docs/harness.md), but
 * node would give the child its own fd instead.  Node cannot close them,
 * so the case is not expressible.  `held` is the listing of openFds().
 */
function heldFds(c, held) {
  const sp = c.spawn;
  const named = new Set(sp.pass_fds.filter((fd) => fd >= 3));
  for (const x of sp.stdio)
    if (x.kind === 'fd' && x.fd >= 3)
      named.add(x.fd);
  const own = [...named].filter((fd) => held.has(fd)).sort((a, b) => a - b);
  if (!own.length)
    return null;
  const what = (fd) => `${fd} (${held.get(fd).replace(/:\[\d+\]$/, '')})`;
  return `node itself holds fd ${own.map(what).join(', ')}: in a node ` +
         'program that number is never a closed fd';
}

/* A timeout in node's whole milliseconds, never shorter than asked. */
function ms(ns) {
  return ns === null ? null : Math.max(0, Math.ceil(ns / 1e6));
}

function errnoOf(e) {
  if (e && typeof e.code === 'string' && os.constants.errno[e.code])
    return os.constants.errno[e.code];
  return e && typeof e.errno === 'number' ? Math.abs(e.errno) : 0;
}

function returncodeOf(status, signal) {
  if (signal)
    return -os.constants.signals[signal];
  return status;
}

/*
 * The spawn failed.  node raises its own validation errors (ERR_INVALID_*,
 * no errno) before anything is created: stage invalid, as CPython's
 * ValueError.  Every failure of uv_spawn itself comes as one error with
 * the errno and, for some codes, the program as its path: node makes no
 * difference between the parent's pipes or fork, the child's dup2 or
 * chdir, and exec, and neither can the adapter.  Such errors are reported
 * as stage exec with node's path (docs/targets-node.md).
 */
function spawnFailed(out, e) {
  out.result = 'spawn_error';
  if (typeof e.errno === 'number') {
    out.stage = 'exec';
    out.errno = errnoOf(e);
    if (typeof e.path === 'string')
      out.filename = hexed(Buffer.from(e.path));
  } else {
    out.stage = 'invalid';
    out.errno = os.constants.errno.EINVAL;
  }
  out.message = text(e.message);
}

function apiFailed(out, call, e) {
  out.result = 'error';
  out.errno = errnoOf(e);
  out.message = text(`${call}: ${e.message}`);
}

/* Output as the core reports it: captured streams are present (empty
 * when nothing came), the others absent. */
function piped(c, out, stdout, stderr) {
  const stdio = c.spawn.stdio;
  if (stdio[1].kind === 'pipe')
    out.out = capture(stdout || Buffer.alloc(0));
  if (stdio[2].kind === 'pipe')
    out.err_out = capture(stderr || Buffer.alloc(0));
}

function pathRun(c, out) {
  const [file, args, opts] = spawnArgs(c);
  if (c.input !== null)
    opts.input = unhex(c.input);
  if (c.timeout_ns !== null)
    opts.timeout = ms(c.timeout_ns);
  let r;
  try {
    r = cp.spawnSync(file, args, opts);
  } catch (e) {
    spawnFailed(out, e);
    return;
  } finally {
    closeDevnull();
  }
  if (r.error && !r.pid) {
    spawnFailed(out, r.error);
    return;
  }
  const rc = returncodeOf(r.status, r.signal);
  if (rc !== null && rc !== undefined)
    out.returncode = rc;
  if (r.error && r.error.code === 'ETIMEDOUT') {
    // spawnSync gives what it read as Buffers (empty when nothing came):
    // node has no "nothing read at all".
    out.result = 'timeout';
    out.partial_out = capture(r.stdout);
    out.partial_err = capture(r.stderr);
    return;
  }
  if (r.error) {
    // Failed after the spawn, with the child collected: node's own
    // message names the call.  This includes EPIPE when the child did not
    // read all of the input, which CPython's run() ignores.
    out.result = 'error';
    out.errno = errnoOf(r.error);
    out.message = text(r.error.message);
    return;
  }
  out.result = c.check && rc !== 0 ? 'called_process_error' : 'exited';
  piped(c, out, r.stdout, r.stderr);
}

/*
 * communicate and wait: spawn, then events.  The child as node shows it,
 * with promises for its exit and for its 'close' (exit and every stdio
 * stream closed), and the output collected so far.
 */
class Child {
  constructor(c, collect) {
    const [file, args, opts] = spawnArgs(c);
    try {
      this.p = cp.spawn(file, args, opts);
    } finally {
      closeDevnull();
    }
    const p = this.p;
    this.error = null;        // the spawn's 'error'
    this.streamError = null;  // a stdio stream's error (not EPIPE on stdin)
    this.exited = false;
    this.status = null;
    this.signal = null;
    this.exit = new Promise((res) => p.once('exit', (code, sig) => {
      this.exited = true;
      this.status = code;
      this.signal = sig;
      res();
    }));
    this.closed = new Promise((res) => p.once('close', res));
    p.on('error', (e) => {
      if (!this.error)
        this.error = e;
    });
    this.bufs = [[], []];
    this.ended = [false, false];
    [p.stdout, p.stderr].forEach((s, k) => {
      if (!s)
        return;
      s.on('error', (e) => this.noteStreamError(e));
      if (!collect)
        return;
      s.on('data', (d) => this.bufs[k].push(d));
      s.on('end', () => { this.ended[k] = true; });
    });
    if (p.stdin)
      p.stdin.on('error', (e) => {
        // As CPython's communicate: a child that stopped reading is no
        // error of the call.
        if (e.code !== 'EPIPE')
          this.noteStreamError(e);
      });
  }

  noteStreamError(e) {
    if (!this.streamError)
      this.streamError = e;
    if (this.onStreamError)
      this.onStreamError();
  }

  output(k) {
    return Buffer.concat(this.bufs[k]);
  }

  /* What was read before a timeout: absent when nothing at all came (no
   * data, no end of stream). */
  partial(k) {
    return this.bufs[k].length || this.ended[k] ? this.output(k) : null;
  }

  returncode() {
    return this.exited ? returncodeOf(this.status, this.signal) : null;
  }

  /* Kill if it still runs (SIGKILL), and wait for its exit. */
  async kill() {
    if (!this.exited)
      this.p.kill('SIGKILL');
    await this.exit;
  }

  /* As the core's spf_proc_free: the parent's stream ends are closed when
   * the path is done with the process; then node reports 'close'. */
  async release() {
    for (const s of [this.p.stdin, this.p.stdout, this.p.stderr])
      if (s)
        s.destroy();
    await this.closed;
  }
}

/* Wait for promise, at most ns (null: no limit).  Resolves true when it
 * settled in time, false at the deadline; also ends early, with true, when
 * a stream fails (child.onStreamError). */
function within(child, promise, ns) {
  return new Promise((res) => {
    let timer = null, settled = false;
    const done = (v) => {
      if (settled)
        return;
      settled = true;
      if (timer)
        clearTimeout(timer);
      child.onStreamError = null;
      res(v);
    };
    child.onStreamError = () => done(true);
    promise.then(() => done(true));
    if (ns === null)
      return;
    const deadline = process.hrtime.bigint() + BigInt(Math.max(0, ns));
    const arm = () => {
      if (settled)
        return;
      const left = Number(deadline - process.hrtime.bigint()) / 1e6;
      if (left <= 0 && timer !== null)
        return done(false);
      timer = setTimeout(arm, Math.min(TIMER_MAX_MS, Math.max(1,
                                                              Math.ceil(left))));
    };
    arm();
  });
}

async function pathCommunicate(c, child, out) {
  const p = child.p;
  out.result = 'exited';
  if (p.stdin)
    p.stdin.end(c.input !== null ? unhex(c.input) : undefined);
  let done = await within(child, child.closed, c.timeout_ns);
  if (!done && !child.streamError) {
    out.result = 'timeout';
    out.partial_out = capture(child.partial(0));
    out.partial_err = capture(child.partial(1));
    if (!c.resume) {
      await child.kill();
      out.returncode = child.returncode();
      return;
    }
    done = await within(child, child.closed, c.resume_timeout_ns);
  }
  if (child.streamError) {
    apiFailed(out, 'communicate', child.streamError);
    await child.kill();
    out.returncode = child.returncode();
    return;
  }
  if (!done) {
    await child.kill();
    out.returncode = child.returncode();
    return;
  }
  piped(c, out, child.output(0), child.output(1));
  out.returncode = child.returncode();
}

async function pathWait(c, child, out) {
  if (await within(child, child.exit, c.timeout_ns) && !child.streamError) {
    out.result = 'exited';
    out.returncode = child.returncode();
    return;
  }
  if (child.streamError)
    apiFailed(out, 'wait', child.streamError);
  else
    out.result = 'timeout';
  // As call(): a timeout kills the child, then collects it.
  await child.kill();
  out.returncode = child.returncode();
}

async function runPath(c, out) {
  if (c.api === 'run')
    return pathRun(c, out);
  let child;
  try {
    child = new Child(c, c.api === 'communicate');
  } catch (e) {
    if (e instanceof Inexpressible)
      throw e;
    spawnFailed(out, e);
    return;
  }
  if (child.p.pid === undefined) {
    // uv_spawn failed: node emits 'error' (then 'close') on the next tick.
    await child.release();
    spawnFailed(out, child.error);
    return;
  }
  try {
    if (c.api === 'communicate')
      await pathCommunicate(c, child, out);
    else
      await pathWait(c, child, out);
  } finally {
    await child.release();
  }
}

async function runOnce(c, out) {
  const t0 = process.hrtime.bigint();
  try {
    await runPath(c, out);
  } finally {
    out.elapsed_ns = Number(process.hrtime.bigint() - t0);
  }
}

function openFds() {
  const fds = new Map();
  for (const name of fs.readdirSync('/proc/self/fd')) {
    try {
      fds.set(Number(name), fs.readlinkSync(`/proc/self/fd/${name}`));
    } catch (e) {
      // the listing's own fd, closed by now
    }
  }
  return fds;
}

/* Every process below us, as the agent's census sees them. */
function descendants() {
  const kids = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name))
      continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch (e) {
      continue;
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    if (!kids.has(ppid))
      kids.set(ppid, []);
    kids.get(ppid).push([Number(name), comm, fields[0]]);
  }
  const found = [], todo = [process.pid];
  while (todo.length)
    for (const k of kids.get(todo.pop()) || []) {
      found.push(k);
      todo.push(k[0]);
    }
  return found;
}

const COMPARED = ['result', 'stage', 'errno', 'returncode', 'filename', 'raw',
                  'message', 'out', 'err_out', 'partial_out', 'partial_err'];

/* Size of a regular file on fd (the supervisor's memfds), else -1. */
function written(fd) {
  try {
    const st = fs.fstatSync(fd);
    return st.isFile() ? st.size : -1;
  } catch (e) {
    return -1;
  }
}

function pread(fd, len, pos) {
  const b = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = fs.readSync(fd, b, got, len - got, pos + got);
    if (n <= 0)
      break;
    got += n;
  }
  return b.subarray(0, got);
}

async function runAll(c, out) {
  await runOnce(c, out);
  out.iterations = 1;
  const first = [written(1), written(2)];
  let start = first.slice();
  for (let i = 1; i < c.repeat; i++) {
    const nxt = blank();
    await runOnce(c, nxt);
    out.iterations++;
    let what = COMPARED.find(
        (k) => JSON.stringify(out[k]) !== JSON.stringify(nxt[k]));
    const end = [written(1), written(2)];
    [1, 2].forEach((fd, k) => {
      if (what || first[k] < 0 || end[k] < 0)
        return;
      if (end[k] - start[k] !== first[k] ||
          !pread(fd, first[k], 0).equals(pread(fd, first[k], start[k])))
        what = ['inherited_stdout', 'inherited_stderr'][k];
    });
    if (what) {
      out.harness_error = `iteration ${i + 1} differed from the first ` +
                          `(${what}): ${nxt.result} ${nxt.stage} errno ` +
                          `${nxt.errno}`;
      break;
    }
    start = end;
  }
  [1, 2].forEach((fd, k) => {
    if (c.repeat > 1 && first[k] >= 0)
      fs.ftruncateSync(fd, first[k]);
  });
}

function blank() {
  return {result: 'harness_error', stage: 'none', errno: 0, filename: null,
          err_name: null, raw: null, message: null, returncode: null,
          partial_out: null, partial_err: null, out: null, err_out: null,
          inherited_out: null, inherited_err: null, elapsed_ns: 0,
          iterations: 0, leaked_fds: [], zombies: [], strays: [],
          watchdog_signal: 0, interrupted: false, fired: [],
          harness_error: null, not_applicable: null};
}

/* The case asks for what node cannot express: it is not run at all, and
 * is not applicable on this target (docs/targets-node.md). */
function notApplicable(out, why) {
  out.result = 'not_applicable';
  out.not_applicable = why;
}

/*
 * libuv opens some fds lazily and keeps them for the process's life: the
 * main loop's reserve fd (/dev/null, for accept() at EMFILE) at the first
 * stream handle.  Made here, before the census's first listing, by a
 * stream that starts no process and touches nothing: a connect to a path
 * that does not exist.  Every other fd node holds (epoll, eventfd, the
 * signal pipes) exists from its start (docs/targets-node.md).
 */
function warmUp() {
  return new Promise((res) => {
    const s = net.connect({path: '/nonexistent/spawnfault-node-warm-up'});
    s.on('error', () => s.destroy());
    s.on('close', res);
  });
}

async function main() {
  const caseFd = Number(process.argv[2]);
  let outFd = Number(process.argv[3]);
  const c = JSON.parse(fs.readFileSync(caseFd, 'utf8'));
  fs.closeSync(caseFd);
  // node cannot mark an fd close-on-exec, and libuv's children inherit
  // every fd that is not: the outcome's fd is reopened (node opens with
  // O_CLOEXEC) and the inherited one closed, as cpython.py's
  // os.set_inheritable(out_fd, False).
  const reopened = fs.openSync(`/proc/self/fd/${outFd}`, 'r+');
  fs.closeSync(outFd);
  outFd = reopened;
  const out = blank();
  const why = inexpressible(c);
  if (why) {
    notApplicable(out, why);
  } else {
    await warmUp();
    const before = openFds();
    try {
      const held = heldFds(c, before);
      if (held)
        throw new Inexpressible(held);
      await runAll(c, out);
    } catch (e) {
      if (e instanceof Inexpressible) {
        notApplicable(out, e.message);
      } else {
        out.result = 'harness_error';
        out.harness_error = `node adapter: ${e.stack || e}`;
      }
    }
    const after = openFds();
    out.leaked_fds = [...after.keys()]
                         .filter((fd) => !before.has(fd))
                         .sort((a, b) => a - b)
                         .map((fd) => `fd ${fd} -> ${after.get(fd)}`);
    out.zombies = descendants().map(
        ([pid, comm, state]) =>
            `pid ${pid} (${comm}) state ${state}` +
            (state === 'Z' ? ' (not reaped)'
                           : ' (still running, not waited for)'));
  }
  let data = Buffer.from(JSON.stringify(out));
  while (data.length)
    data = data.subarray(fs.writeSync(outFd, data));
  process.exit(0);
}

main().catch((e) => {
  process.exitCode = 1;
  // An adapter failure: nothing written, the supervisor reports it.
  throw e;
});
