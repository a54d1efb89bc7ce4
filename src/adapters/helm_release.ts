// Typed wrappers over the helm commands that act on releases in one kube context and namespace.
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { finalHelmError } from "./helm.ts";
import { describeTarget, type KubeTarget } from "./kube.ts";
import { lastLine, type Runner, type RunResult } from "../runtime/runner.ts";

/** One entry of `helm history -o json`. */
export interface HistoryEntry {
  revision: number;
  updated: string;
  status: string;
  chart: string;
  app_version: string;
  description: string;
}

/** Helm's release commands for one {@link KubeTarget}. */
export interface ReleaseHelm {
  target: KubeTarget;
  /** `helm list -a --max 0 -o json` (every release, not Helm's first 256): name, revision, status, chart
   * (`name-version`). With `timeoutMs`, helm is killed
   * after that many milliseconds (and this throws, as for any failure): for shell completion, which must
   * not hang on an unreachable cluster. With `selector`, `helm list --selector`: only the releases whose labels
   * match it (Kubernetes label selector syntax: `team=core`, `tier!=db`, `team in (core,edge)`, `tier`), the
   * labels set with `--labels` as well as Helm's own `name`, `owner`, `status` and `version` (Helm 3.17 and
   * 4 alike, with the default Secret storage). */
  list(
    timeoutMs?: number,
    selector?: string,
  ): Promise<{ name: string; revision: string; status: string; chart: string; app_version: string }[]>;
  /** `helm status -o json`, or undefined when the release does not exist. */
  status(release: string): Promise<Record<string, unknown> | undefined>;
  /** `helm get metadata -o json`. `labels`: the release labels, Helm's own (`name`, `owner`, `status`,
   * `version`, `createdAt`, `modifiedAt`) among them; Helm 4 only (Helm 3.17 does not show them). */
  metadata(
    release: string,
  ): Promise<{
    name: string;
    chart: string;
    version: string;
    appVersion?: string;
    revision: number;
    status: string;
    labels?: Record<string, string>;
  }>;
  /** `helm get values -o json` (user-supplied), or all computed values with `all`. */
  values(release: string, all?: boolean): Promise<Record<string, unknown>>;
  /** `helm get manifest`, or undefined when the release does not exist. */
  manifest(release: string): Promise<string | undefined>;
  history(release: string): Promise<HistoryEntry[]>;
  /**
   * `helm template` of a chart as `release` in this namespace, with values files. With `server`
   * (`--dry-run=server`, Helm 3.13+ and 4) the templates' `lookup` calls read the objects of this kube
   * context, which needs a reachable API server and RBAC to get (and list) what they look up; Helm 4 also
   * takes `.Capabilities` from that API server. Without it every lookup renders as an empty result.
   */
  template(
    release: string,
    chart: string,
    valuesFiles: string[],
    o?: { server?: boolean },
  ): Promise<RunResult>;
  /**
   * `helm upgrade --install --wait` with rollback on failure (Helm 3 `--atomic`, Helm 4 `--rollback-on-failure`);
   * `createNamespace`: `--create-namespace`, for a first install into a namespace that does not exist yet
   * (Helm creates it and leaves it when the install fails or the release is uninstalled).
   */
  upgradeInstall(
    release: string,
    chart: string,
    o: {
      valuesFiles: string[];
      timeout: string;
      description: string;
      labels: Record<string, string>;
      createNamespace?: boolean;
    },
  ): Promise<RunResult>;
  test(release: string, timeout: string): Promise<RunResult>;
  rollback(release: string, revision: number, timeout: string): Promise<RunResult>;
  /**
   * `helm uninstall --wait --timeout`: the promotion's own timeout (e.g. `5m0s`), not Helm's default. With
   * `keepHistory` the release's history stays (status `uninstalled`, `description` on its last revision):
   * `helm history` still shows it, and `helm upgrade --install` of the name installs afresh.
   */
  uninstall(
    release: string,
    timeout: string,
    o?: { keepHistory?: boolean; description?: string },
  ): Promise<RunResult>;
}

/**
 * Creates the wrapper; `major` is the Helm major version (3 or 4), or a function that finds it (called
 * only by the commands whose flags differ between Helm 3 and 4).
 */
