// Shared by the promote tests and the promote benchmark: a test cluster (kube contexts staging and prod) and
// a registry that holds the fastcs chart as version 1.0.0, with a Helm of its own pointed at both.
import { join } from "node:path";
import { helmHomes, REPO, run, type RunResult, tool, toolsBin } from "../helpers.ts";
import { startCluster, type TestCluster } from "./cluster.ts";
import { tempDir } from "./files.ts";
import { startRegistry, type TestRegistry } from "./registry.ts";

/** What {@link clusterWithChart} starts; disposing of it stops the registry and the cluster. */
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
