// The one place adapters are built from the context: every command gets helm, release-scoped helm,
// kubectl, git, pv-mounter and cosign the same way, each bound to what it acts on (a kube target, a repository).
import type { Context } from "../runtime/context.ts";
import { type Cosign, type CosignEnvironment, createCosign } from "./cosign.ts";
import { createGit, type Git } from "./git.ts";
import { createHelm, type Helm } from "./helm.ts";
import { createReleaseHelm, type ReleaseHelm } from "./helm_release.ts";
import { createKubectl, type Kubectl, type KubeTarget } from "./kube.ts";
import { createPvMounter, type PvMounter } from "./pv_mounter.ts";

/** The adapters of one run. */
export interface Adapters {
  /** helm (HELM_BIN) in the working directory, with `env` added to its environment (e.g. a registry config). */
  helm(env?: Record<string, string>): Helm;
  /** helm's release commands on `target`; Helm's major version is asked once, when a command needs it. */
  releaseHelm(target: KubeTarget): ReleaseHelm;
  /** kubectl (on PATH) on `target`. */
  kubectl(target: KubeTarget): Kubectl;
  /** git in the repository folder `repo`. */
  git(repo: string): Git;
  /** pv-mounter at `bin` (the path a PATH lookup found) on `target`'s namespace. */
  pvMounter(bin: string, target: KubeTarget): PvMounter;
  /** cosign (HELM_FASTCS_COSIGN, else on PATH) in the working directory, with a key's password and the
   * registry credentials of `env`. */
  cosign(env?: CosignEnvironment): Cosign;
}

/** Builds {@link Adapters} over the context's runner, Helm environment and working directory. */
export function adaptersOf(ctx: Context): Adapters {
  const helm = (env: Record<string, string> = {}) => createHelm(ctx.run, ctx.env.helmBin, ctx.cwd, env);
  let major: Promise<number> | undefined;
  const helmMajor = () => major ??= helm().version().then((v) => v.major);
  return {
    helm,
    releaseHelm: (target) => createReleaseHelm(ctx.run, ctx.env.helmBin, ctx.cwd, target, helmMajor),
    kubectl: (target) => createKubectl(ctx.run, ctx.start, target, ctx.cwd),
    git: (repo) => createGit(ctx.run, repo),
    pvMounter: (bin, target) => createPvMounter(ctx.run, bin, target, ctx.cwd),
    cosign: (env) => createCosign(ctx.run, ctx.env.cosignBin, ctx.cwd, env),
  };
}
