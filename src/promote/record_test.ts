import assert from "node:assert/strict";
import { labelValue, promoter, provenance } from "./record.ts";
import { ownLabels, type ReleasePlan } from "./plan.ts";
import type { Context } from "../runtime/context.ts";

Deno.test("a release's own labels are those it was given: Helm's storage labels are left out", () => {
  assert.deepEqual(
    ownLabels({
      team: "core",
      name: "staging-db",
      owner: "helm",
      status: "deployed",
      version: "3",
      createdAt: "1795291241",
      modifiedAt: "1795291241",
    }),
    { team: "core" },
  );
  assert.deepEqual(ownLabels(undefined), {}, "Helm 3 shows none");
});

Deno.test("a promoted revision carries the source's own labels, then the provenance labels over any of those names", () => {
  const plan = {
    source: {
      env: "staging",
      release: "staging-db",
      revision: 3,
      chart: "fastcs",
      version: "1.2.0+build.7",
      labels: { team: "core", promotedFrom: "dev", promotedBy: "someone-else" },
    },
    contentDigest: `sha256:${"ab".repeat(32)}`,
  } as unknown as ReleasePlan;
  const { description, labels } = provenance(plan, "alice");
  assert.equal(
    description,
    `promoted from staging/staging-db revision 3: fastcs 1.2.0+build.7 ${plan.contentDigest} by alice`,
  );
  assert.deepEqual(labels, {
    team: "core",
    promotedFrom: "staging",
    promotedRevision: "3",
    chartVersion: "1.2.0_build.7",
    chartDigest: "abababababababab",
    promotedBy: "alice",
  });
});

// Kubernetes' IsValidLabelValue (k8s.io/apimachinery/pkg/util/validation): the API server refuses a release
// Secret with any other label value, and with it the whole helm upgrade.
const K8S_LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

Deno.test("who promotes and the chart version are label values the API server takes, whatever the user name", () => {
  for (
    const [user, shown] of [
      ["alice", "alice"],
      ["svc-deploy$", "svc-deploy"], // a Windows service account
      ["_ci", "ci"],
      ["CORP\\bob (admin)", "CORP_bob__admin"],
      ["é", "unknown"],
      [`${"a".repeat(62)}.b`, "a".repeat(62)],
      [undefined, "unknown"],
    ] as const
  ) {
    const who = promoter({ env: { user } } as unknown as Context);
    assert.equal(who, shown, `USER=${user}`);
    assert.match(who, K8S_LABEL_VALUE);
  }
  for (const version of ["1.2.0+build.7", "1.0.0-rc-", `1.0.0-${"x".repeat(57)}.y`]) {
    assert.match(labelValue(version, "unknown"), K8S_LABEL_VALUE, version);
    assert.ok(labelValue(version, "unknown").length <= 63);
  }
});

Deno.test("an environment name no label value can hold (the project file allows any) still gives a promotedFrom the API server takes", () => {
  const plan = {
    source: { env: "eu prod/1", release: "x", revision: 1, chart: "c", version: "1.0.0", labels: {} },
    contentDigest: `sha256:${"ab".repeat(32)}`,
  } as unknown as ReleasePlan;
  const { description, labels } = provenance(plan, "alice");
  assert.equal(labels.promotedFrom, "eu_prod_1");
  assert.match(
    description,
    /^promoted from eu prod\/1\/x revision 1: /,
    "the description keeps the name as written",
  );
  for (const value of Object.values(labels)) assert.match(value, K8S_LABEL_VALUE);
});
