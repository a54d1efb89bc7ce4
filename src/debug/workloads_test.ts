import assert from "node:assert/strict";
import type { FastcsError } from "../runtime/errors.ts";
import { chooseWorkload, findWorkloads, labelSelector, type Workload } from "./workloads.ts";

// The shape of `helm get manifest` for an umbrella chart with a sub-chart: `---`, Helm's `# Source:` line,
// then the resource.
const MANIFEST = `---
# Source: p47/charts/ioc/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: p47
spec:
  selector: {app: x}
---
# Source: p47/charts/ioc/templates/statefulset.yaml
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: p47
spec:
  selector:
    matchLabels: {app.kubernetes.io/name: ioc, app.kubernetes.io/instance: p47}
  template:
    metadata:
      labels: {app.kubernetes.io/name: ioc, app.kubernetes.io/instance: p47}
---
# Source: p47/templates/api.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: other
spec:
  selector:
    matchLabels: {app: api}
    matchExpressions:
      - {key: tier, operator: In, values: [web, api]}
      - {key: canary, operator: DoesNotExist}
  template:
    metadata:
      labels: {app: api, tier: web}
---
# Source: p47/templates/migrate.yaml
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  template:
    spec: {containers: [{name: m, image: x}]}
`;

Deno.test("workloads are read from the manifest, sub-chart resources included, with their pod selectors", () => {
  const found = findWorkloads(MANIFEST);
  assert.deepEqual(found.map((w) => [w.kind, w.name, w.selector, w.source]), [
    [
      "StatefulSet",
      "p47",
      "app.kubernetes.io/name=ioc,app.kubernetes.io/instance=p47",
      "p47/charts/ioc/templates/statefulset.yaml",
    ],
    ["Deployment", "api", "app=api,tier in (web,api),!canary", "p47/templates/api.yaml"],
    // A Job without a selector: the label the Job controller puts on its pods.
    ["Job", "migrate", "job-name=migrate", "p47/templates/migrate.yaml"],
  ]);
  assert.equal(found[1].namespace, "other");
  assert.deepEqual(found[0].podLabels, {
    "app.kubernetes.io/name": "ioc",
    "app.kubernetes.io/instance": "p47",
  });
  assert.equal(
    labelSelector({
      matchExpressions: [{ key: "a", operator: "NotIn", values: ["x"] }, { key: "b", operator: "Exists" }],
    }),
    "a notin (x),b",
  );
  assert.equal(labelSelector({}), undefined);
  assert.deepEqual(findWorkloads(""), []);
  assert.throws(() => findWorkloads("kind: [unclosed"), /the release manifest is not valid YAML/);
});

Deno.test("the workload: asked for (kind or kubectl short name), the only one, a profile's preference, else a clear error", () => {
  const all = findWorkloads(MANIFEST);
  const name = (w: Workload) => `${w.kind}/${w.name}`;
  assert.equal(name(chooseWorkload(all, { release: "p47", asked: "deploy/api" })), "Deployment/api");
  assert.equal(name(chooseWorkload(all, { release: "p47", asked: "statefulset/p47" })), "StatefulSet/p47");
  assert.equal(name(chooseWorkload(all, { release: "p47", asked: "Job/migrate" })), "Job/migrate");
  assert.equal(name(chooseWorkload(all.slice(0, 1), { release: "p47" })), "StatefulSet/p47");
  assert.equal(
    name(
      chooseWorkload(all, { release: "p47", prefer: (w) => w.podLabels["app.kubernetes.io/name"] === "ioc" }),
    ),
    "StatefulSet/p47",
  );
  assert.throws(
    () => chooseWorkload(all, { release: "p47" }),
    (e: FastcsError) => {
      assert.equal(e.exitCode, 5);
      assert.equal(
        e.message,
        "release p47 has several workloads: StatefulSet/p47, Deployment/api, Job/migrate",
      );
      assert.match(e.hint!, /--workload KIND\/NAME \(e\.g\. --workload StatefulSet\/p47\)/);
      return true;
    },
  );
  assert.throws(
    () => chooseWorkload(all, { release: "p47", asked: "sts/api" }),
    (e: FastcsError) =>
      /has no workload sts\/api/.test(e.message) && /Its workloads: StatefulSet\/p47/.test(e.hint!),
  );
  assert.throws(
    () => chooseWorkload([], { release: "cfg" }),
    /release cfg has no StatefulSet, Deployment, DaemonSet, Job in its manifest/,
  );
});
