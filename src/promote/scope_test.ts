// Choosing the source releases of a promotion and their order, over a recording runner answering `helm list`
// as Helm 4.1.4 printed it on the test control plane (tests/e2e/promote_groups_test.ts runs the real Helm 3
// and 4 with the same selectors).
import assert from "node:assert/strict";
import { createReleaseHelm } from "../adapters/helm_release.ts";
import { recordingRunner } from "../runtime/recording_runner.ts";
import type { FastcsError } from "../runtime/errors.ts";
import type { Environment } from "./config.ts";
import { chooseReleases, malformedSelector, type ReleaseScope } from "./scope.ts";

const release = (name: string, status = "deployed", labels = "") => ({
  name,
  namespace: "staging",
  revision: "1",
  updated: "2026-11-21 16:01:34.570078929 +0000 UTC",
  status,
  chart: "fastcs-1.0.0",
  app_version: "0.1.0",
  labels, // not in Helm's output: what the scripted --selector below matches
});

/** staging, listed in Helm's order (by name): a release outside the pattern, an uninstalled one. */
const LISTED = [
  release("other-thing"),
  release("staging-api", "deployed", "team=core"),
  release("staging-db", "deployed", "team=core"),
  release("staging-gone", "uninstalled", "team=core"),
  release("staging-ioc"),
  release("staging-worker", "failed", "team=core"),
];

const STAGING: Environment = {
  name: "staging",
  kubeContext: "staging",
  namespace: "staging",
  release: "staging-{service}",
  values: [],
  protected: false,
};

function choose(scope: ReleaseScope) {
  const runner = recordingRunner([
    {
      match: (call) => call.args.includes("--selector"),
      result: (call) => {
        const selector = call.args[call.args.indexOf("--selector") + 1];
        if (selector.includes("==")) {
          return { code: 1, stderr: "Error: found '=', expected: ',' or 'end of string'\n" };
        }
        // Failures that have nothing to do with the selector, in Helm's words: the API server gone between the
        // two lists, and RBAC refusing to list the release Secrets.
        if (selector === "team=unreachable") {
          return {
            code: 1,
            stderr:
              'Error: kubernetes cluster unreachable: Get "https://127.0.0.1:6443/version": dial tcp 127.0.0.1:6443: connect: connection refused\n',
          };
        }
        if (selector === "team=forbidden") {
          return {
            code: 1,
            stderr:
              'Error: list: failed to list: secrets is forbidden: User "dev" cannot list resource "secrets" in API group "" in the namespace "staging"\n',
          };
        }
        return { stdout: JSON.stringify(LISTED.filter((r) => r.labels === selector)) };
      },
    },
    { match: ["list"], result: { stdout: JSON.stringify(LISTED) } },
  ]);
  const helm = createReleaseHelm(
    runner.run,
    "helm",
    "/repo",
    { namespace: "staging", context: "staging" },
    4,
  );
  return { runner, chosen: chooseReleases({ env: STAGING, helm }, scope) };
}

Deno.test("all: every release fitting the pattern, not uninstalled, by name", async () => {
  const { chosen } = choose({ kind: "all" });
  assert.deepEqual(await chosen, {
    releases: ["staging-api", "staging-db", "staging-ioc", "staging-worker"],
    scope: "all releases",
    order: "by release name",
  });
});

Deno.test("named: in the order named, once each; an unknown one is exit 5 naming those there", async () => {
  assert.deepEqual(
    (await choose({ kind: "named", releases: ["staging-ioc", "staging-api", "staging-ioc"] }).chosen)
      .releases,
    ["staging-ioc", "staging-api"],
  );
  await assert.rejects(
    choose({ kind: "named", releases: ["staging-nope"] }).chosen,
    (e: FastcsError) =>
      e.exitCode === 5 &&
      e.message ===
        "no release staging-nope in environment staging (namespace staging, kube context staging)" &&
      /Releases there: other-thing, staging-api/.test(e.hint!),
  );
});

