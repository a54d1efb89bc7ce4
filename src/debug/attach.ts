// Attach mode's start: debugpy injected into a running Python process of the container, once. debugpy can be
// injected into a process only once: a second `python -m debugpy --listen … --pid N` ends the debug server
// the first one started (pydevd's threads are disposed of), then fails in the target with "debugpy.listen()
// has already been called on this process" on the program's own stderr, and still exits 0; its adapter then
// exits and nothing answers on the port any more. So what already listens on the port is looked up in the
// container before injecting (not guessed from a DAP probe that a loaded machine may answer too late), and
// after injecting the port must be listened on, else the failure is said at once.
import type { Kubectl } from "../adapters/kube.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { attachFailure } from "./attach_failure.ts";
import { type Place, pythonIn } from "./processes.ts";

/** What {@link ATTACH_SCRIPT} found or did, as it prints it (one JSON line). */
export type AttachOutcome =
  /** Something already listened on the port (a debugpy adapter when `holder` runs debugpy); nothing injected. */
  | { result: "listening"; holder: Holder | null }
  /** debugpy was injected and its adapter listens on the port. */
  | { result: "injected"; holder: Holder | null }
  /** debugpy is already loaded in the process, and nothing listens on the port: injecting again would end it. */
  | { result: "loaded" }
  /** debugpy was injected (the injector exited 0) and nothing listened on the port within `waitedSeconds`. */
  | { result: "not-listening"; waitedSeconds: number; output: string };

/** A process holding a listening socket, as /proc shows it (`cmdline` joined with spaces). */
export interface Holder {
  pid: number;
  cmdline: string;
}

/**
 * The injector, run as `python -c ATTACH_SCRIPT PORT PID WAIT_SECONDS DEBUGPY_ARGV…` in the container
 * (Python 3.6+, standard library, Linux /proc): looks for a listening TCP socket on PORT (/proc/net/tcp and
 * tcp6, state 0A) and the process holding it (its /proc/PID/fd links; null when not readable); when there is
 * one, prints `listening` and starts nothing. Else, when /proc/PID/maps of the target shows pydevd (debugpy
 * loaded, e.g. by an earlier session that is no longer listening), prints `loaded`. Else runs DEBUGPY_ARGV
 * (`python -m debugpy --listen 127.0.0.1:PORT --pid PID`); when it fails, passes its output and exit code on;
 * when it succeeds, waits up to WAIT_SECONDS for a listener on PORT and prints `injected` or `not-listening`.
 * Prints one JSON {@link AttachOutcome} line.
 */
export const ATTACH_SCRIPT = `import json, os, subprocess, sys, time
port, pid, wait, argv = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]
def read(p):
    try:
        with open(p, 'rb') as f:
            return f.read()
    except OSError:
        return b''
def listening():
    inodes = set()
    for table in ('/proc/net/tcp', '/proc/net/tcp6'):
        for line in read(table).decode().splitlines()[1:]:
            f = line.split()
            if len(f) > 9 and f[3] == '0A' and int(f[1].rsplit(':', 1)[1], 16) == port:
                inodes.add('socket:[%s]' % f[9])
    if not inodes:
        return None
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            fds = os.listdir('/proc/%s/fd' % d)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink('/proc/%s/fd/%s' % (d, fd)) in inodes:
                    cmd = read('/proc/%s/cmdline' % d).rstrip(b'\\0').replace(b'\\0', b' ')
                    return {'holder': {'pid': int(d), 'cmdline': cmd.decode('utf-8', 'replace')}}
            except OSError:
                pass
    return {'holder': None}
found = listening()
if found:
    print(json.dumps(dict(found, result='listening')))
    sys.exit(0)
if b'pydevd' in read('/proc/%d/maps' % pid):
    print(json.dumps({'result': 'loaded'}))
    sys.exit(0)
r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
output = r.stdout.decode('utf-8', 'replace')
if r.returncode != 0:
    sys.stdout.write(output)
    sys.exit(r.returncode)
end = time.time() + wait
while True:
    found = listening()
    if found or time.time() > end:
        break
    time.sleep(0.1)
if found:
    print(json.dumps(dict(found, result='injected')))
else:
    print(json.dumps({'result': 'not-listening', 'waitedSeconds': wait, 'output': output[-2000:]}))`;

/** Seconds the injector waits for debugpy's adapter to listen once the injection returned (with gdb the
 * injected code has run by then; Python 3.14's sys.remote_exec runs it at the target's next bytecode). */
