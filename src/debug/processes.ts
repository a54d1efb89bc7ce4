// What runs in the container to debug, read once through `kubectl exec … python -c` from /proc: its Python
// processes (PID, parent, user, command line, working folder) and what debugging needs (debugpy importable,
// gdb on PATH, the ptrace permission). The choice of the process and the diagnosis of what is missing are
// pure functions over that report, stated once and unit-tested.
import { posix } from "node:path";
import type { Kubectl } from "../adapters/kube.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import type { RunResult } from "../runtime/runner.ts";
import { FIND_SOURCE, type FoundSource } from "./source_root.ts";

/** One process of the container, as /proc shows it to the exec'd inspector. */
export interface ProcessInfo {
  pid: number;
  /** Parent PID; 0 for PID 1 and for processes entered with `kubectl exec` (their parent is outside). */
  ppid: number;
  /** Real user id (-1 when unreadable). */
  uid: number;
  cmdline: string[];
  /** `/proc/PID/exe` (null when not readable by the inspector). */
  exe: string | null;
  /** `/proc/PID/cwd` (null when not readable). */
  cwd: string | null;
}

/** What the inspector found out about itself (it runs as `kubectl exec` runs things) and the processes. */
export interface ContainerReport {
  self: {
    uid: number;
    /** Its working folder: the container's workingDir, where a launched program starts. */
    cwd: string;
    /** `sys.executable` of the `python` on the container's PATH. */
    python: string;
    debugpy: boolean;
    /** gdb on PATH (debugpy's attach injects its code with gdb), or null. */
    gdb: string | null;
    /** CAP_SYS_PTRACE in its effective capabilities. */
    sysPtrace: boolean;
    /** `kernel.yama.ptrace_scope` of the node (null when Yama is not built in). */
    ptraceScope: number | null;
  };
  processes: ProcessInfo[];
  /** Where the source of the command line given to the inspector is (null when none was given). */
  source?: FoundSource | null;
}

/** The inspector, run as `python -c INSPECT_SCRIPT [ARGS_JSON]`: prints one JSON {@link ContainerReport}.
 * Standard library only, Python 3.6+, reads what it may and skips the rest (processes ending meanwhile).
 * With ARGS_JSON (a command line about to be launched, after its interpreter) it also says where that
 * program's source is ({@link FIND_SOURCE}, from the container's working folder). */
export const INSPECT_SCRIPT = `import importlib.util, json, os, shutil, sys
def read(p):
    try:
        with open(p, 'rb') as f:
            return f.read()
    except OSError:
        return None
def link(p):
    try:
        return os.readlink(p)
    except OSError:
        return None
me = os.getpid()
procs = []
for d in os.listdir('/proc'):
    if not d.isdigit() or int(d) == me:
        continue
    raw = read('/proc/%s/cmdline' % d)
    stat = read('/proc/%s/stat' % d)
    if not raw or not stat:
        continue
    status = read('/proc/%s/status' % d) or b''
    uid = [int(l.split()[1]) for l in status.splitlines() if l.startswith(b'Uid:')]
    procs.append({'pid': int(d), 'ppid': int(stat.rsplit(b')', 1)[1].split()[1]), 'uid': uid[0] if uid else -1,
        'cmdline': [a.decode('utf-8', 'replace') for a in raw.rstrip(b'\\0').split(b'\\0')],
        'exe': link('/proc/%s/exe' % d), 'cwd': link('/proc/%s/cwd' % d)})
status = (read('/proc/self/status') or b'').decode()
cap = [int(l.split()[1], 16) for l in status.splitlines() if l.startswith('CapEff:')]
scope = read('/proc/sys/kernel/yama/ptrace_scope')
${FIND_SOURCE}
source = None
if len(sys.argv) > 1:
    try:
        source = find_source(json.loads(sys.argv[1]))
    except Exception as e:
        source = {'module': None, 'path': None, 'error': '%s: %s' % (type(e).__name__, e)}
print(json.dumps({'self': {'uid': os.getuid(), 'cwd': os.getcwd(), 'python': sys.executable,
    'debugpy': importlib.util.find_spec('debugpy') is not None, 'gdb': shutil.which('gdb'),
    'sysPtrace': bool(cap and cap[0] >> 19 & 1), 'ptraceScope': int(scope) if scope else None},
    'processes': procs, 'source': source}))`;

/** True for a process running a Python interpreter (its executable or argv[0] is `python`, `python3`,
 * `python3.12`…; a console script's argv[0] is the interpreter of its `#!` line). */
export function isPython(p: ProcessInfo): boolean {
  const re = /^python(\d+(\.\d+)*)?$/;
  return re.test(posix.basename(p.exe ?? "")) || re.test(posix.basename(p.cmdline[0] ?? ""));
}

/** debugpy's own helper processes (the adapter and launcher it starts beside a debugged program). */
function isDebugpyHelper(p: ProcessInfo): boolean {
  return p.cmdline.some((a) => /debugpy[/.](adapter|launcher)\b/.test(a));
}

