// Launch mode's start and end: the program started under debugpy in the container (inside the launch wrapper
// of src/debug/launcher.ts, so that the session ends when the program ends, with its exit code), the launched
// debugpy's PID found for the session record, and what is left of it ended in the container.
import type { Kubectl } from "../adapters/kube.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { END_IN_POD_SCRIPT } from "./clean.ts";
import { exitLineCode, launchCommand } from "./launcher.ts";
import { pythonIn } from "./processes.ts";
import type { SessionRecord } from "./session_record.ts";
import type { DebugFacts } from "./session.ts";
import type { LaunchTarget } from "./values.ts";

/** A program launched under debugpy: how to stop it, and its exit code once it ends. */
export interface Launched {
  /** Resolves with the program's exit code (the wrapper's exit line; without it, kubectl's own exit code). */
  ended: Promise<number>;
  /** Ends what is left of the launched debugpy in the container, then `kubectl exec`. */
  stop(): Promise<void>;
}

/**
 * Starts `facts.command` (`python … -m debugpy --listen … --wait-for-client PROGRAM`) in the container with
 * `kubectl exec`, inside the launch wrapper; the program's output goes to the log line by line. Records the
 * exec (PID, command line) and debugpy's command line before anything else can fail.
 */
export async function launchProgram(
  ctx: Context,
  kubectl: Kubectl,
  facts: DebugFacts,
  record: (patch: Partial<SessionRecord>) => Promise<void>,
): Promise<Launched> {
  // The wrapper (src/debug/launcher.ts) ends the exec when the program ends and says its exit code.
  const args = ["exec", facts.pod, "-c", facts.container, "--", ...launchCommand(facts.command)];
  const exec = kubectl.start(args);
  const stop = async () => {
    await killRemoteDebugpy(kubectl, facts).catch(() => {});
    await exec.stop().catch(() => {});
  };
  try {
    await record({
      exec: { pid: exec.pid, argv: kubectl.commandLine(args) },
      debugpy: { argv: facts.command },
    });
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
  let said: number | undefined;
  const drained = (async () => {
    for await (const { line } of exec.lines) {
      const code = exitLineCode(line);
      if (code === undefined) ctx.log.info(line);
      else said = code;
    }
  })();
  // Without the wrapper's line (it was killed, the pod went away), kubectl's own exit code.
  return { ended: Promise.all([exec.exited, drained]).then(([code]) => said ?? code), stop };
}

/**
 * Finds the launched debugpy's PID in the container ({@link END_IN_POD_SCRIPT} in find mode) and records it,
 * so that `debug clean` ends exactly that process; in the background (it is not needed to attach), recorded
 * only while `active()` and when exactly one process matches. Never rejects.
 */
export function recordLaunchedDebugpy(
  kubectl: Kubectl,
  facts: DebugFacts,
  record: (patch: Partial<SessionRecord>) => Promise<void>,
  active: () => boolean,
): void {
  pythonIn(kubectl, facts, END_IN_POD_SCRIPT, JSON.stringify(facts.command), "0", "find").then(
    async (r) => {
      const found = r.code === 0 ? JSON.parse(r.stdout.trim() || "[]") as number[] : [];
      if (found.length === 1 && active()) await record({ debugpy: { argv: facts.command, pid: found[0] } });
    },
  ).catch(() => {});
}

/**
 * The arguments after `python … -m debugpy … --wait-for-client` that start `program` in the container: `-m
 * MODULE ARGS`, `FILE ARGS`, `-c CODE ARGS`, or for a console script `-c CODE ARGS` calling its entry point
 * (`module:function`, read from the container's installed distributions with importlib.metadata, not guessed
 * from the name).
 *
 * @throws FastcsError exit 6 (`debug.program`) when python cannot run in the container; exit 5 when the
 *   script is not a console script there
 */
export async function programArgs(
  kubectl: Kubectl,
  pod: string,
  container: string,
  program: LaunchTarget,
): Promise<string[]> {
  if (program.kind === "module") return ["-m", program.module, ...program.args];
  if (program.kind === "file") return [program.file, ...program.args];
  if (program.kind === "code") return ["-c", program.code, ...program.args];
  // A console script's file is a wrapper around `module:function`: launching that under debugpy directly
  // needs the entry point, read from the container's installed distributions (not guessed from the name).
  const find =
    "import importlib.metadata as m, sys; e = [x for x in m.entry_points(group='console_scripts') if x.name == sys.argv[1]]; print(e[0].value if e else '')";
  const r = await pythonIn(kubectl, { pod, container }, find, program.script);
  const entry = r.stdout.trim();
  if (r.code !== 0 || !/^[\w.]+:[\w.]+$/.test(entry)) {
    throw new FastcsError(
      r.code !== 0
        ? `cannot run python in container ${container} of pod ${pod}: ${r.stderr.trim()}`
        : `${program.script} is not a Python console script in container ${container} of pod ${pod}`,
      {
        code: "debug.program",
        exitCode: r.code !== 0 ? ExitCode.environment : ExitCode.input,
        hint:
          "Set command to [python, -m, <module>] in the release's values, or use an image with the program installed.",
      },
    );
  }
  const [module, func] = entry.split(":");
  const code = `import sys; sys.argv[0] = ${JSON.stringify(program.script)}; from ${module} import ${
    func.split(".")[0]
  } as _entry; sys.exit(_entry${func.includes(".") ? "." + func.split(".").slice(1).join(".") : ""}())`;
  return ["-c", code, ...program.args];
}

/** Ends the launched debugpy in the container too (stopping kubectl exec does not always end it): the
 * launch wrapper and the program under debugpy, by their command line; waits up to 5 s for them to end (the
 * wrapper then ends what still holds its output, debugpy's adapter), then SIGKILLs what is left. */
export async function killRemoteDebugpy(kubectl: Kubectl, facts: DebugFacts) {
  const marker = `127.0.0.1:${facts.remotePort}`;
  const script = `import os, signal, sys, time
def find():
    found = []
    for p in os.listdir('/proc'):
        if p.isdigit() and int(p) != os.getpid():
            try:
                c = open('/proc/' + p + '/cmdline', 'rb').read().split(b'\\0')
                zombie = open('/proc/' + p + '/stat', 'rb').read().rsplit(b')', 1)[1].split()[0] == b'Z'
            except (OSError, IndexError):
                continue
            if b'debugpy' in c and sys.argv[1].encode() in c and not zombie:
                found.append(int(p))
    return found
for sig in (signal.SIGTERM, None, signal.SIGKILL):
    for p in find() if sig else ():
        try:
            os.kill(p, sig)
        except OSError:
            pass
    for _ in range(50 if sig is None else 0):
        if not find():
            break
        time.sleep(0.1)`;
  await pythonIn(kubectl, facts, script, marker);
}
