// `helm fastcs debug` as functions: the session's shapes (options, facts, plan) and its run: debugpy started in
// the container (launching the program, src/debug/launch.ts, or attached to a running Python process,
// src/debug/attach.ts), its port forwarded, proof that it answers DAP, the attach configuration handed out,
// and everything taken down again. What is decided before: src/debug/plan.ts; --all-workers:
// src/debug/workers.ts.
import type { Kubectl } from "../adapters/kube.ts";
import type { Context } from "../runtime/context.ts";
import { attachDebugpy } from "./attach.ts";
import { launchProgram, recordLaunchedDebugpy } from "./launch.ts";
import type { LiftedProbe } from "./liveness.ts";
import { supervisedForward, waitForDebugpy } from "./port_forward.ts";
import type { ProbeReport } from "./probes.ts";
import type { SessionRecord } from "./session_record.ts";
import type { Profile } from "./values.ts";

/** Options of prepareDebug (src/debug/plan.ts) and {@link runDebug}. */
export interface DebugOptions {
  release: string;
  /** Key of the fastcs values when several fastcs sub-charts share the release. */
  valuesKey?: string;
  /** The workload (`KIND/NAME`) when the release has several. */
  workload?: string;
  /** Local port for the forward (default: a free one). */
  localPort?: number;
  /** The debug adapter's port in the pod (default: the fastcs chart's debugPort, else 5678). */
  remotePort?: number;
  /** Process to attach to (default: the only Python process of the container's tree). */
  pid?: number;
  /** --command: the program to launch under debugpy (a command line), in any release, instead of
   * attaching (or of the fastcs chart's command and args); the container's own processes keep running. */
  command?: string[];
  /** --all-workers: attach to every worker process of a multi-process server (one debugpy and one
   * port-forward each, on the remote port + 0, 1, …). */
  allWorkers?: boolean;
  /** How long to wait for the pod to be Ready and for debugpy to answer, in milliseconds. */
  timeoutMs: number;
  /** Local folder of the source, for the attach configuration's `localRoot` (for an installed package: its
   * `src/<package>` or `<package>` folder when it has one). */
  localRoot: string;
  /** Folder of the source in the container (default: where the program's package is, found in the
   * container: an installed package's folder in site-packages, or /workspaces/<project>; else
   * /workspaces/<local folder name> when editable; else the working folder of the process: the attached
   * one's, or the container's for a launch). */
  remoteRoot?: string;
  /** The container (--container); default: the pod's annotated default, its only one, else `fastcs`. */
  container?: string;
  /** The pod (--pod); default: the first Ready pod of the workload. */
  pod?: string;
  /** --lift-liveness-probe: `lifting` is called with the probe before the workload is patched (to record
   * it, and to restore it when the session ends); with `dryRun` nothing is patched, the patch is planned. */
  lift?: { dryRun: boolean; lifting(lifted: LiftedProbe): Promise<void> };
  /** Told what the session starts, as it starts it (the session record). */
  record?: (patch: Partial<SessionRecord>) => Promise<void>;
}

/** What a debug session is, as `-o json` prints it. */
export interface DebugFacts {
  release: string;
  namespace: string;
  kubeContext?: string;
  /** How the release is debugged: the fastcs chart's knobs, the ioc-instance chart's shape, or neither. */
  profile: Profile["name"];
  /** `KIND/NAME` of the workload whose pod is debugged. */
  workload: string;
  pod: string;
  container: string;
  mode: "launch" | "attach";
  /** The process attached to (attach mode). */
  pid?: number;
  remotePort: number;
  localPort?: number;
  /** The command started in the container. */
  command: string[];
  editable: boolean;
  /** What the container's probes do to a program paused at a breakpoint. */
  probes: ProbeReport;
  /** The liveness probe lifted from the workload for the session (--lift-liveness-probe). */
  liftedLivenessProbe?: LiftedProbe;
  attachConfiguration: Record<string, unknown>;
  /** --all-workers: each worker's session (the fields above are the first worker's). */
  workers?: WorkerFacts[];
  /** --all-workers: the VS Code compound configuration that starts every worker's configuration. */
  compound?: { name: string; configurations: string[] };
}

/** One worker of --all-workers: its process, the debugpy injected into it and the attach configuration. */
export interface WorkerFacts {
  pid: number;
  remotePort: number;
  localPort?: number;
  command: string[];
  attachConfiguration: Record<string, unknown>;
}

/** Everything found before anything is started. */
export interface DebugPlan {
  facts: DebugFacts;
  profile: Profile;
  /** Commands a real run would start, for `--dry-run`. */
  commands: string[][];
  /** Resolves once the attach configuration's pathMappings hold where the source was found in the container
   * (never rejects; the facts keep the fallback when nothing was found). */
  mapped: Promise<void>;
}

/** A running session: call `stop()` to take it all down. */
export interface RunningDebug {
  facts: DebugFacts;
  /** Resolves when the session ends by itself (launch mode: the program ended), with its exit code. */
  ended: Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts the session of a plan: debugpy in the container, a supervised port-forward, and a DAP probe.
 *
 * @throws FastcsError (exit code 6) when debugpy does not answer within the timeout, when attaching is
 *   impossible, or when the port-forward fails; everything started is stopped before it throws.
 */
export async function runDebug(
  ctx: Context,
  kubectl: Kubectl,
  plan: DebugPlan,
  o: DebugOptions,
): Promise<RunningDebug> {
  const { facts } = plan;
  const stoppers: (() => Promise<void>)[] = [];
  let active = true;
  // Until debugpy answers, the readiness probes themselves end kubectl's forward (one refused
  // connection ends it): those re-opens are expected and not worth a warning.
  let ready = false;
  const stop = async () => {
    active = false;
    for (const s of stoppers.reverse()) await s().catch(() => {});
  };
  try {
    let ended: Promise<number> = new Promise(() => {});
    const record = o.record ?? (() => Promise.resolve());
    await record({ pod: facts.pod, container: facts.container, remotePort: facts.remotePort });
    if (facts.mode === "launch") {
      const launched = await launchProgram(ctx, kubectl, facts, record);
      stoppers.push(launched.stop);
      ended = launched.ended;
    }
    const forward = await supervisedForward(ctx, kubectl, {
      pod: facts.pod,
      remotePort: facts.remotePort,
      localPort: o.localPort,
      active: () => active,
      ready: () => ready,
      started: (pid, argv, localPort) => record({ portForward: { pid, argv }, localPort }),
    });
    stoppers.push(forward.stop);
    facts.localPort = forward.port;
    if (facts.mode === "attach") {
      await attachDebugpy(ctx, kubectl, facts, {
        pid: facts.pid!,
        remotePort: facts.remotePort,
        debugpy: facts.command,
      });
    }
    await waitForDebugpy(forward.port, { ...facts, timeoutMs: o.timeoutMs, ended });
    ready = true;
    if (facts.mode === "launch") recordLaunchedDebugpy(kubectl, facts, record, () => active);
    await plan.mapped;
    facts.attachConfiguration = {
      ...facts.attachConfiguration,
      connect: { host: "127.0.0.1", port: forward.port },
    };
    return { facts, ended, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
