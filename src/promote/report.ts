// What `helm fastcs promote` shows of a promotion, as plain functions over its data: the lines of each plan
// (and its diff), the promotion order, stuck and recovered releases, one line per result, the counts, the
// deletions of `--delete-source`, and the one JSON document of `-o json`. The command prints them.
import { FAILED, type PromoteResult } from "./apply.ts";
import type { ClusterPromotion } from "./flows.ts";
import type { FolderPlan } from "./gitops.ts";
import type { ReleasePlan } from "./plan.ts";
import type { SourceDeletion } from "./record.ts";
import { type Recovery, recoveryOf, type StuckRelease } from "./stuck.ts";

/**
 * The lines of one plan: source and target with the action (`install (no release prod-ioc there yet)`,
 * `upgrade of revision 3`), the chart's content digest and promoted keys, the server-side render and the
 * verified signature when they apply, the counts of changed resources; with `deleteSource` the deletion
 * that follows; then each resource's unified diff.
 */
export function planLines(p: ReleasePlan, deleteSource: boolean): string[] {
  const count = (c: string) => p.diff.changes.filter((x) => x.change === c).length;
  return [
    `${p.source.env}/${p.source.release} (revision ${p.source.revision}, ${p.source.chart} ${p.source.version}) -> ` +
    `${p.target.env}/${p.target.release} in namespace ${p.target.namespace}, kube context ${
      p.target.kubeContext ?? "current"
    }: ` +
    (p.action === "install"
      ? `install (no release ${p.target.release} there yet${
        p.createNamespace ? `; namespace ${p.target.namespace} does not exist: helm creates it` : ""
      })`
      : `upgrade of revision ${p.target.revision}`),
    `  chart ${p.contentDigest}; promoted keys: ${p.promotedKeys.join(", ") || "none"}`,
    ...(p.serverSideRender
      ? [
        "  the chart calls lookup: rendered against each environment's cluster (helm template --dry-run=server)",
      ]
      : []),
    ...(p.verifiedWith
      ? [`  signed: the cosign signature of ${p.digest} verifies with ${p.verifiedWith}`]
      : []),
    `  ${count("added")} added, ${count("changed")} changed, ${
      count("removed")
    } removed, ${p.diff.unchanged} unchanged`,
    ...(deleteSource
      ? [
        `  then (--delete-source, asked once ${p.target.env} runs it): delete ${p.source.env}/${p.source.release}, its history kept`,
      ]
      : []),
    ...p.diff.changes.map((c) => c.patch.trimEnd()),
  ];
}

/**
 * The promotion order of several plans, shown last before the question: `promotion order (SCOPE, ORDER):`,
 * one numbered line per plan (`1. staging-db -> prod-db: upgrade`, or `unchanged, skipped`), and what a
 * failure does (`stopOnFailure`). Nothing for a single plan.
 */
export function orderLines(
  plans: ReleasePlan[],
  chosen: { scope: string; order: string },
  stopOnFailure: boolean,
): string[] {
  if (plans.length <= 1) return [];
  return [
    `promotion order (${chosen.scope}, ${chosen.order}):`,
    ...plans.map((p, i) =>
      `  ${i + 1}. ${p.source.release} -> ${p.target.release}: ${
        p.diff.changes.length === 0 ? "unchanged, skipped" : p.action
      }`
    ),
    stopOnFailure
      ? "a release that fails is rolled back, and the ones after it are not attempted (--stop-on-failure)"
      : "a release that fails is rolled back, and the next one goes on (--stop-on-failure stops there)",
  ];
}

/** A stuck target release and what `--recover` will do with it, shown before the recovery question. */
export function stuckLine(env: string, s: StuckRelease): string {
  return `${env}/${s.release} is stuck: revision ${s.revision} is ${s.status} since ${s.updated}; --recover will ${
    recoveryOf(s)
  }`;
}

/** What `--recover` did to one release: `prod-ioc: recovered from pending-upgrade (revision 5): …`. */
export function recoveredLine(r: Recovery): string {
  return `${r.release}: recovered from ${r.stuck.status} (revision ${r.stuck.revision}): ${
    r.action === "rolled back" ? `rolled back to revision ${r.revision}` : "uninstalled"
  }`;
}

/** What `--delete-source` did to one source release (its kept history's description, or the error). */
export function deletionLine(d: SourceDeletion): string {
  return d.deleted
    ? `${d.release}: deleted from ${d.env} (helm history ${d.release} keeps "${d.description}")`
    : `${d.release}: not deleted from ${d.env}: ${d.error}`;
}

/** One line of the summary: `prod-api: rolled back (revision 3): <helm's error>`. */
export function resultLine(r: PromoteResult): string {
  const tests = r.tests?.passed
    ? `; helm test passed${r.tests.attempts > 1 ? ` on attempt ${r.tests.attempts}` : ""}`
    : "";
  if (r.status === "not attempted") {
    return `${r.release}: not attempted (${r.reason}); ${
      r.action === "install" ? "still not installed" : `still at revision ${r.revision}`
    }`;
  }
  return `${r.release}: ${r.status}${r.action === "install" && r.status === "promoted" ? ", installed" : ""}${
    r.revision ? ` (revision ${r.revision})` : ""
  }${tests}${r.error ? `: ${r.error}` : ""}`;
}

/** `2 promoted, 1 rolled back, 1 not attempted (of 4 release(s))`, in the order of first appearance. */
export function countResults(results: PromoteResult[]): string {
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return `${[...counts].map(([status, n]) => `${n} ${status}`).join(", ")} (of ${results.length} release(s))`;
}

/** True when a release of the results failed (rolled back, removed, or its tests failed: exit 11). */
export function anyFailed(results: PromoteResult[]): boolean {
  return results.some((r) => FAILED.includes(r.status));
}

/**
 * The one JSON document of `promote -o json` between clusters: the plans alone (an array, each with its
 * 1-based `order` and without the scratch `chartFile`) when nothing was applied, recovered or deleted; else
 * `{plans, results, interrupted, recovered, deletedSources}`.
 */
export function clusterDocument(done: ClusterPromotion): unknown {
  const plans = done.plans.map((p, i) => ({ ...p, chartFile: undefined, order: i + 1 }));
  return done.results || done.recovered.length > 0 || done.deletedSources.length > 0
    ? {
      plans,
      results: done.results ?? [],
      interrupted: done.interrupted,
      recovered: done.recovered,
      deletedSources: done.deletedSources,
    }
    : plans;
}

/** The JSON document of a GitOps promotion's plans: each file's path as `display` shows it. */
export function folderDocument(plans: FolderPlan[], display: (path: string) => string): unknown {
  return plans.map((p) => ({ ...p, files: p.files.map((f) => ({ path: display(f.path), patch: f.patch })) }));
}

/** The lines of the GitOps plans that change something: `staging/ioc -> prod/ioc: <what>`, then the patches. */
export function folderLines(from: string, to: string, plans: FolderPlan[]): string[] {
  return plans.filter((p) => p.files.length > 0).flatMap((p) => [
    `${from}/${p.service} -> ${to}/${p.service}: ${[...p.dependencies, ...p.promotedKeys].join(", ")}`,
    ...p.files.map((f) => f.patch.trimEnd()),
  ]);
}