/** The processes of the container's own tree: PID 1 and its descendants (not what `kubectl exec` started,
 * whose parent is outside the container's PID namespace). */
export function containerTree(processes: ProcessInfo[]): ProcessInfo[] {
  const parent = new Map(processes.map((p) => [p.pid, p.ppid]));
  const inTree = (pid: number) => {
    for (let i = 0, at = pid; i < 64; i++) {
      if (at === 1) return true;
      const up = parent.get(at);
      if (up === undefined || up === 0) return false;
      at = up;
    }
    return false;
  };
  return processes.filter((p) => inTree(p.pid));
}

/** `PID  command line` lines for messages, the command line cut at 120 characters. */
export function processTable(processes: ProcessInfo[]): string {
  return processes.map((p) => {
    const cmd = p.cmdline.join(" ");
    return `  ${String(p.pid).padStart(6)}  ${cmd.length > 120 ? cmd.slice(0, 117) + "..." : cmd}`;
  }).join("\n");
}

/** Where the process search ran, for messages. */
export interface Place {
  pod: string;
  container: string;
}

/** Runs `python -c script args…` in the container at `place` (`kubectl exec`; `python` on the container's
 * PATH), to completion. */
export function pythonIn(
  kubectl: Kubectl,
  place: Place,
  script: string,
  ...args: string[]
): Promise<RunResult> {
  return kubectl.run(["exec", place.pod, "-c", place.container, "--", "python", "-c", script, ...args]);
}

/**
 * The process to attach to: `pid` when given (it must exist and run Python), else the only Python process
 * of the container's tree (debugpy's helpers left out); with `childOf`, only children of that PID count
 * when there are any (the ioc-instance shape: PID 1 is a wrapper such as stdio-socket, the program its
 * child).
 *
 * @throws FastcsError exit 5 when `pid` is not a Python process there, or several candidates remain
 *   (listed, with `--pid` as the way out); exit 6 when there is no Python process
 */
export function chooseProcess(
  report: ContainerReport,
  o: Place & { pid?: number; childOf?: number },
): ProcessInfo {
  const where = `container ${o.container} of pod ${o.pod}`;
  const pythons = containerTree(report.processes).filter((p) => isPython(p) && !isDebugpyHelper(p));
  if (o.pid !== undefined) {
    const p = report.processes.find((x) => x.pid === o.pid);
    if (p && isPython(p)) return p;
    throw new FastcsError(
      p
        ? `process ${o.pid} in ${where} is not a Python process: ${p.cmdline.join(" ")}`
        : `there is no process ${o.pid} in ${where}`,
      {
        code: "debug.pid",
        exitCode: ExitCode.input,
        hint: pythons.length
          ? `Its Python processes:\n${processTable(pythons)}\nChoose one with --pid.`
          : "It runs no Python process that debug can see.",
      },
    );
  }
  const children = o.childOf === undefined ? [] : pythons.filter((p) => p.ppid === o.childOf);
  const candidates = children.length ? children : pythons;
  if (candidates.length === 1) return candidates[0];
  if (candidates.length === 0) {
    const tree = containerTree(report.processes);
    throw new FastcsError(`no Python process runs in ${where}`, {
      code: "debug.no-process",
      exitCode: ExitCode.environment,
      hint: tree.length
        ? `Its processes:\n${
          processTable(tree)
        }\nIs the program running? Name it with --pid if its interpreter is not called python.`
        : "Is the program running (kubectl logs)?",
    });
  }
  throw new FastcsError(`several Python processes run in ${where}:\n${processTable(candidates)}`, {
    code: "debug.several-processes",
    exitCode: ExitCode.input,
    hint: "Choose one with --pid (e.g. a worker of a multi-process server rather than its parent).",
  });
}

/**
 * The worker processes of a multi-process server (--all-workers): the Python processes of the container's
 * tree whose parent is a Python process of that tree too (gunicorn's or uvicorn's workers under their
 * arbiter, multiprocessing children), debugpy's helpers left out; the parent itself is not one.
 *
 * @throws FastcsError exit 6 when the container runs no Python process; exit 5 when it runs Python
 *   processes but none is the child of another (nothing to call a worker: attach to the one process instead)
 */
export function chooseWorkers(report: ContainerReport, o: Place): ProcessInfo[] {
  const pythons = containerTree(report.processes).filter((p) => isPython(p) && !isDebugpyHelper(p));
  const parents = new Set(pythons.map((p) => p.pid));
  const workers = pythons.filter((p) => parents.has(p.ppid));
  if (workers.length > 0) return workers;
  const where = `container ${o.container} of pod ${o.pod}`;
  if (pythons.length === 0) {
    throw new FastcsError(`no Python process runs in ${where}`, {
      code: "debug.no-process",
      exitCode: ExitCode.environment,
      hint: "Is the program running (kubectl logs)?",
    });
  }
  throw new FastcsError(`no Python process in ${where} is a worker of another:\n${processTable(pythons)}`, {
    code: "debug.no-workers",
    exitCode: ExitCode.input,
    hint:
      "--all-workers is for a server whose Python parent starts Python workers; leave it out (or use --pid).",
  });
}

