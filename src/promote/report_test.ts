// What promote prints of plans and results (src/promote/report.ts), over plans and results as flows.ts returns
// them: the summary lines, the counts, the order shown before the question, and the shape of -o json.
import assert from "node:assert/strict";
import type { PromoteResult } from "./apply.ts";
import type { ClusterPromotion } from "./flows.ts";
import type { ReleasePlan } from "./plan.ts";
import { anyFailed, clusterDocument, countResults, orderLines, planLines, resultLine } from "./report.ts";

const plan = (service: string, action: "install" | "upgrade", changes: number): ReleasePlan => ({
  service,
  source: {
    env: "staging",
    release: `staging-${service}`,
    revision: 3,
    chart: "fastcs",
    version: "1.2.0",
    labels: {},
  },
  target: {
    env: "prod",
    release: `prod-${service}`,
    namespace: "prod",
    kubeContext: "prod",
    revision: action === "upgrade" ? 7 : undefined,
  },
  action,
  chartFile: "/tmp/scratch/fastcs-1.2.0.tgz",
  contentDigest: "sha256:" + "a".repeat(64),
  promotedKeys: ["image.tag"],
  valuesFiles: [],
  diff: {
    changes: Array.from({ length: changes }, (_, i) => ({
      resource: `ConfigMap/c${i}`,
      change: "changed" as const,
      patch: `--- ConfigMap/c${i}\n+++ ConfigMap/c${i}\n`,
    })),
    unchanged: 1,
  },
  hasTests: false,
  serverSideRender: false,
});

Deno.test("resultLine: each status as the summary says it, with tests, errors and what still runs", () => {
  const r = (x: Partial<PromoteResult>): PromoteResult => ({
    release: "prod-api",
    action: "upgrade",
    status: "promoted",
    ...x,
  });
  assert.equal(
    resultLine(r({ revision: 8, tests: { passed: true, attempts: 2 } })),
    "prod-api: promoted (revision 8); helm test passed on attempt 2",
  );
  assert.equal(
    resultLine(r({ action: "install", revision: 1 })),
    "prod-api: promoted, installed (revision 1)",
  );
  assert.equal(
    resultLine(r({ status: "rolled back", revision: 7, error: "timed out" })),
    "prod-api: rolled back (revision 7): timed out",
  );
  assert.equal(
    resultLine(r({ status: "not attempted", revision: 7, reason: "interrupted (Ctrl+C)" })),
    "prod-api: not attempted (interrupted (Ctrl+C)); still at revision 7",
  );
  assert.equal(
    resultLine(r({ status: "not attempted", action: "install", reason: "stopped" })),
    "prod-api: not attempted (stopped); still not installed",
  );
});

Deno.test("countResults and anyFailed: counts in order of first appearance; rolled back, failed, test failed fail", () => {
  const results = ["promoted", "rolled back", "promoted", "not attempted"].map((status) => ({
    release: "r",
    action: "upgrade" as const,
    status: status as PromoteResult["status"],
  }));
  assert.equal(countResults(results), "2 promoted, 1 rolled back, 1 not attempted (of 4 release(s))");
  assert.equal(anyFailed(results), true);
  assert.equal(anyFailed(results.filter((r) => r.status !== "rolled back")), false);
  assert.equal(anyFailed([{ ...results[0], status: "test failed" }]), true);
});

Deno.test("orderLines: several plans in order with their action, unchanged ones skipped; none for one plan", () => {
  const plans = [plan("db", "upgrade", 1), plan("api", "install", 2), plan("worker", "upgrade", 0)];
  const chosen = { scope: "group core (fastcs.yaml)", order: "the group's order" };
  assert.deepEqual(orderLines(plans, chosen, true), [
    "promotion order (group core (fastcs.yaml), the group's order):",
    "  1. staging-db -> prod-db: upgrade",
    "  2. staging-api -> prod-api: install",
    "  3. staging-worker -> prod-worker: unchanged, skipped",
    "a release that fails is rolled back, and the ones after it are not attempted (--stop-on-failure)",
  ]);
  assert.deepEqual(orderLines(plans.slice(0, 1), chosen, false), []);
});

Deno.test("planLines: the action, the counts, the --delete-source line before the patches", () => {
  const lines = planLines({ ...plan("ioc", "install", 1), createNamespace: true }, true);
  assert.equal(
    lines[0],
    "staging/staging-ioc (revision 3, fastcs 1.2.0) -> prod/prod-ioc in namespace prod, kube context prod: install (no release prod-ioc there yet; namespace prod does not exist: helm creates it)",
  );
  assert.equal(lines[2], "  0 added, 1 changed, 0 removed, 1 unchanged");
  assert.match(
    lines[3],
    /^ {2}then \(--delete-source, asked once prod runs it\): delete staging\/staging-ioc/,
  );
  assert.equal(lines[4], "--- ConfigMap/c0\n+++ ConfigMap/c0");
});

Deno.test("clusterDocument: a dry run is the bare array of plans with their order; an applied one an object", () => {
  const done: ClusterPromotion = {
    stage: "dry-run",
    plans: [plan("db", "upgrade", 1), plan("api", "upgrade", 1)],
    scope: "all releases",
    order: "by release name",
    interrupted: false,
    recovered: [],
    deletedSources: [],
  };
  const dry = JSON.parse(JSON.stringify(clusterDocument(done)));
  assert.ok(Array.isArray(dry));
  assert.deepEqual(dry.map((p: { order: number; chartFile?: string }) => [p.order, p.chartFile]), [
    [1, undefined],
    [2, undefined],
  ]);
  const applied = clusterDocument({ ...done, stage: "applied", results: [] }) as Record<string, unknown>;
  assert.deepEqual(Object.keys(applied), ["plans", "results", "interrupted", "recovered", "deletedSources"]);
});
