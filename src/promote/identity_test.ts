// The gate of a promotion (src/promote/identity.ts): a source release that is not verified, and a chart that
// does not render what runs, told apart from one that renders differently each time. Manifests are written
// here as `helm get manifest` and `helm template` print them.
import assert from "node:assert/strict";
import { compareWithRunning, sourceRefusals } from "./identity.ts";

const doc = (kind: string, name: string, data: Record<string, string>) =>
  [
    "---",
    "apiVersion: v1",
    `kind: ${kind}`,
    "metadata:",
    `  name: ${name}`,
    "data:",
    ...Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`),
  ].join("\n");

const HOOK = [
  "---",
  "apiVersion: v1",
  "kind: Pod",
  "metadata:",
  "  name: ioc-check",
  "  annotations:",
  '    "helm.sh/hook": test',
].join("\n");

Deno.test("sourceRefusals: not deployed, or a test hook whose last run failed; none for a verified release", () => {
  const hooks = (phase: string) => ({
    hooks: [
      { name: "ioc-check", events: ["test"], last_run: { phase } },
      { name: "ioc-setup", events: ["pre-install"], last_run: { phase: "Failed" } },
    ],
  });
  assert.deepEqual(sourceRefusals("staging-ioc", "staging", { status: "deployed" }, hooks("Succeeded")), []);
  assert.deepEqual(sourceRefusals("staging-ioc", "staging", { status: "failed" }, hooks("Failed")), [
    "staging-ioc in staging is failed, not deployed",
    "staging-ioc in staging: its last helm test failed (ioc-check)",
  ]);
  assert.deepEqual(sourceRefusals("staging-ioc", "staging", { status: "deployed" }, undefined), []);
});

Deno.test("compareWithRunning: the same resources (hooks aside) pass without a second render", async () => {
  const running = doc("ConfigMap", "ioc", { site: "staging" });
  let renders = 0;
  const check = await compareWithRunning(running, `${running}\n${HOOK}`, () => {
    renders++;
    return Promise.resolve({ code: 0, stdout: "" });
  });
  assert.deepEqual(check, { changed: [], unstable: [] });
  assert.equal(renders, 0);
});

Deno.test("compareWithRunning: a resource that renders the same twice is changed, one that does not unstable", async () => {
  const running = [doc("ConfigMap", "ioc", { site: "staging" }), doc("Secret", "token", { t: "aaa" })].join(
    "\n",
  );
  const rendered = [doc("ConfigMap", "ioc", { site: "other" }), doc("Secret", "token", { t: "bbb" })].join(
    "\n",
  );
  const again = [doc("ConfigMap", "ioc", { site: "other" }), doc("Secret", "token", { t: "ccc" })].join("\n");
  assert.deepEqual(
    await compareWithRunning(running, rendered, () => Promise.resolve({ code: 0, stdout: again })),
    { changed: ["ConfigMap/ioc"], unstable: ["Secret/token"] },
  );
  // A second render that fails tells nothing: every difference counts against the artifact.
  assert.deepEqual(
    await compareWithRunning(running, rendered, () => Promise.resolve({ code: 1, stdout: "" })),
    { changed: ["ConfigMap/ioc", "Secret/token"], unstable: [] },
  );
});
