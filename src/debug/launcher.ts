// The launch-mode wrapper that runs in the container around `python -m debugpy --listen … --wait-for-client
// PROGRAM`: it makes the session end when the program ends, with the program's exit code.
//
// Why it is needed: debugpy's `--listen` starts its debug adapter as a separate process (debugpy/adapter
// --for-server) that inherits the program's stdout and stderr and, by design, outlives the program while a
// client is connected. A `kubectl exec` ends only when every holder of its output streams has closed them
// (the container runtime waits for the streams, as kwok does), so without the wrapper a program that ends
// while VS Code is still attached leaves the exec, and the session, waiting. And kubectl reports the remote
// exit code differently per runtime (a real kubelet: "command terminated with exit code N" and kubectl exits
// N; kwok: an internal error and 1), so the wrapper says the code itself, on one line of its own.

/** The line the wrapper writes on stderr when the program ended: `<prefix><exit code>`. */
export const EXIT_LINE_PREFIX = "[helm-fastcs] the program ended with exit code ";

/**
 * The wrapper, run as `python -c LAUNCH_SCRIPT ARGV…` (Python 3.6+, standard library, Linux /proc): starts
 * ARGV as the leader of a new process group and passes SIGTERM, SIGINT and SIGHUP on to that group. Once
 * ARGV ends, the processes still holding the wrapper's stdout or stderr (the same pipe, read from
 * /proc/PID/fd: debugpy's adapter, which leaves the group with setsid, or anything else the program left
 * behind) get up to a second to end by themselves (the adapter does when the client disconnects on
 * `terminated`; no second when the wrapper was told to stop), then SIGTERM, and SIGKILL a second later.
 * Then it writes {@link EXIT_LINE_PREFIX} and the code (128 + N for a signal N) and exits 0, so that
 * kubectl exec ends cleanly on every runtime.
 */
export const LAUNCH_SCRIPT = `import os, signal, subprocess, sys, time
p = None
stopping = []
def handle(n, f):
    stopping.append(n)
    try:
        if p:
            os.killpg(p.pid, signal.SIGTERM)
    except OSError:
        pass
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(s, handle)
p = subprocess.Popen(sys.argv[1:], start_new_session=True)
if stopping:
    handle(signal.SIGTERM, None)
code = p.wait()
mine = set()
for fd in (1, 2):
    try:
        st = os.fstat(fd)
        mine.add((st.st_dev, st.st_ino))
    except OSError:
        pass
def holders():
    found = []
    for d in os.listdir('/proc'):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        for fd in ('1', '2'):
            try:
                st = os.stat('/proc/%s/fd/%s' % (d, fd))
            except OSError:
                continue
            if (st.st_dev, st.st_ino) in mine:
                found.append(int(d))
                break
    return found
for sig in (signal.SIGTERM, signal.SIGKILL) if stopping else (None, signal.SIGTERM, signal.SIGKILL):
    left = holders()
    for pid in left if sig else ():
        try:
            os.kill(pid, sig)
        except OSError:
            pass
    for _ in range(10):
        if not left:
            break
        time.sleep(0.1)
        left = holders()
    if not left:
        break
sys.stdout.flush()
sys.stderr.write('${EXIT_LINE_PREFIX}%d\\n' % (code if code >= 0 else 128 - code))
sys.stderr.flush()`;

/** The command to exec in the container for a launch: {@link LAUNCH_SCRIPT} around `debugpy` (the
 * `python -m debugpy … --wait-for-client PROGRAM` command line). */
export function launchCommand(debugpy: string[]): string[] {
  return ["python", "-c", LAUNCH_SCRIPT, ...debugpy];
}

/** The program's exit code from a line of the exec's output, when it is the wrapper's exit line. */
export function exitLineCode(line: string): number | undefined {
  if (!line.startsWith(EXIT_LINE_PREFIX)) return undefined;
  const code = Number(line.slice(EXIT_LINE_PREFIX.length).trim());
  return Number.isInteger(code) ? code : undefined;
}