/**
 * What would stop debugging before anything is started: debugpy missing from the container's python (both
 * modes); for attach, gdb missing (debugpy 1.8 injects itself with gdb on Linux) or ptrace refused. Ptrace
 * follows the kernel's rules (ptrace(2), Yama): CAP_SYS_PTRACE allows it (not under Yama scope 3); without
 * it, the tracer must run as the target's user, and Yama scope 1 lets only an ancestor trace (an exec'd
 * process is none), scope 2 only CAP_SYS_PTRACE.
 *
 * @returns the error to throw (exit code 6), or undefined when nothing is missing
 */
export function missingForDebug(
  report: ContainerReport,
  o: Place & { mode: "launch" | "attach"; target?: ProcessInfo },
): FastcsError | undefined {
  const where = `container ${o.container} of pod ${o.pod}`;
  const { self } = report;
  const fail = (code: string, message: string, hint: string) =>
    new FastcsError(message, { code, exitCode: ExitCode.environment, hint });
  if (!self.debugpy) {
    return fail(
      "debug.no-debugpy",
      `debugpy is not installed for ${self.python} in ${where}`,
      "Add debugpy to the image (e.g. `RUN pip install debugpy` in its Dockerfile, or in the project's dev " +
        "dependencies that the debug image installs), then redeploy the release.",
    );
  }
  if (o.mode !== "attach") return undefined;
  if (!self.gdb) {
    return fail(
      "debug.no-gdb",
      `attaching needs gdb, and ${where} has none on PATH`,
      "Add gdb to the image (e.g. `RUN apt-get install -y gdb`), or start the program under debugpy instead " +
        "(the fastcs chart: autostart: false).",
    );
  }
  const addCap =
    "Add the capability in the release's values: securityContext.capabilities.add: [SYS_PTRACE] (for the " +
    "ioc-instance chart under ioc-instance:), then redeploy.";
  if (self.ptraceScope === 3) {
    return fail(
      "debug.ptrace",
      `the node forbids ptrace for every process (kernel.yama.ptrace_scope = 3), so nothing in ${where} can be attached to`,
      "Ask the node's administrator for ptrace_scope 0 or 1, or start the program under debugpy instead.",
    );
  }
  if (self.sysPtrace) return undefined;
  const target = o.target;
  if (target && target.uid >= 0 && target.uid !== self.uid) {
    return fail(
      "debug.ptrace",
      `kubectl exec runs as uid ${self.uid} and PID ${target.pid} as uid ${target.uid} in ${where}: ptrace ` +
        "needs the same user or the SYS_PTRACE capability",
      `${addCap} A pod-level runAsUser applies to kubectl exec too; a container-level one that differs ` +
        "from the program's user is what blocks here.",
    );
  }
  if (self.ptraceScope === 1 || self.ptraceScope === 2) {
    return fail(
      "debug.ptrace",
      `the node's kernel.yama.ptrace_scope is ${self.ptraceScope}: without the SYS_PTRACE capability ` +
        `kubectl exec in ${where} may not trace ${target ? `PID ${target.pid}` : "the program"}`,
      addCap,
    );
  }
  return undefined;
}

/**
 * Runs {@link INSPECT_SCRIPT} with the container's `python` and parses its report; with `sourceArgs` (a
 * command line to launch, after its interpreter) the report says where its source is.
 *
 * @throws FastcsError (exit code 6) when the container has no python on PATH, or the inspection fails
 */
export async function inspectContainer(
  kubectl: Kubectl,
  place: Place,
  sourceArgs?: string[],
): Promise<ContainerReport> {
  const r = await pythonIn(
    kubectl,
    place,
    INSPECT_SCRIPT,
    ...(sourceArgs ? [JSON.stringify(sourceArgs)] : []),
  );
  const where = `container ${place.container} of pod ${place.pod}`;
  if (r.code === 0) {
    try {
      return JSON.parse(r.stdout) as ContainerReport;
    } catch { /* reported below */ }
  }
  const noPython = /executable file not found|no such file or directory|exit code 127/i.test(r.stderr);
  throw new FastcsError(
    noPython
      ? `there is no python on PATH in ${where}`
      : `cannot inspect the processes of ${where}: ${
        (r.stderr.trim() || r.stdout.trim()).split("\n").at(-1)
      }`,
    {
      code: noPython ? "debug.no-python" : "debug.inspect",
      exitCode: ExitCode.environment,
      hint: noPython
        ? "debug needs the image's Python on PATH as python (put the virtual environment's bin folder on PATH, " +
          "or link python to python3); is this the container of the program (--container)?"
        : "The container needs Python 3.6+ and /proc; check kubectl exec into it works.",
    },
  );
}
