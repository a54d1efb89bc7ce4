// `debug list` and `debug clean`: the recorded debug sessions (src/debug/session_record.ts), live or stale
// (the plugin process that ran them is gone), and the ending of what a stale one left: the local kubectl
// port-forward and exec, the debugpy it launched in the pod, the pv-mounter mount, a lifted liveness probe.
// Each is ended only when it is still what the record names (the same command line); nothing else is
// touched.
import type { Adapters } from "../adapters/factory.ts";
import type { KubeTarget } from "../adapters/kube.ts";
import type { Context } from "../runtime/context.ts";
import { join } from "node:path";
import { findOnPath } from "../runtime/fs.ts";
import { restoreLivenessProbe } from "./liveness.ts";
import { pythonIn } from "./processes.ts";
import {
  type LocalProcess,
  processIdentity,
  readRecords,
  sameCommand,
  type SessionRecord,
  sessionsDir,
} from "./session_record.ts";

/** A recorded session: `live` while the plugin process that runs it is there, else `stale`. */
export interface ListedSession {
  state: "live" | "stale";
  record: SessionRecord;
}

/** The recorded sessions under Helm's cache home (all, or those of releases named `release`, whatever their
 * namespace: each record names its own), oldest first. */
export async function listSessions(ctx: Context, release?: string): Promise<ListedSession[]> {
  const records = await readRecords(sessionsDir(ctx.env));
  const listed: ListedSession[] = [];
  for (const record of records) {
    if (release !== undefined && record.release !== release) continue;
    const alive = sameCommand(await processIdentity(ctx.run, record.plugin.pid), record.plugin.argv);
    listed.push({ state: alive ? "live" : "stale", record });
  }
  return listed;
}

/** What one clean step did. */
export interface CleanStep {
  /** What the record held, e.g. `kubectl port-forward (PID 123)`. */
  what: string;
  /** ended/restored: done now; gone: already gone (or now something else, left alone); failed: see detail. */
  result: "ended" | "restored" | "gone" | "failed";
  detail?: string;
}

/** What `debug clean` did to one stale session; `removed` when its record is gone (every step done). */
export interface CleanReport {
  id: string;
  release: string;
  namespace: string;
  kubeContext?: string;
  steps: CleanStep[];
  removed: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Ends local process `p` (SIGTERM, SIGKILL after 2 s) when it still runs the recorded command line. */
async function endLocal(ctx: Context, p: LocalProcess, what: string): Promise<CleanStep> {
  const described = `${what} (PID ${p.pid})`;
  const identity = await processIdentity(ctx.run, p.pid);
  if (!identity) return { what: described, result: "gone" };
  if (!sameCommand(identity, p.argv)) {
    return { what: described, result: "gone", detail: "that PID now runs another program: left alone" };
  }
  const still = async () => sameCommand(await processIdentity(ctx.run, p.pid), p.argv);
  try {
    Deno.kill(p.pid, "SIGTERM");
    for (let i = 0; i < 20 && await still(); i++) await sleep(100);
    if (await still()) Deno.kill(p.pid, "SIGKILL");
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      return { what: described, result: "failed", detail: String((error as Error).message ?? error) };
    }
  }
  return { what: described, result: "ended" };
}

/**
 * Run with the container's python: ends (SIGTERM) the processes whose command line is exactly argv[1] (a
 * JSON list; the executable compared by name) and, when argv[2] is not 0, whose PID is argv[2]; prints
 * their PIDs as JSON. With argv[3] == "find" it only prints them.
 */
export const END_IN_POD_SCRIPT = `import json, os, signal, sys
want = json.loads(sys.argv[1])
pid = int(sys.argv[2])
found = []
for p in os.listdir('/proc'):
    if not p.isdigit() or int(p) == os.getpid() or (pid and int(p) != pid):
        continue
    try:
        with open('/proc/%s/cmdline' % p, 'rb') as f:
            c = f.read().decode('utf-8', 'replace').rstrip('\\0').split('\\0')
    except OSError:
        continue
    if len(c) == len(want) and c[1:] == want[1:] and os.path.basename(c[0]) == os.path.basename(want[0]):
        found.append(int(p))
        if sys.argv[3:] != ['find']:
            os.kill(int(p), signal.SIGTERM)
print(json.dumps(found))`;

