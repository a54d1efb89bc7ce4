// --all-workers: one session per worker process of a multi-process server, side by side, each with its own
// debugpy, port-forward and attach configuration, recorded together under the session record's `workers`.
import type { Kubectl } from "../adapters/kube.ts";
import type { Context } from "../runtime/context.ts";
import type { WorkerRecord } from "./session_record.ts";
import { type DebugOptions, type DebugPlan, runDebug, type RunningDebug } from "./session.ts";

/**
 * Starts one session per worker of the plan (--all-workers), side by side: debugpy injected into each, each
 * with its own port-forward (local ports `o.localPort` + 0, 1, … or free ones), each recorded under the
 * record's `workers`. Returns when all answer DAP, with each worker's local port and attach configuration.
 *
 * @throws FastcsError as {@link runDebug} does, for the first worker that failed; the others are stopped.
 */
export async function runDebugWorkers(
  ctx: Context,
  kubectl: Kubectl,
  plan: DebugPlan,
  o: DebugOptions,
): Promise<RunningDebug> {
  const { facts } = plan;
  const workers = facts.workers ?? [];
  await plan.mapped;
  const recorded: WorkerRecord[] = workers.map((w) => ({ pid: w.pid, remotePort: w.remotePort }));
  const started = await Promise.allSettled(workers.map((w, i) =>
    runDebug(ctx, kubectl, {
      ...plan,
      facts: {
        ...facts,
        pid: w.pid,
        remotePort: w.remotePort,
        command: w.command,
        attachConfiguration: w.attachConfiguration,
        workers: undefined,
        compound: undefined,
      },
    }, {
      ...o,
      localPort: o.localPort !== undefined ? o.localPort + i : undefined,
      record: (patch) => {
        const { portForward, localPort, remotePort: _, ...rest } = patch;
        if (portForward) recorded[i].portForward = portForward;
        if (localPort !== undefined) recorded[i].localPort = localPort;
        return o.record?.({ ...rest, workers: recorded.map((r) => ({ ...r })) }) ?? Promise.resolve();
      },
    })
  ));
  const running = started.flatMap((r) => r.status === "fulfilled" ? [r.value] : []);
  const stop = async () => {
    await Promise.all(running.map((r) => r.stop()));
  };
  const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await stop();
    throw failed.reason;
  }
  running.forEach((r, i) => {
    workers[i].localPort = r.facts.localPort;
    workers[i].attachConfiguration = r.facts.attachConfiguration;
  });
  facts.localPort = workers[0].localPort;
  facts.attachConfiguration = workers[0].attachConfiguration;
  return { facts, ended: new Promise(() => {}), stop };
}
