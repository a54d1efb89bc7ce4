// `debug --lift-liveness-probe`: the liveness probe of the debugged container taken out of its workload's
// pod template for the session (so a program paused at a breakpoint is not restarted), and put back as it
// was afterwards. The workload's controller rolls the change out (a pod restart at the start and at the
// end); a `helm upgrade` meanwhile puts the chart's probe back too.
import type { Kubectl } from "../adapters/kube.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import type { Probe } from "./probes.ts";
import { type Workload, workloadName } from "./workloads.ts";

/** A liveness probe lifted from a workload's pod template: what {@link restoreLivenessProbe} puts back. */
export interface LiftedProbe {
  /** `KIND/NAME` of the workload (StatefulSet, Deployment, DaemonSet). */
  workload: string;
  container: string;
  /** The container's index in the pod template when it was read. */
  index: number;
  /** The probe as the pod template had it (core/v1 Probe JSON). */
  probe: Probe;
}

type Json = Record<string, unknown>;

/** `kind/name` as kubectl takes it (`statefulset/x`). */
function resource(workload: string): string {
  const [kind, name] = workload.split("/");
  return `${kind.toLowerCase()}/${name}`;
}

async function templateContainers(
  kubectl: Kubectl,
  workload: string,
): Promise<{ spec: Json; containers: Json[] }> {
  const { data, error } = await kubectl.getJson([resource(workload)]);
  if (error || !data) {
    throw new FastcsError(`cannot read ${workload}: ${error?.stderr.trim()}`, {
      code: "debug.workload-read",
      exitCode: ExitCode.environment,
      hint: "Check the kube context and your access to it (kubectl get and patch on the workload).",
    });
  }
  const spec = (data.spec ?? {}) as Json;
  const template = ((spec.template as Json | undefined)?.spec ?? {}) as Json;
  return { spec, containers: (template.containers ?? []) as Json[] };
}

/** The JSON patch path of a container of the pod template, guarded by a `test` of its name. */
function containerPatch(index: number, container: string, op: Json): Json[] {
  const at = `/spec/template/spec/containers/${index}`;
  return [{ op: "test", path: `${at}/name`, value: container }, { ...op, path: `${at}/livenessProbe` }];
}

async function patch(kubectl: Kubectl, workload: string, ops: Json[]): Promise<void> {
  const r = await kubectl.run(["patch", resource(workload), "--type=json", "-p", JSON.stringify(ops)]);
  if (r.code !== 0) {
    throw new FastcsError(`cannot patch ${workload}: ${r.stderr.trim()}`, {
      code: "debug.workload-patch",
      exitCode: ExitCode.environment,
      hint: "Patching the workload needs the patch permission on it in this namespace.",
    });
  }
}

/**
 * Reads the liveness probe of `container` in the pod template of `workload`: what lifting it takes away.
 * Undefined when the template has none.
 *
 * @throws FastcsError exit 2 for a Job (its pods are not re-created with a changed template) or a workload
 *   with the OnDelete update strategy (its pods are not replaced); exit 6 when kubectl cannot read it
 */
export async function livenessToLift(
  kubectl: Kubectl,
  workload: Workload,
  container: string,
): Promise<LiftedProbe | undefined> {
  const name = workloadName(workload);
  const refuse = (why: string) =>
    new FastcsError(`--lift-liveness-probe cannot work on ${name}: ${why}`, {
      code: "usage",
      exitCode: ExitCode.usage,
      hint:
        "Keep pauses at breakpoints shorter than the probe allows, or change the probe in the release's " +
        "values for the time of debugging.",
    });
  if (workload.kind === "Job") throw refuse("a Job's pods are not re-created when its template changes");
  const { spec, containers } = await templateContainers(kubectl, name);
  if ((spec.updateStrategy as Json | undefined)?.type === "OnDelete") {
    throw refuse("its update strategy is OnDelete, so a changed template does not replace its pods");
  }
  const index = containers.findIndex((c) => c.name === container);
  const probe = containers[index]?.livenessProbe as Probe | undefined;
  return probe ? { workload: name, container, index, probe } : undefined;
}

/**
 * Removes the lifted probe from the workload's pod template (`kubectl patch --type=json`, guarded by the
 * container's name); the controller then replaces the pods.
 *
 * @throws FastcsError (exit code 6) when kubectl cannot read or patch the workload
 */
export async function liftLivenessProbe(kubectl: Kubectl, lifted: LiftedProbe): Promise<void> {
  const { containers } = await templateContainers(kubectl, lifted.workload);
  const index = containers.findIndex((c) => c.name === lifted.container);
  if (index < 0 || !containers[index].livenessProbe) return;
  await patch(kubectl, lifted.workload, containerPatch(index, lifted.container, { op: "remove" }));
}

/**
 * Puts the lifted probe back into the workload's pod template, unless the container has a liveness probe
 * again (a `helm upgrade` restored the chart's): then nothing is changed. Returns what happened.
 *
 * @throws FastcsError (exit code 6) when kubectl cannot read or patch the workload
 */
export async function restoreLivenessProbe(
  kubectl: Kubectl,
  lifted: LiftedProbe,
): Promise<"restored" | "already" | "gone"> {
  let containers: Json[];
  try {
    ({ containers } = await templateContainers(kubectl, lifted.workload));
  } catch (error) {
    const r = await kubectl.run(["get", resource(lifted.workload), "-o", "name"]);
    if (/NotFound|not found/.test(r.stderr)) return "gone";
    throw error;
  }
  const index = containers.findIndex((c) => c.name === lifted.container);
  if (index < 0) return "gone";
  if (containers[index].livenessProbe) return "already";
  await patch(
    kubectl,
    lifted.workload,
    containerPatch(index, lifted.container, { op: "add", value: lifted.probe }),
  );
  return "restored";
}

/** The `kubectl patch` command lifting would run, for `--dry-run`. */
export function liftCommand(kubectl: Kubectl, lifted: LiftedProbe): string[] {
  return [
    "kubectl",
    ...kubectl.flags,
    "patch",
    resource(lifted.workload),
    "--type=json",
    "-p",
    JSON.stringify(containerPatch(lifted.index, lifted.container, { op: "remove" })),
  ];
}
