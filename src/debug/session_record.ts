// The record of a debug session: one JSON file per session under Helm's cache home
// (`$HELM_CACHE_HOME/fastcs/debug-sessions/`), written as each thing the session starts is started (the
// port-forward, the launched program, the PVC mount, a lifted liveness probe) and removed when the session
// ends cleanly. What a crashed or SIGKILLed session leaves is found there by `debug list` and ended by
// `debug clean`, which touch nothing a record does not name. Also: identifying a local process by its
// command line, so that a recorded PID reused by another program is never killed.
import { basename, join } from "node:path";
import { type HelmEnv, pluginCacheDir } from "../runtime/helm_env.ts";
import type { Runner } from "../runtime/runner.ts";
import type { LiftedProbe } from "./liveness.ts";

/** A local process the session started: its PID and the command line it was started with. */
export interface LocalProcess {
  pid: number;
  argv: string[];
}

/** One worker's part of an --all-workers session: the process, its ports and its port-forward. */
export interface WorkerRecord {
  pid: number;
  remotePort: number;
  localPort?: number;
  portForward?: LocalProcess;
}

/** One session's record (the JSON file). */
export interface SessionRecord {
  /** File name without `.json`: `<release>-<our PID>-<start time in ms>`. */
  id: string;
  release: string;
  namespace: string;
  kubeContext?: string;
  /** The kubeconfig the session used (KUBECONFIG), so that clean reaches the same cluster. */
  kubeconfig?: string;
  /** The plugin process running the session. */
  plugin: LocalProcess;
  /** ISO 8601 time the session started. */
  startedAt: string;
  pod?: string;
  container?: string;
  localPort?: number;
  remotePort?: number;
  /** The local `kubectl port-forward` (the current one: it is opened again when it drops). */
  portForward?: LocalProcess;
  /** The local `kubectl exec` running the launched program (launch mode). */
  exec?: LocalProcess;
  /** The debugpy the session launched in the pod: its command line there, and its PID there once known. */
  debugpy?: { argv: string[]; pid?: number };
  /** The editable PVC mounted with pv-mounter. */
  mount?: { pvc: string; dir: string };
  /** The liveness probe lifted from the workload, to put back. */
  liftedLivenessProbe?: LiftedProbe;
  /** --all-workers: each worker's port-forward (the fields above hold no port-forward then). */
  workers?: WorkerRecord[];
}

/** The folder of the records: `$HELM_CACHE_HOME/fastcs/debug-sessions` (Helm's default cache home
 * `~/.cache/helm` when unset; Helm always sets it for plugins). */
export function sessionsDir(env: HelmEnv): string {
  return join(pluginCacheDir(env), "debug-sessions");
}

/** A session's record on disk, updated as the session starts things. */
export interface RecordHandle {
  readonly record: SessionRecord;
  /** Merges `patch` into the record and writes it (atomically: a temporary file renamed into place). */
  update(patch: Partial<SessionRecord>): Promise<void>;
  /** Removes the record (the session ended cleanly). */
  remove(): Promise<void>;
}

/** Writes `record` to its file in `dir`, atomically. */
export async function writeRecord(dir: string, record: SessionRecord): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const file = join(dir, `${record.id}.json`);
  const tmp = join(dir, `.${record.id}.${crypto.randomUUID()}.tmp`);
  await Deno.writeTextFile(tmp, JSON.stringify(record, null, 2) + "\n", { mode: 0o600 });
  await Deno.rename(tmp, file);
}

/**
 * Starts the record of a session: the file is written on the first {@link RecordHandle.update} (a
 * session that starts nothing leaves no file). Updates are written one after another, in order.
 */
export function openRecord(
  dir: string,
  base: Omit<SessionRecord, "id" | "startedAt">,
): RecordHandle {
  const started = Date.now();
  const record: SessionRecord = {
    id: `${base.release}-${base.plugin.pid}-${started}`,
    ...base,
    startedAt: new Date(started).toISOString(),
  };
  let queue: Promise<void> = Promise.resolve();
  let removed = false;
  return {
    record,
    update(patch) {
      Object.assign(record, patch);
      queue = queue.then(() => removed ? undefined : writeRecord(dir, record));
      return queue;
    },
    remove() {
      removed = true;
      queue = queue.then(() => Deno.remove(join(dir, `${record.id}.json`)).catch(() => {}));
      return queue;
    },
  };
}

/** Every record in `dir` (none when it does not exist), oldest first; unreadable files are skipped. */
export async function readRecords(dir: string): Promise<SessionRecord[]> {
  const records: SessionRecord[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !entry.name.endsWith(".json")) continue;
      try {
        const r = JSON.parse(await Deno.readTextFile(join(dir, entry.name))) as SessionRecord;
        if (r && r.id === entry.name.slice(0, -5) && r.plugin?.pid) records.push(r);
      } catch { /* a file that is not a record */ }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return records.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

/**
 * What can be read of a local process' identity: on Linux its argv (`/proc/PID/cmdline`), on macOS and
 * other Unixes its command line as one string (`ps -o command= -p PID`: argv joined by spaces), on Windows
 * only its image name (`tasklist`: reading a command line needs PowerShell or WMI).
 */
export type ProcessIdentity = { argv: string[] } | { line: string } | { image: string };

/** The {@link ProcessIdentity} of local process `pid`; undefined when there is no such process. */
export async function processIdentity(
  run: Runner,
  pid: number,
  os: typeof Deno.build.os = Deno.build.os,
): Promise<ProcessIdentity | undefined> {
  if (os === "linux") {
    try {
      const raw = new TextDecoder().decode(await Deno.readFile(`/proc/${pid}/cmdline`));
      return raw === "" ? undefined : { argv: raw.replace(/\0$/, "").split("\0") };
    } catch {
      return undefined;
    }
  }
  if (os === "windows") {
    const r = await run("tasklist", ["/FI", `PID eq ${pid}`, "/FO", "CSV", "/NH"], { cwd: "." });
    const m = /^"([^"]+)","(\d+)"/m.exec(r.stdout);
    return r.code === 0 && m && Number(m[2]) === pid ? { image: m[1] } : undefined;
  }
  const r = await run("ps", ["-o", "command=", "-p", String(pid)], { cwd: "/" });
  const line = r.stdout.trim();
  return r.code === 0 && line !== "" ? { line } : undefined;
}

const exeName = (path: string) => basename(path.replace(/\\/g, "/")).replace(/\.exe$/i, "");

/**
 * True when the process `actual` is the one started with the command line `expected`: an executable of
 * the same name (Deno starts a program with its resolved path as argv[0]) and, where the command line can
 * be read (not on Windows), the same arguments.
 */
export function sameCommand(actual: ProcessIdentity | undefined, expected: string[]): boolean {
  if (!actual || expected.length === 0) return false;
  if ("image" in actual) return exeName(actual.image) === exeName(expected[0]);
  if ("line" in actual) {
    const [first, ...rest] = actual.line.split(" ");
    return exeName(first) === exeName(expected[0]) && rest.join(" ") === expected.slice(1).join(" ");
  }
  const { argv } = actual;
  return argv.length === expected.length && exeName(argv[0]) === exeName(expected[0]) &&
    argv.every((a, i) => i === 0 || a === expected[i]);
}
