// The workloads of a release, read from its manifest (`helm get manifest`, sub-chart resources included):
// the StatefulSets, Deployments, DaemonSets and Jobs whose pods `debug` can work in, their pod selectors as
// kubectl label selectors, and the choice among several.
import { parseAllDocuments } from "../deps/yaml.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";

/** The kinds of workload whose pods run a program to debug (apps/v1 and batch/v1). */
export const WORKLOAD_KINDS = ["StatefulSet", "Deployment", "DaemonSet", "Job"] as const;

/** One of {@link WORKLOAD_KINDS}. */
export type WorkloadKind = typeof WORKLOAD_KINDS[number];

/** A workload of the release, as its manifest declares it. */
export interface Workload {
  kind: WorkloadKind;
  name: string;
  /** `metadata.namespace` when the manifest sets it (else the release's namespace). */
  namespace?: string;
  /** The pod selector as a kubectl `-l` label selector (`k=v,k2 in (a,b),!k3`). */
  selector: string;
  /** Labels of its pod template. */
  podLabels: Record<string, string>;
  /** The template file it was rendered from (Helm's `# Source:` line), e.g. `p47/charts/ioc/templates/x.yaml`. */
  source?: string;
}

/** `KIND/NAME`, as `--workload` takes it and messages show it. */
export function workloadName(w: Workload): string {
  return `${w.kind}/${w.name}`;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === "object" && !Array.isArray(v) ? v as Json : {});
const stringMap = (v: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(obj(v)).map(([k, x]) => [k, String(x)]));

/**
 * The label selector of a `LabelSelector` (matchLabels and matchExpressions with the operators In, NotIn,
 * Exists, DoesNotExist, as Kubernetes defines them), in kubectl's `-l` syntax; undefined when it is empty.
 */
export function labelSelector(selector: unknown): string | undefined {
  const s = obj(selector);
  const parts = Object.entries(stringMap(s.matchLabels)).map(([k, v]) => `${k}=${v}`);
  for (const e of Array.isArray(s.matchExpressions) ? s.matchExpressions : []) {
    const { key, operator, values } = obj(e) as { key?: string; operator?: string; values?: unknown };
    const list = Array.isArray(values) ? values.map(String).join(",") : "";
    if (!key) continue;
    if (operator === "In") parts.push(`${key} in (${list})`);
    else if (operator === "NotIn") parts.push(`${key} notin (${list})`);
    else if (operator === "Exists") parts.push(key);
    else if (operator === "DoesNotExist") parts.push(`!${key}`);
  }
  return parts.length ? parts.join(",") : undefined;
}

/**
 * The workloads in a release manifest (YAML documents separated by `---`, each preceded by Helm's
 * `# Source: chart/templates/file.yaml` comment), in manifest order. A Job without a selector gets the one
 * the Job controller gives its pods (`job-name=<name>`, Kubernetes batch/v1); other workloads without one
 * are left out (the API server would reject them).
 *
 * @throws FastcsError (exit code 5) when the manifest is not YAML
 */
export function findWorkloads(manifest: string): Workload[] {
  const found: Workload[] = [];
  for (const doc of parseAllDocuments(manifest)) {
    if ("errors" in doc && doc.errors.length > 0) {
      throw new FastcsError(`the release manifest is not valid YAML: ${doc.errors[0].message}`, {
        code: "debug.manifest",
        exitCode: ExitCode.input,
      });
    }
    const data = obj(doc.toJS());
    const kind = WORKLOAD_KINDS.find((k) => k === data.kind);
    const meta = obj(data.metadata);
    if (!kind || typeof meta.name !== "string") continue;
    const spec = obj(data.spec);
    const selector = labelSelector(spec.selector) ?? (kind === "Job" ? `job-name=${meta.name}` : undefined);
    if (!selector) continue;
    const comment = [doc.commentBefore, (doc.contents as { commentBefore?: string } | null)?.commentBefore]
      .join("\n");
    const source = /^\s*#?\s*Source: (.+)$/m.exec(comment)?.[1]?.trim();
    found.push({
      kind,
      name: meta.name,
      namespace: typeof meta.namespace === "string" ? meta.namespace : undefined,
      selector,
      podLabels: stringMap(obj(obj(spec.template).metadata).labels),
      source,
    });
  }
  return found;
}

/** Short names kubectl accepts for each kind (`kubectl api-resources`), for `--workload`. */
const KIND_NAMES: Record<WorkloadKind, string[]> = {
  StatefulSet: ["statefulset", "statefulsets", "sts"],
  Deployment: ["deployment", "deployments", "deploy"],
  DaemonSet: ["daemonset", "daemonsets", "ds"],
  Job: ["job", "jobs"],
};

/**
 * The workload to debug: the one `asked` names (`KIND/NAME`, kind case-insensitive or kubectl's short
 * name: `sts/x`, `deploy/x`), else the only one, else the only one `prefer` accepts (a profile's hint, e.g.
 * the fastcs chart's labels).
 *
 * @throws FastcsError (exit code 5) when the release has no workload, `asked` is not one of them, or the
 *   choice is not clear; the message lists the workloads and the hint says `--workload`
 */
export function chooseWorkload(
  workloads: Workload[],
  o: { release: string; asked?: string; prefer?: (w: Workload) => boolean },
): Workload {
  const list = workloads.map(workloadName).join(", ");
  if (workloads.length === 0) {
    throw new FastcsError(
      `release ${o.release} has no ${WORKLOAD_KINDS.join(", ")} in its manifest, so no pod to debug`,
      {
        code: "debug.no-workload",
        exitCode: ExitCode.input,
        hint: `helm get manifest ${o.release} shows what it installs.`,
      },
    );
  }
  if (o.asked !== undefined) {
    const [kind, name] = o.asked.includes("/") ? o.asked.split("/", 2) : ["", o.asked];
    const match = workloads.filter((w) =>
      w.name === name && (kind === "" || KIND_NAMES[w.kind].includes(kind.toLowerCase()))
    );
    if (match.length === 1) return match[0];
    throw new FastcsError(
      match.length === 0
        ? `release ${o.release} has no workload ${o.asked}`
        : `--workload ${o.asked} names several workloads of release ${o.release}`,
      {
        code: "debug.workload",
        exitCode: ExitCode.input,
        hint: `Its workloads: ${list}; choose with --workload KIND/NAME.`,
      },
    );
  }
  if (workloads.length === 1) return workloads[0];
  const preferred = o.prefer ? workloads.filter(o.prefer) : [];
  if (preferred.length === 1) return preferred[0];
  throw new FastcsError(`release ${o.release} has several workloads: ${list}`, {
    code: "debug.workload",
    exitCode: ExitCode.input,
    hint: `Choose one with --workload KIND/NAME (e.g. --workload ${workloadName(workloads[0])}).`,
  });
}
