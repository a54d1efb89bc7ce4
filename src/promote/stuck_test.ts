// Finding stuck releases and explaining them, over a recording runner. The histories are the shapes
// `helm history -o json` printed on the test control plane after a helm upgrade (and a first install) was
// killed with SIGKILL mid-wait (Helm 3.17.3 and 4.1.4 print the same).
import assert from "node:assert/strict";
import { createReleaseHelm } from "../adapters/helm_release.ts";
import { recordingRunner } from "../runtime/recording_runner.ts";
import { FastcsError } from "../runtime/errors.ts";
import { findStuck, stuckError } from "./stuck.ts";

const entry = (revision: number, status: string, description: string) => ({
  revision,
  updated: `2026-11-21T14:4${revision}:00Z`,
  status,
  chart: "fastcs-1.0.0",
  app_version: "0.1.0",
  description,
});

const HISTORIES: Record<string, unknown[]> = {
  // Killed during an upgrade after an earlier recovery: an old pending revision stays in the history.
  "prod-ioc": [
    entry(1, "superseded", "Install complete"),
    entry(2, "pending-upgrade", "Preparing upgrade"),
    entry(3, "superseded", "Rollback to 1"),
    entry(4, "deployed", "Upgrade complete"),
    entry(5, "pending-upgrade", "Preparing upgrade"),
  ],
  "prod-new": [entry(1, "pending-install", "Initial install underway")],
};

function helmFor() {
  const runner = recordingRunner([{
    match: ["history"],
    result: (call) => ({ stdout: JSON.stringify(HISTORIES[call.args[1]]) }),
  }]);
  return {
    runner,
    helm: createReleaseHelm(runner.run, "helm", "/repo", { namespace: "prod", context: "prod" }, 4),
  };
}

Deno.test("stuck releases: only the chosen ones in pending-*, with their last deployed revision", async () => {
  const { runner, helm } = helmFor();
  const stuck = await findStuck(helm, ["prod-ioc", "prod-new", "prod-ok"], [
    { name: "prod-ioc", status: "pending-upgrade" },
    { name: "prod-new", status: "pending-install" },
    { name: "prod-ok", status: "deployed" },
    { name: "prod-other", status: "pending-rollback" }, // not promoted now: not asked about
  ]);
  assert.deepEqual(stuck, [
    {
      release: "prod-ioc",
      revision: 5,
      status: "pending-upgrade",
      updated: "2026-11-21T14:45:00Z",
      lastDeployed: 4,
    },
    {
      release: "prod-new",
      revision: 1,
      status: "pending-install",
      updated: "2026-11-21T14:41:00Z",
      lastDeployed: undefined,
    },
  ]);
  assert.deepEqual(runner.argvs().map((a) => a.slice(0, 3)), [
    ["helm", "history", "prod-ioc"],
    ["helm", "history", "prod-new"],
  ]);
});

Deno.test("the refusal names release, revision, status, kube context, and what --recover or a person does", async () => {
  const { helm } = helmFor();
  const stuck = await findStuck(helm, ["prod-ioc", "prod-new"], [
    { name: "prod-ioc", status: "pending-upgrade" },
    { name: "prod-new", status: "pending-install" },
  ]);
  const error = stuckError(stuck, { name: "prod" }, helm, "no --recover");
  assert.ok(error instanceof FastcsError);
  assert.equal(error.exitCode, 8);
  assert.match(error.message, /2 release\(s\) of prod \(namespace prod \(kube context prod\)\) are stuck/);
  assert.deepEqual(error.details, [
    "prod-ioc: revision 5 is pending-upgrade since 2026-11-21T14:45:00Z; --recover would roll it back to revision 4, its last deployed one (by hand: helm rollback prod-ioc 4 -n prod --kube-context prod)",
    "prod-new: revision 1 is pending-install since 2026-11-21T14:41:00Z; --recover would uninstall it: no revision of it ever got deployed (by hand: helm uninstall prod-new -n prod --kube-context prod)",
  ]);
  assert.match(error.hint ?? "", /no helm \(or promotion\) is still working on them/);
  assert.match(
    stuckError(stuck, { name: "prod" }, helm, "not applying").hint ?? "",
    /--recover acts only when promoting/,
  );
});