/** The kube target a record names. */
export function recordTarget(r: SessionRecord): KubeTarget {
  return { context: r.kubeContext, namespace: r.namespace, kubeconfig: r.kubeconfig };
}

/**
 * Ends what the stale session `record` left, step by step, and removes its record when every step is
 * done (a step that failed, e.g. the cluster out of reach, keeps it for another `debug clean`).
 */
export async function cleanSession(
  ctx: Context,
  adapters: Adapters,
  record: SessionRecord,
): Promise<CleanReport> {
  const steps: CleanStep[] = [];
  const kubectl = adapters.kubectl(recordTarget(record));
  if (record.portForward) steps.push(await endLocal(ctx, record.portForward, "kubectl port-forward"));
  for (const w of record.workers ?? []) {
    if (w.portForward) {
      steps.push(await endLocal(ctx, w.portForward, `kubectl port-forward to worker PID ${w.pid}`));
    }
  }
  if (record.debugpy && record.pod && record.container) {
    const what = `debugpy in container ${record.container} of pod ${record.pod}${
      record.debugpy.pid ? ` (PID ${record.debugpy.pid} there)` : ""
    }`;
    const r = await pythonIn(
      kubectl,
      { pod: record.pod, container: record.container },
      END_IN_POD_SCRIPT,
      JSON.stringify(record.debugpy.argv),
      String(record.debugpy.pid ?? 0),
    );
    if (r.code === 0) {
      const ended = JSON.parse(r.stdout.trim() || "[]") as number[];
      steps.push({ what, result: ended.length ? "ended" : "gone" });
    } else if (/NotFound|not found|is not running|container not found/i.test(r.stderr)) {
      steps.push({ what, result: "gone", detail: "the pod or container is gone" });
    } else steps.push({ what, result: "failed", detail: r.stderr.trim().split("\n").at(-1) });
  }
  if (record.exec) steps.push(await endLocal(ctx, record.exec, "kubectl exec"));
  if (record.mount) {
    const what = `PVC ${record.mount.pvc} mounted at ${record.mount.dir}`;
    const bin = await findOnPath("pv-mounter");
    if (!bin) {
      steps.push({ what, result: "failed", detail: "pv-mounter is not on PATH to unmount it" });
    } else {
      const r = await adapters.pvMounter(bin, recordTarget(record)).clean(record.mount.pvc, record.mount.dir);
      if (r.code === 0) {
        await Deno.remove(record.mount.dir).catch(() => {});
        steps.push({ what, result: "ended" });
      } else steps.push({ what, result: "failed", detail: r.stderr.trim().split("\n").at(-1) });
    }
  }
  if (record.liftedLivenessProbe) {
    const l = record.liftedLivenessProbe;
    const what = `liveness probe of container ${l.container} lifted from ${l.workload}`;
    try {
      const done = await restoreLivenessProbe(kubectl, l);
      steps.push(
        done === "restored" ? { what, result: "restored" } : {
          what,
          result: "gone",
          detail: done === "already" ? "it has one again" : "the workload is gone",
        },
      );
    } catch (error) {
      steps.push({ what, result: "failed", detail: (error as Error).message });
    }
  }
  const removed = steps.every((s) => s.result !== "failed");
  if (removed) await Deno.remove(join(sessionsDir(ctx.env), `${record.id}.json`)).catch(() => {});
  return {
    id: record.id,
    release: record.release,
    namespace: record.namespace,
    ...(record.kubeContext ? { kubeContext: record.kubeContext } : {}),
    steps,
    removed,
  };
}