export function createReleaseHelm(
  run: Runner,
  bin: string,
  cwd: string,
  target: KubeTarget,
  major: number | (() => Promise<number>),
): ReleaseHelm {
  const helmMajor = async () => typeof major === "number" ? major : await major();
  const flags = [
    "--namespace",
    target.namespace,
    ...(target.context ? ["--kube-context", target.context] : []),
    ...(target.kubeconfig ? ["--kubeconfig", target.kubeconfig] : []),
  ];
  const helm = (args: string[], timeoutMs?: number) =>
    run(bin, [...args, ...flags], { cwd, ...(timeoutMs ? { timeoutMs } : {}) });
  const json = async <T>(args: string[], timeoutMs?: number): Promise<T> => {
    const r = await helm([...args, "-o", "json"], timeoutMs);
    if (r.code !== 0) throw new HelmCommandError(args, r, target);
    return JSON.parse(r.stdout || "null") as T;
  };
  return {
    target,
    // Helm 4 lists releases in every status by default and has no --all; Helm 3 needs it.
    // helm list stops at 256 releases unless told otherwise (--max 0: no limit), which would make "all
    // releases" quietly fewer in a crowded namespace.
    list: async (timeoutMs, selector) =>
      json(
        [
          "list",
          ...(await helmMajor() >= 4 ? [] : ["--all"]),
          "--max",
          "0",
          ...(selector ? ["--selector", selector] : []),
        ],
        timeoutMs,
      ),
    status: async (release) => {
      const r = await helm(["status", release, "-o", "json"]);
      if (r.code !== 0) {
        if (releaseNotFound(r)) return undefined;
        throw new HelmCommandError(["status", release], r, target);
      }
      return JSON.parse(r.stdout);
    },
    metadata: (release) => json(["get", "metadata", release]),
    values: async (release, all = false) =>
      (await json<Record<string, unknown> | null>(["get", "values", release, ...(all ? ["--all"] : [])])) ??
        {},
    manifest: async (release) => {
      const r = await helm(["get", "manifest", release]);
      if (r.code !== 0) {
        if (releaseNotFound(r)) return undefined;
        throw new HelmCommandError(["get", "manifest", release], r, target);
      }
      return r.stdout;
    },
    history: (release) => json(["history", release, "--max", "256"]),
    template: (release, chart, valuesFiles, o = {}) =>
      helm([
        "template",
        release,
        chart,
        ...valuesFiles.flatMap((f) => ["-f", f]),
        ...(o.server ? ["--dry-run=server"] : []),
      ]),
    upgradeInstall: async (release, chart, o) =>
      helm([
        "upgrade",
        "--install",
        release,
        chart,
        ...o.valuesFiles.flatMap((f) => ["-f", f]),
        "--wait",
        "--timeout",
        o.timeout,
        await helmMajor() >= 4 ? "--rollback-on-failure" : "--atomic",
        "--description",
        o.description,
        "--labels",
        Object.entries(o.labels).map(([k, v]) => `${k}=${v}`).join(","),
        ...(o.createNamespace ? ["--create-namespace"] : []),
      ]),
    test: (release, timeout) => helm(["test", release, "--timeout", timeout]),
    rollback: (release, revision, timeout) =>
      helm(["rollback", release, String(revision), "--wait", "--timeout", timeout]),
    uninstall: (release, timeout, o = {}) =>
      helm([
        "uninstall",
        release,
        "--wait",
        "--timeout",
        timeout,
        ...(o.keepHistory ? ["--keep-history"] : []),
        ...(o.description ? ["--description", o.description] : []),
      ]),
  };
}

/**
 * True when a failed release command says the release does not exist (`Error: release: not found`, Helm 3
 * and 4), and not merely "not found" somewhere: `exec: executable kubelogin not found` is an unreachable
 * cluster, not a missing release.
 */
export function releaseNotFound(result: RunResult): boolean {
  return result.code !== 0 && /^Error: release: not found\b/m.test(result.stderr);
}

/**
 * A helm command on `target` that failed where the caller cannot carry on (exit code 6). The message
 * names the command, the namespace and kube context, and Helm's last line of stderr; an API server that
 * does not answer gets its own hint.
 */
export class HelmCommandError extends FastcsError {
  constructor(readonly args: string[], readonly result: RunResult, target: KubeTarget) {
    // Helm's error line, not the last line (a documentation URL, or Helm 3's debug trace under --debug).
    const reason = finalHelmError(result.stderr).split("\n")[0].trim() || lastLine(result.stderr);
    const noContext = /context "[^"]*" does not exist/.test(result.stderr);
    const unreachable = !noContext &&
      /cluster unreachable|connection refused|no such host|i\/o timeout/i.test(result.stderr);
    const context = target.context ?? "(the current one)";
    super(`helm ${args.join(" ")} in ${describeTarget(target)} failed: ${reason}`, {
      code: noContext ? "helm.context" : unreachable ? "helm.unreachable" : "helm.failed",
      exitCode: ExitCode.environment,
      hint: noContext
        ? `Your kubeconfig has no kube context ${context}: \`kubectl config get-contexts\` lists those it has ` +
          "(KUBECONFIG or --kubeconfig chooses the file; --kube-context the context)."
        : unreachable
        ? `The API server of kube context ${context} does not answer: check that context's server address, ` +
          `your network or VPN, then \`kubectl --context ${target.context ?? "<context>"} get namespaces\`.`
        : "Check the kube context, the namespace and your access to them.",
    });
  }
}
