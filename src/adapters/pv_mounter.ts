// Typed wrapper over pv-mounter (https://github.com/fenio/pv-mounter, a kubectl plugin), which mounts a
// PVC on a local folder through a helper pod and sshfs, and takes both down again with `clean`.
import type { Runner, RunResult } from "../runtime/runner.ts";
import type { KubeTarget } from "./kube.ts";

/** pv-mounter for the PVCs of one {@link KubeTarget}'s namespace. */
export interface PvMounter {
  /** `pv-mounter mount NAMESPACE PVC DIR`: mounts `pvc` on the local folder `dir` (which must exist). */
  mount(pvc: string, dir: string): Promise<RunResult>;
  /** `pv-mounter clean NAMESPACE PVC DIR`: unmounts `dir` and removes the helper pod. */
  clean(pvc: string, dir: string): Promise<RunResult>;
}

/**
 * Creates the wrapper for the pv-mounter executable `bin` (the path the PATH lookup found). pv-mounter
 * has no kube context flag: it acts on the kubeconfig's (KUBECONFIG's) current context, whatever
 * `target.context` says; only the namespace is passed.
 */
export function createPvMounter(run: Runner, bin: string, target: KubeTarget, cwd: string): PvMounter {
  const pvMounter = (verb: string, pvc: string, dir: string) =>
    run(bin, [verb, target.namespace, pvc, dir], { cwd });
  return {
    mount: (pvc, dir) => pvMounter("mount", pvc, dir),
    clean: (pvc, dir) => pvMounter("clean", pvc, dir),
  };
}