Deno.test("group: the services' releases in the group's order; a missing or uninstalled one is exit 5", async () => {
  const group = { kind: "group", name: "core", file: "fastcs.yaml" } as const;
  assert.deepEqual(await choose({ ...group, services: ["worker", "db", "api"] }).chosen, {
    releases: ["staging-worker", "staging-db", "staging-api"],
    scope: "group core (fastcs.yaml)",
    order: "the group's order",
  });
  await assert.rejects(
    choose({ ...group, services: ["db", "gone", "cache"] }).chosen,
    (e: FastcsError) =>
      e.exitCode === 5 && e.code === "promote.group" &&
      e.message ===
        "group core (fastcs.yaml) names 2 release(s) that staging (namespace staging, kube context staging) does not run: staging-gone, staging-cache",
  );
});

Deno.test("selector: helm list --selector, live releases fitting the pattern, by name; a bad one is exit 2, none matching exit 5", async () => {
  const { runner, chosen } = choose({ kind: "selector", selector: "team=core" });
  assert.deepEqual(await chosen, {
    releases: ["staging-api", "staging-db", "staging-worker"],
    scope: "selector team=core",
    order: "by release name",
  });
  assert.deepEqual(runner.argvs()[1].slice(0, 6), ["helm", "list", "--max", "0", "--selector", "team=core"]);
  await assert.rejects(
    choose({ kind: "selector", selector: "team==core==x" }).chosen,
    (e: FastcsError) =>
      e.exitCode === 2 && /^helm refused the label selector "team==core==x": .*found '='/.test(e.message),
  );
  await assert.rejects(
    choose({ kind: "selector", selector: "team=edge" }).chosen,
    (e: FastcsError) =>
      e.exitCode === 5 &&
      e.message ===
        "no release of staging (namespace staging, kube context staging) matches the selector team=edge",
  );
});

Deno.test("selector: a helm list that fails for another reason is reported as that, not as a bad selector", async () => {
  await assert.rejects(
    choose({ kind: "selector", selector: "team=unreachable" }).chosen,
    (e: FastcsError) =>
      e.exitCode === 6 && e.code === "helm.unreachable" &&
      /^helm list --max 0 --selector team=unreachable in namespace staging \(kube context staging\) failed: Error: kubernetes cluster unreachable/
        .test(e.message) &&
      !/selector syntax/.test(e.hint ?? ""),
  );
  await assert.rejects(
    choose({ kind: "selector", selector: "team=forbidden" }).chosen,
    (e: FastcsError) =>
      e.exitCode === 6 && e.code === "helm.failed" && /secrets is forbidden: User "dev"/.test(e.message) &&
      !/refused the label selector/.test(e.message),
  );
});

Deno.test("malformedSelector: the errors of Kubernetes' label selector parser, and nothing else", () => {
  for (
    const stderr of [
      "Error: found '=', expected: ',' or 'end of string'",
      "Error: found ')', expected: !, identifier, or 'end of string'",
      "Error: found 'core' expected: '('", // `team in core`: this message of the parser has no comma
      "Error: found '', expected: identifier after ','",
      'Error: unable to parse requirement: <nil>: Invalid value: "Team_": name part must consist of alphanumeric characters',
      "Error: unable to parse requirement: for 'in', 'notin' operators, values set can't be empty",
    ]
  ) assert.equal(malformedSelector(`${stderr}\n`), true, stderr);
  for (
    const stderr of [
      'Error: kubernetes cluster unreachable: Get "https://127.0.0.1:6443/version": connection refused',
      'Error: list: failed to list: secrets is forbidden: User "dev" cannot list resource "secrets"',
      'Error: context "prod" does not exist',
      "Error: query: failed to query with labels: found no such thing", // not at the start of Helm's error
    ]
  ) assert.equal(malformedSelector(`${stderr}\n`), false, stderr);
});
