// Shared by the promote tests and the promote benchmark: a test cluster (kube contexts staging and prod) and
// a registry that holds the fastcs chart as version 1.0.0, with a Helm of its own pointed at both; for the
// promote tests, a project folder declaring the two environments and staging-ioc deployed from that chart.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  cli,
  cliAtTerminal,
  helmHomes,
  REPO,
  run,
  type RunResult,
  spawnCli,
  tool,
  toolsBin,
} from "../helpers.ts";
import { startCluster, type TestCluster } from "./cluster.ts";
import { type TempDir, tempDir, writeTree } from "./files.ts";
import { startRegistry, type TestRegistry } from "./registry.ts";
import { waitFor } from "./wait.ts";

/** What {@link clusterWithChart} starts; disposing of it stops the registry and the cluster. */
/**
 * Makes `dir` a classic chart repository as a static web server serves it: the repo's fastcs chart packaged
 * at `version` and Helm's index.yaml, by the `helm` given (the test's Helm and its homes).
 * @returns the package's path
 */
export async function chartSite(
  helm: (...args: string[]) => Promise<RunResult>,
  dir: string,
  version = "1.0.0",
): Promise<string> {
  const packaged = await helm("package", join(REPO, "charts/fastcs"), "--version", version, "-d", dir);
  assert.equal(packaged.code, 0, packaged.stderr);
  const indexed = await helm("repo", "index", dir);
  assert.equal(indexed.code, 0, indexed.stderr);
  return join(dir, `fastcs-${version}.tgz`);
}

/** What {@link clusterWithChart} starts: a test cluster (kube contexts `staging` and `prod`), a registry holding
 * the chart as `<registry.base>/fastcs` 1.0.0, and a Helm environment for both; disposing of it stops the
 * cluster and the registry and removes the Helm homes. */
export interface ClusterWithChart extends AsyncDisposable {
  cluster: TestCluster;
  registry: TestRegistry;
  /** Helm's environment: HELM_BIN, the cluster's kubeconfig, Helm homes of its own, USER tester (whom
   * provenance names), and the tools on PATH. */
  env: Record<string, string>;
  /** Runs the Helm of `env` with it. */
  helm(...args: string[]): Promise<RunResult>;
  /** `helm upgrade --install` of the pushed chart as `release` in kube context and namespace `context`. */
  install(release: string, context: "staging" | "prod", ...args: string[]): Promise<RunResult>;
}

/**
 * Starts a cluster (its pods taking `podStartMs` to get Ready) and a registry, and pushes `chart` (by default
 * this repository's charts/fastcs) to `<registry.base>/fastcs` as version 1.0.0.
 */
export async function clusterWithChart(
  helmName: "helm3" | "helm4",
  options: { chart?: string; podStartMs?: number } = {},
): Promise<ClusterWithChart> {
  await using stack = new AsyncDisposableStack();
  const cluster = stack.use(await startCluster({ podStartMs: options.podStartMs }));
  const registry = stack.use(await startRegistry());
  const home = stack.use(await tempDir("fastcs-helm-home-"));
  const env = {
    HELM_BIN: tool(helmName),
    KUBECONFIG: cluster.kubeconfig,
    ...helmHomes(home.path),
    USER: "tester",
    PATH: `${toolsBin()}:${Deno.env.get("PATH")}`,
  };
  const helm = (...args: string[]) => run(tool(helmName), args, { env });
  const must = async (...args: string[]) => {
    const r = await helm(...args);
    if (r.code !== 0) throw new Error(`helm ${args.join(" ")}: ${r.stderr}`);
  };
  {
    await using pkg = await tempDir();
    await must("package", options.chart ?? join(REPO, "charts/fastcs"), "--version", "1.0.0", "-d", pkg.path);
    await must("push", join(pkg.path, "fastcs-1.0.0.tgz"), registry.base, "--plain-http");
  }
  const install = (release: string, context: "staging" | "prod", ...args: string[]) =>
    helm(
      "upgrade",
      "--install",
      release,
      `${registry.base}/fastcs`,
      "--version",
      "1.0.0",
      "--plain-http",
      "--kube-context",
      context,
      "-n",
      context,
      ...args,
    );
  const resources = stack.move();
  return { cluster, registry, env, helm, install, [Symbol.asyncDispose]: () => resources.disposeAsync() };
}

