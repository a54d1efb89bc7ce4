// Which pod and container of a release `debug` works in: a pure choice over what kubectl listed, so the rules
// (asked for, annotated default, the only one, the fastcs chart's) are stated once and unit-tested.
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import type { ContainerProbes } from "./probes.ts";

/** The parts of a pod (`kubectl get pods -o json`) the choice reads. */
export interface PodListing {
  metadata: { name: string; deletionTimestamp?: string; annotations?: Record<string, string> };
  spec: { containers: ({ name: string } & ContainerProbes)[] };
  status?: { conditions?: { type: string; status: string }[] };
}

/** The annotation naming a pod's default container (`kubectl exec` and `kubectl logs` use it too). */
export const DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container";

/** The container the fastcs chart runs its program in. */
const FASTCS_CONTAINER = "fastcs";

/** True when the pod's Ready condition is True. */
export function podReady(pod: PodListing): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

/**
 * The pod to debug among `pods` (those of the release, not being deleted, sorted by name): the one named
 * `asked`, else the first Ready one, else the first (to wait for). `undefined` when there is none yet.
 *
 * @throws FastcsError (exit code 5) when `asked` is not among them, listing those there are
 */
export function choosePod(
  pods: PodListing[],
  asked: string | undefined,
  release: string,
): PodListing | undefined {
  const live = pods.filter((p) => !p.metadata.deletionTimestamp)
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  if (asked !== undefined) {
    const pod = live.find((p) => p.metadata.name === asked);
    if (!pod && live.length > 0) {
      throw new FastcsError(`pod ${asked} is not a pod of release ${release}`, {
        code: "debug.pod-unknown",
        exitCode: ExitCode.input,
        hint: `Its pods: ${live.map((p) => p.metadata.name).join(", ")}; choose one with --pod.`,
      });
    }
    return pod;
  }
  return live.find(podReady) ?? live[0];
}

/**
 * The container of `pod` to debug: `asked` (--container), else the pod's
 * `kubectl.kubernetes.io/default-container` annotation, else its only container, else the fastcs chart's
 * `fastcs` container.
 *
 * @throws FastcsError (exit code 5) when `asked` is not in the pod, or the choice is not clear, listing the
 *   pod's containers
 */
export function chooseContainer(pod: PodListing, asked: string | undefined, release: string): string {
  const names = pod.spec.containers.map((c) => c.name);
  const annotated = pod.metadata.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  const chosen = asked ??
    (annotated !== undefined && names.includes(annotated) ? annotated : undefined) ??
    (names.length === 1 ? names[0] : undefined) ??
    (names.includes(FASTCS_CONTAINER) ? FASTCS_CONTAINER : undefined);
  if (chosen !== undefined && names.includes(chosen)) return chosen;
  throw new FastcsError(
    chosen === undefined
      ? `pod ${pod.metadata.name} of release ${release} has several containers and none is its default`
      : `pod ${pod.metadata.name} of release ${release} has no container ${chosen}`,
    {
      code: "debug.container",
      exitCode: ExitCode.input,
      hint: `Its containers: ${names.join(", ")}; choose with --container.`,
    },
  );
}