const LISTEN_WAIT_SECONDS = 10;

/**
 * Injects debugpy (`debugpy`: the `python -m debugpy --listen 127.0.0.1:PORT --pid PID` command line) into
 * process `pid` of the container at `place`, unless something already listens on `remotePort` there: a
 * debugpy adapter (an earlier session's, which the process keeps: it is reused, and said so), or a listener
 * whose process cannot be seen (nothing is injected either: the DAP probe that follows tells whether it is
 * debugpy).
 *
 * @throws FastcsError exit 6 (`debug.attach`) when another program listens on the port, when the injection
 *   fails (gdb, ptrace, debugpy: the reason and what to do), when debugpy is already loaded in the process
 *   with nothing listening on the port (a second injection would end it), or when the injection succeeded
 *   but nothing listens on the port afterwards (debugpy.listen failed in the program: its stderr has the
 *   reason)
 */
export async function attachDebugpy(
  ctx: Context,
  kubectl: Kubectl,
  place: Place,
  o: { pid: number; remotePort: number; debugpy: string[] },
): Promise<void> {
  const where = `container ${place.container} of pod ${place.pod}`;
  const r = await pythonIn(
    kubectl,
    place,
    ATTACH_SCRIPT,
    String(o.remotePort),
    String(o.pid),
    String(LISTEN_WAIT_SECONDS),
    ...o.debugpy,
  );
  let outcome: AttachOutcome | undefined;
  try {
    outcome = r.code === 0 ? JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "") : undefined;
  } catch { /* reported below */ }
  if (!outcome) {
    // The injector's own output (debugpy's and gdb's) says why; kubectl's last line only that it failed.
    ctx.log.debug(`debugpy's injection into PID ${o.pid} failed:\n${r.stdout}${r.stderr}`);
    const { reason, hint } = attachFailure(r.stdout.trim() ? r.stdout : r.stderr);
    throw new FastcsError(`cannot attach debugpy to PID ${o.pid} in ${where}: ${reason}`, {
      code: "debug.attach",
      exitCode: ExitCode.environment,
      hint,
    });
  }
  // debugpy's adapter has its access token on its command line: not for the terminal.
  const holder = (h: Holder | null) =>
    h
      ? `PID ${h.pid}: ${h.cmdline.replace(/(--[\w-]*access-token[ =])\S+/g, "$1***").slice(0, 200)}`
      : "a process not visible here";
  if (outcome.result === "listening" && outcome.holder && !/debugpy/.test(outcome.holder.cmdline)) {
    throw new FastcsError(
      `port ${o.remotePort} in ${where} is in use by another program (${holder(outcome.holder)})`,
      {
        code: "debug.attach",
        exitCode: ExitCode.environment,
        hint: "Choose a free port in the pod for debugpy with --remote-port.",
      },
    );
  }
  if (outcome.result === "listening") {
    ctx.log.info(
      `port ${o.remotePort} in ${where} is already listened on (${
        holder(outcome.holder)
      }): debugpy is not injected again`,
    );
  } else if (outcome.result === "injected") {
    ctx.log.debug(`debugpy injected into PID ${o.pid}; its adapter listens (${holder(outcome.holder)})`);
  } else if (outcome.result === "loaded") {
    throw new FastcsError(
      `PID ${o.pid} in ${where} already runs debugpy, but nothing listens on port ${o.remotePort} there`,
      {
        code: "debug.attach",
        exitCode: ExitCode.environment,
        hint:
          "debugpy is injected into a process only once (a second injection would end the first). Pass the port " +
          "its debugpy listens on with --remote-port, or restart the program (or its pod) and debug it again.",
      },
    );
  } else {
    // gdb's chatter ends the injector's output; a Python error in it is worth saying.
    const said = outcome.output.split("\n").map((l) => l.trim()).filter((l) => /Error\b/.test(l)).at(-1);
    throw new FastcsError(
      `debugpy was injected into PID ${o.pid} in ${where}, but nothing listened on port ${o.remotePort} within ${outcome.waitedSeconds} s${
        said ? ` (debugpy said: ${said.slice(0, 200)})` : ""
      }`,
      {
        code: "debug.attach",
        exitCode: ExitCode.environment,
        hint:
          `debugpy.listen() failed inside the program: its reason is on the program's stderr (kubectl logs ${place.pod} -c ${place.container}). ` +
          "A port taken by another process of the pod, or a debugpy already loaded by the program itself, are the usual ones; --remote-port chooses another port.",
      },
    );
  }
}
