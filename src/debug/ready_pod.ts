// Waiting for the pod to debug: the workload's pods listed until the asked one, or the first, is Ready, and its
// container chosen (src/debug/pods.ts states the choice).
import type { Kubectl } from "../adapters/kube.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { chooseContainer, choosePod, type PodListing, podReady } from "./pods.ts";
import type { ContainerProbes } from "./probes.ts";
import type { DebugOptions } from "./session.ts";
import { type Workload, workloadName } from "./workloads.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits for the pod to debug (--pod, else the first Ready one) among the workload's pods and chooses its
 * container; says which when there was a choice. With `withoutLiveness` (a container's name), only pods
 * whose container of that name has no liveness probe count (the new pods of a lifted probe's rollout).
 * Polls `kubectl get pods -l SELECTOR` every 500 ms for up to `o.timeoutMs` milliseconds.
 *
 * @throws FastcsError exit 6 (`debug.kubectl`) when the pods cannot be listed, (`debug.pod`) when no pod, or
 *   not the asked one, is Ready in time; exit 5 from the pod or container choice ({@link choosePod},
 *   {@link chooseContainer})
 */
export async function readyPod(
  ctx: Context,
  kubectl: Kubectl,
  o: DebugOptions,
  workload: Workload,
  where: string,
  withoutLiveness?: string,
): Promise<{ pod: string; container: string; spec: ContainerProbes }> {
  const selector = workload.selector;
  const name = workloadName(workload);
  const deadline = Date.now() + o.timeoutMs;
  let told = false;
  while (true) {
    const { data, error } = await kubectl.getJson(["pods", "-l", selector]);
    if (error) {
      throw new FastcsError(
        `cannot list the pods of ${name} (release ${o.release}) in ${where}: ${error.stderr.trim()}`,
        {
          code: "debug.kubectl",
          exitCode: ExitCode.environment,
          hint: error.code === 127
            ? "Install kubectl (it must be on PATH)."
            : "Check the kube context and your access to it.",
        },
      );
    }
    const pods = ((data?.items ?? []) as PodListing[]).filter((p) =>
      !p.spec.containers.some((c) => c.name === withoutLiveness && c.livenessProbe)
    );
    const pod = choosePod(pods, o.pod, o.release);
    const container = pod ? chooseContainer(pod, o.container, o.release) : undefined;
    if (pod && container && podReady(pod)) {
      const live = pods.filter((p) => !p.metadata.deletionTimestamp);
      if (live.length > 1 && o.pod === undefined) {
        ctx.log.info(
          `pod ${pod.metadata.name}: the first Ready of ${live.length} pods of ${name} (--pod to choose)`,
        );
      }
      return {
        pod: pod.metadata.name,
        container,
        spec: pod.spec.containers.find((c) => c.name === container) ?? {},
      };
    }
    if (Date.now() > deadline) {
      throw new FastcsError(
        pod
          ? `pod ${pod.metadata.name} of release ${o.release} did not become Ready within ${
            o.timeoutMs / 1000
          } s`
          : `no pod of ${name} (labels ${selector})${o.pod ? ` named ${o.pod}` : ""} in ${where} within ${
            o.timeoutMs / 1000
          } s`,
        {
          code: "debug.pod",
          exitCode: ExitCode.environment,
          hint: pod
            ? `kubectl describe pod ${pod.metadata.name} -n ... shows why; --timeout waits longer.`
            : "Is the release installed with pods running (helm status)? A Job's pods may be gone once it completed.",
        },
      );
    }
    if (!told) {
      ctx.log.info(
        pod
          ? `waiting for pod ${pod.metadata.name} to be Ready...`
          : `waiting for a pod of ${name} (labels ${selector})${
            withoutLiveness ? " without the liveness probe" : ""
          }...`,
      );
      told = true;
    }
    await sleep(500);
  }
}
