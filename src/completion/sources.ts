// The values shell completion reads from the outside world: chart names from the charts folder, environment
// names from the promotion project file, release names from the cluster (through Helm, with a time limit:
// a completion that hangs on an unreachable cluster is worse than none).
import { resolve } from "node:path";
import { adaptersOf } from "../adapters/factory.ts";
import { kubeTarget } from "../adapters/kube.ts";
import { findCharts, resolveChartsDir } from "../chart/charts.ts";
import { parseDocument } from "../deps/yaml.ts";
import type { Context } from "../runtime/context.ts";
import type { Candidate, CompletionSources } from "./complete.ts";

/** How long `helm list` may take for completing a release name, in milliseconds. */
export const RELEASES_TIMEOUT_MS = 3_000;

/**
 * The environment names of a promotion project file (see src/promote/config.ts for its format), each
 * described by where it lives. Read leniently: completion offers what it can read, and the file is
 * checked for real by `promote` itself.
 *
 * @throws Error when the file cannot be read.
 */
export async function environmentCandidates(file: string): Promise<Candidate[]> {
  const doc = parseDocument(await Deno.readTextFile(file)).toJS() as {
    environments?: Record<string, { namespace?: unknown; kubeContext?: unknown; path?: unknown } | null>;
  } | null;
  const environments = doc?.environments;
  if (!environments || typeof environments !== "object") return [];
  return Object.entries(environments).map(([value, e]) => ({
    value,
    description: typeof e?.path === "string"
      ? `GitOps folder ${e.path}`
      : `namespace ${typeof e?.namespace === "string" ? e.namespace : value}${
        typeof e?.kubeContext === "string" ? `, kube context ${e.kubeContext}` : ""
      }`,
  }));
}

/**
 * The group names of a promotion project file (`groups:`, see src/promote/config.ts), each described by its
 * services in promotion order. Read leniently, like {@link environmentCandidates}.
 *
 * @throws Error when the file cannot be read.
 */
export async function groupCandidates(file: string): Promise<Candidate[]> {
  const doc = parseDocument(await Deno.readTextFile(file)).toJS() as { groups?: unknown } | null;
  const groups = doc?.groups;
  if (!groups || typeof groups !== "object" || Array.isArray(groups)) return [];
  return Object.entries(groups as Record<string, unknown>).map(([value, services]) => ({
    value,
    description: Array.isArray(services) ? services.map(String).join(", ") : undefined,
  }));
}

/** The sources of a run: paths resolved against `ctx.cwd`, releases in Helm's namespace and kube context. */
export function completionSources(ctx: Context): CompletionSources {
  return {
    async charts(chartsDir) {
      const charts = await findCharts(await resolveChartsDir(ctx.cwd, chartsDir), ctx.display);
      return charts.map((c) => ({ value: c.name, description: ctx.display(c.dir) }));
    },
    environments: (file) => environmentCandidates(resolve(ctx.cwd, file)),
    groups: (file) => groupCandidates(resolve(ctx.cwd, file)),
    async releases() {
      const releases = await adaptersOf(ctx).releaseHelm(kubeTarget(ctx.env)).list(RELEASES_TIMEOUT_MS);
      return releases.map((r) => ({ value: r.name, description: `${r.chart}, ${r.status}` }));
    },
  };
}