/**
 * Leaves `release` stuck as an interrupted client does (helm/helm#7476): starts `helm upgrade --install
 * --wait` of the pushed chart with a pod that never gets Ready, waits until Helm has written the new
 * revision as `pending-install`/`pending-upgrade`, and kills helm with SIGKILL (no clean-up runs).
 *
 * @returns the pending status Helm left
 */
export async function interruptedUpgrade(
  fixture: Pick<ClusterWithChart, "env" | "helm" | "registry">,
  release: string,
  context: "staging" | "prod",
  ...args: string[]
): Promise<string> {
  const helm = new Deno.Command(fixture.env.HELM_BIN, {
    args: [
      "upgrade",
      "--install",
      release,
      `${fixture.registry.base}/fastcs`,
      "--version",
      "1.0.0",
      "--plain-http",
      "--kube-context",
      context,
      "-n",
      context,
      "--set-json",
      'podAnnotations={"fastcs.test/unready":"yes"}',
      "--wait",
      "--timeout",
      "120s",
      ...args,
    ],
    env: fixture.env,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(helm.stderr).text();
  let status = "";
  const pending = waitFor(`helm writing ${release} as pending`, async () => {
    const r = await fixture.helm("status", release, "-o", "json", "--kube-context", context, "-n", context);
    status = r.code === 0 ? JSON.parse(r.stdout).info.status : "";
    return status.startsWith("pending-");
  }, { timeoutMs: 60_000 }).catch((error) => error as Error);
  const waited = await pending;
  helm.kill("SIGKILL");
  await helm.status;
  if (waited) throw new Error(`${waited.message}\nhelm's stderr:\n${await stderr}`);
  return status;
}

/** A `helm fastcs promote` running in the background (see {@link setUpPromotion}'s `spawnPromote`). */
export interface RunningPromotion {
  pid: number;
  /** Its stderr so far. */
  stderr(): string;
  kill(signal: Deno.Signal): void;
  /** Its exit code and whole output, once it ended. */
  finished: Promise<RunResult>;
  /**
   * Waits (up to 60 s) until this promote's own `helm upgrade --install RELEASE` runs (a child process: another
   * run's tests may use the same release names) and returns its pid.
   */
  helmUpgrade(release: string): Promise<string>;
}

/** Starts `helm fastcs promote ARGS` in `cwd` with `env`, reading its output as it comes. */
function spawnPromotion(args: string[], cwd: string, env: Record<string, string>): RunningPromotion {
  const child = spawnCli(["promote", ...args], { cwd, env });
  let stderr = "";
  const stdout = new Response(child.stdout).text();
  const reading = (async () => {
    for await (const text of child.stderr.pipeThrough(new TextDecoderStream())) stderr += text;
  })();
  const finished = (async () => {
    const { code } = await child.status;
    await reading;
    return { code, stdout: await stdout, stderr };
  })();
  return {
    pid: child.pid,
    stderr: () => stderr,
    kill: (signal) => child.kill(signal),
    finished,
    helmUpgrade: async (release) => {
      let pid = "";
      await waitFor(`promote's helm upgrade of ${release}`, async () => {
        const found = await run("pgrep", ["-P", String(child.pid), "-f", `upgrade --install ${release}`]);
        pid = found.stdout.trim();
        return pid !== "";
      }, { timeoutMs: 60_000, details: () => stderr });
      assert.match(pid, /^\d+$/, `one helm upgrade of ${release}`);
      return pid;
    },
  };
}

/** What a test adds to the project file of {@link setUpPromotion}. */
export interface ProjectLines {
  /** More lines under `environments:` (indented by two spaces). */
  environments?: string[];
  /** More top-level lines (e.g. a `groups:` section). */
  extra?: string[];
}

/** A project folder: fastcs.yaml with environments staging and prod (and `lines`), and their values files. */
async function project(registry: TestRegistry, keys: string[], lines: ProjectLines = {}): Promise<TempDir> {
  const dir = await tempDir("fastcs-promote-");
  await writeTree(dir.path, {
    "fastcs.yaml": [
      "environments:",
      "  staging: {kubeContext: staging, namespace: staging, release: 'staging-{service}', values: [envs/staging.yaml]}",
      "  prod: {kubeContext: prod, namespace: prod, release: 'prod-{service}', values: [envs/prod.yaml], protected: true}",
      ...(lines.environments ?? []).map((l) => `  ${l}`),
      ...(lines.extra ?? []),
      "promote:",
      `  chartRepository: ${registry.base}`,
      "  timeout: 10s",
      `  keys: ${JSON.stringify(keys)}`,
      "",
    ].join("\n"),
    "envs/staging.yaml": "env: [{name: SITE, value: staging}]\n",
    "envs/prod.yaml": "env: [{name: SITE, value: prod}]\npodLabels: {tier: prod}\n",
  });
  return dir;
}

/**
 * {@link clusterWithChart} (fastcs 1.0.0 from `chart`), a project folder (environments staging and prod,
 * plus `lines`), and staging-ioc running image 2.0.0; `promote(...)` and `promoteTyping(answer, ...)` run
 * helm fastcs promote there with --plain-http. All stopped and removed when disposed.
 */
export async function setUpPromotion(helmName: "helm3" | "helm4", chart?: string, lines: ProjectLines = {}) {
  await using stack = new AsyncDisposableStack();
  const { cluster, registry, env, helm, install } = stack.use(await clusterWithChart(helmName, { chart }));
  const dir = stack.use(await project(registry, ["image.tag", "podAnnotations"], lines)).path;
  /** `helm upgrade --install` of the pushed chart as `release` in staging, with staging's values file. */
  const deploy = (release: string, ...args: string[]) =>
    install(release, "staging", "-f", join(dir, "envs/staging.yaml"), ...args);
  const staging = (...args: string[]) => deploy("staging-ioc", ...args);
  /** Staging upgraded, without waiting, to image 3.0.0 whose pod never gets Ready (deployed, so promotable). */
  const stagingNeverReady = () =>
    staging("--set", "image.tag=3.0.0", "--set-json", 'podAnnotations={"fastcs.test/unready":"yes"}');
  assert.equal((await staging("--set", "image.tag=2.0.0", "--wait")).code, 0);
  const promote = (...args: string[]) => cli(["promote", "--plain-http", ...args], { cwd: dir, env });
  /** promote at a terminal, typing `answer` at its confirmation prompt. */
  const promoteTyping = (answer: string, ...args: string[]) =>
    cliAtTerminal(["promote", ...args, "--plain-http"], `${answer}\n`, {
      cwd: dir,
      env: { ...env, NO_COLOR: "1" },
    });
  /** Steps that only need "the upgrade timed out" wait 4 s instead of the project's 10 s (twice: the
   * upgrade, then the settling rollback). */
  const shortTimeout = async () => {
    const file = join(dir, "fastcs.yaml");
    const text = await Deno.readTextFile(file);
    assert.match(text, /timeout: 10s/);
    await Deno.writeTextFile(file, text.replace("timeout: 10s", "timeout: 4s"));
  };
  const resources = stack.move();
  /** The value at dotted `path` of prod-ioc's (or `release`'s in prod) computed values (`helm get values --all`). */
  const prodValue = async (path: string, release = "prod-ioc"): Promise<unknown> => {
    const r = await helm(
      "get",
      "values",
      release,
      "--all",
      "-o",
      "json",
      "--kube-context",
      "prod",
      "-n",
      "prod",
    );
    return path.split(".").reduce(
      (v: unknown, k) => (v as Record<string, unknown>)?.[k],
      JSON.parse(r.stdout),
    );
  };
  /** `helm history` of `release` (default prod-ioc) in prod, oldest first. */
  const prodHistory = async (release = "prod-ioc") => {
    const r = await helm("history", release, "-o", "json", "--kube-context", "prod", "-n", "prod");
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { revision: number; status: string; description: string }[];
  };
  return {
    cluster,
    registry,
    env,
    helm,
    prodValue,
    prodHistory,
    /** `helm status` of `release` (default prod-ioc) in prod (code 0: it exists). */
    prodStatus: (release = "prod-ioc") => helm("status", release, "--kube-context", "prod", "-n", "prod"),
    /** `helm fastcs promote ARGS --plain-http` in the project folder, in the background. */
    spawnPromote: (...args: string[]) => spawnPromotion([...args, "--plain-http"], dir, env),
    /** {@link interruptedUpgrade} on this fixture. */
    interrupted: (release: string, context: "staging" | "prod", ...args: string[]) =>
      interruptedUpgrade({ env, helm, registry }, release, context, ...args),
    dir,
    deploy,
    staging,
    stagingNeverReady,
    promote,
    promoteTyping,
    shortTimeout,
    [Symbol.asyncDispose]: () => resources.disposeAsync(),
  };
}
