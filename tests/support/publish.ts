// Shared by the publish tests: Helm's environment for a test, and helm fastcs publish in a test repo.
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, helmHomes, run, type RunResult, tool, toolsBin } from "../helpers.ts";
import type { TestRepo } from "./git_repo.ts";
import type { TestRegistry } from "./registry.ts";

/** Helm homes and registry config of their own, the tools on PATH, and no CI tag. */
export async function envFor(helm: "helm3" | "helm4"): Promise<Record<string, string>> {
  const home = await Deno.makeTempDir({ prefix: "fastcs-helm-home-" });
  return {
    HELM_BIN: tool(helm),
    ...helmHomes(home),
    HELM_REGISTRY_CONFIG: join(home, "registry.json"),
    PATH: `${toolsBin()}:${Deno.env.get("PATH")}`,
    GITHUB_REF: "",
  };
}

/** Runs helm fastcs publish in the repo. */
export function publish(repo: TestRepo, env: Record<string, string>, ...args: string[]): Promise<RunResult> {
  return cli(["publish", ...args], { cwd: repo.dir, env });
}

/** Runs helm fastcs publish in the repo to `registry` over plain HTTP at `tag` (with whatever credentials
 * Helm's registry config in `env` holds), then `args`. */
export function publishTo(
  repo: TestRepo,
  env: Record<string, string>,
  registry: TestRegistry,
  tag: string,
  ...args: string[]
): Promise<RunResult> {
  return publish(repo, env, "--oci", registry.base, "--plain-http", "--tag", tag, ...args);
}

/** Runs helm fastcs publish in the repo to `registry` over plain HTTP at `tag`, logged in as the registry's
 * test user (`--registry-username`, the password through HELM_FASTCS_REGISTRY_PASSWORD), then `args`. */
export function publishLoggedIn(
  repo: TestRepo,
  env: Record<string, string>,
  registry: TestRegistry,
  tag: string,
  ...args: string[]
): Promise<RunResult> {
  return publishTo(
    repo,
    { ...env, HELM_FASTCS_REGISTRY_PASSWORD: registry.password! },
    registry,
    tag,
    "--registry-username",
    registry.username!,
    ...args,
  );
}

/**
 * Writes what `helm registry login HOST` writes into the test's registry config (`env.HELM_REGISTRY_CONFIG`,
 * a Docker config.json: `auths.<host>.auth` = base64 of `user:password`), without running it: its own login
 * would talk to the registry first (take a token, send the password to an endpoint under test).
 */
export async function writeRegistryAuth(
  env: Record<string, string>,
  host: string,
  username: string,
  password: string,
): Promise<void> {
  await Deno.writeTextFile(
    env.HELM_REGISTRY_CONFIG,
    JSON.stringify({ auths: { [host]: { auth: btoa(`${username}:${password}`) } } }),
  );
}

/** `helm show chart` of a pushed version, as key/value pairs. */
export async function showChart(
  env: Record<string, string>,
  registry: TestRegistry,
  chart: string,
  version: string,
): Promise<Record<string, string>> {
  const r = await run(env.HELM_BIN, [
    "show",
    "chart",
    `${registry.base}/${chart}`,
    "--version",
    version,
    "--plain-http",
  ], { env });
  assert.equal(r.code, 0, r.stderr);
  return Object.fromEntries(
    r.stdout.split("\n").filter((l) => /^\w+: /.test(l)).map((
      l,
    ) => [l.split(": ")[0], l.split(": ").slice(1).join(": ").replace(/^"|"$/g, "")]),
  );
}
