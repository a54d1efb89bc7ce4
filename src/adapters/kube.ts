// Typed wrappers over kubectl, always with the kube context, namespace and kubeconfig that Helm handed
// us (HELM_KUBECONTEXT, HELM_NAMESPACE, KUBECONFIG), so we act on exactly what `helm` acts on.
import type { HelmEnv } from "../runtime/helm_env.ts";
import type { ProcessRunner, Runner, RunResult, Started } from "../runtime/runner.ts";

/** Where kubectl and helm point: kube context and namespace as given, or the kubeconfig's defaults. */
export interface KubeTarget {
  context?: string;
  namespace: string;
  kubeconfig?: string;
}

/** The kube target from Helm's environment; the namespace defaults to `default`, as Helm's does. */
export function kubeTarget(env: HelmEnv): KubeTarget {
  return { context: env.kubeContext, namespace: env.namespace ?? "default", kubeconfig: env.kubeconfig };
}

/** Words for messages: `namespace N (kube context C)`. */
export function describeTarget(t: KubeTarget): string {
  return `namespace ${t.namespace} (kube context ${t.context ?? "current"})`;
}

/** kubectl for one {@link KubeTarget}. */
export interface Kubectl {
  /** Global flags selecting the target, for commands shown to people (`--dry-run`). */
  flags: string[];
  run(args: string[]): Promise<RunResult>;
  /** `kubectl get ... -o json`, parsed; undefined when kubectl failed (the result is in `error`). */
  getJson(args: string[]): Promise<{ data?: Record<string, unknown>; error?: RunResult }>;
  /** Starts a long-running kubectl (exec, port-forward). */
  start(args: string[]): Started;
  /** The command line `start(args)` runs (executable, global flags, args), as a session record keeps it. */
  commandLine(args: string[]): string[];
}

/** Creates the wrapper; `bin` is kubectl on PATH unless given. */
export function createKubectl(
  run: Runner,
  start: ProcessRunner["start"],
  target: KubeTarget,
  cwd: string,
  bin = "kubectl",
): Kubectl {
  const flags = [
    ...(target.kubeconfig ? ["--kubeconfig", target.kubeconfig] : []),
    ...(target.context ? ["--context", target.context] : []),
    "--namespace",
    target.namespace,
  ];
  return {
    flags,
    run: (args) => run(bin, [...flags, ...args], { cwd }),
    getJson: async (args) => {
      const r = await run(bin, [...flags, "get", ...args, "-o", "json"], { cwd });
      if (r.code !== 0) return { error: r };
      return { data: JSON.parse(r.stdout) };
    },
    start: (args) => start(bin, [...flags, ...args], { cwd }),
    commandLine: (args) => [bin, ...flags, ...args],
  };
}
