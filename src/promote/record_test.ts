import assert from "node:assert/strict";
import { provenance } from "./record.ts";
import { ownLabels, type ReleasePlan } from "./plan.ts";

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
