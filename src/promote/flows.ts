// The flows of `helm fastcs promote`, one function each: a promotion between clusters, a promotion between
// GitOps folders, the record of an environment and a rollback. The command parses flags, renders what
// these return and turns it into an exit code; the two moments people take part in (seeing the diff,
// confirming) are handed in as steps.
import { dirname } from "node:path";
import { adaptersOf } from "../adapters/factory.ts";
import type { RegistryTransport } from "../adapters/helm.ts";
import type { ReleaseHelm } from "../adapters/helm_release.ts";
import { describeTarget, type Kubectl, type KubeTarget } from "../adapters/kube.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { type Environment, type PromoteConfig, releaseOf, serviceOf } from "./config.ts";
import { commitMessage, type FolderPlan, planGitops, writeGitops } from "./gitops.ts";
import { promotionHistory, type PromotionRecord, rollbackPromotion } from "./history.ts";
import { findStuck, recoverStuck, type Recovery, stuckError, type StuckRelease } from "./stuck.ts";
import { chooseReleases, type ReleaseScope } from "./scope.ts";
import { applyPromotion, type PromoteResult, type TestPolicy } from "./apply.ts";
import { planPromotion, type ReleasePlan } from "./plan.ts";
import { deleteSources, type SourceDeletion } from "./record.ts";
import type { SignatureCheck } from "./signature.ts";
import { dockerConfigFor } from "../adapters/cosign.ts";
import { helmRegistryConfig } from "../runtime/helm_env.ts";
import { type S3Connections, s3Connections } from "../publish/s3_target.ts";

/**
 * How far a promotion goes: `apply` changes the target after confirmation, `diff` and `dry-run` stop after
 * showing the diff (the command reports them differently).
 */
export type PromotionMode = "apply" | "diff" | "dry-run";

/** Where a promotion stopped: nothing to do, after the diff (mode), declined at confirmation, or applied. */
export type PromotionStage = "unchanged" | "diff" | "dry-run" | "declined" | "applied";

/** The moments people take part in, supplied by the command. */
export interface PromotionSteps<P> {
  /**
   * Shows the plans (the diff) in the order they are applied, before anything changes; called once, also
   * when nothing changes. Cluster promotions say what was chosen and why in this order (see
   * {@link ClusterPromotion}).
   */
  show(plans: P[], chosen?: { scope: string; order: string }): void;
  /** Asks whether to apply the changed plans; false: nothing is changed. */
  confirm(changed: P[]): Promise<boolean>;
}

/** The further moments of a promotion between clusters. */
export interface ClusterSteps extends PromotionSteps<ReleasePlan> {
  /** `--recover`: shows the stuck releases and what recovering does, and asks; false: nothing is changed. */
  confirmRecovery(stuck: StuckRelease[]): Promise<boolean>;
  /** `--delete-source`: asks whether to delete these promoted plans' source releases; false: kept. */
  confirmDeletion(promoted: ReleasePlan[]): Promise<boolean>;
}

/**
 * The kube target of an environment's releases. Helm's -n and --kube-context (HELM_NAMESPACE,
 * HELM_KUBECONTEXT) override the environment acted on (the target, the record, a rollback), never the
 * source of a promotion, which is read where the project file says.
 */
export function environmentTarget(ctx: Context, env: Environment, helmOverrides: boolean): KubeTarget {
  return helmOverrides
    ? {
      context: ctx.env.kubeContext ?? env.kubeContext,
      namespace: ctx.env.namespace ?? env.namespace,
      kubeconfig: ctx.env.kubeconfig,
    }
    : { context: env.kubeContext, namespace: env.namespace, kubeconfig: ctx.env.kubeconfig };
}

/** What {@link promoteClusters} did. `results` is set once the stage is `applied`. */
export interface ClusterPromotion {
  stage: PromotionStage;
  /** In promotion order. */
  plans: ReleasePlan[];
  /** What was chosen (`group core (fastcs.yaml)`, `all releases`, …) and why in this order (`by release
   * name`, `the group's order`, `as named`). */
  scope: string;
  order: string;
  /** One per plan, in plan order. */
  results?: PromoteResult[];
  /** Ctrl+C stopped the promotion after the release in progress; the rest are `not attempted`. */
  interrupted: boolean;
  /** `--recover`: the stuck target releases recovered before planning. */
  recovered: Recovery[];
  /** `--delete-source`: what happened to the source release of each promoted plan (empty: none deleted). */
  deletedSources: SourceDeletion[];
}

/**
 * Promotes the releases of `from` in `scope` (see src/promote/scope.ts: named, a group, a selector, all) to
 * `to`: plans every release in the scope's order (the same chart package, the target's values plus the
 * promoted keys, a rendered diff), shows the plans, stops there in `diff`/`dry-run` mode or when nothing
 * changes, else asks once and applies them one by one in that order with rollback on failure; a failed
 * release does not stop the next unless `stopOnFailure`. Ctrl+C during the upgrades lets the release in
 * progress finish (or Helm roll it back), then stops: the rest are `not attempted`, and `--delete-source`
 * is not asked. A first install into a namespace that does not exist yet creates it (the plan says so).
 *
 * With `verify`, a chart is promoted only when the digest pulled carries a cosign signature of its key.
 *
 * Target releases stuck in `pending-*` (an interrupted helm client) are found before planning: refused,
 * or with `recover` (when applying) shown, confirmed and recovered (see src/promote/stuck.ts), then planned.
 *
 * @throws FastcsError from planning: exit 5 (unknown release, bad chart, unreadable key), 6 (helm,
 *   cluster, cosign, a recovery that failed), 8 (refused: source not deployed, failed test, a chart
 *   rendering differently, which `force` overrides; a chart without a valid signature, which it does not;
 *   stuck target releases without `recover`), 9 (registry)
 */
export async function promoteClusters(
  ctx: Context,
  config: PromoteConfig,
  from: Environment,
  to: Environment,
  o: {
    scope: ReleaseScope;
    mode: PromotionMode;
    /** After a release fails, promote no further release (they are `not attempted`). */
    stopOnFailure: boolean;
    force: boolean;
    showSecrets: boolean;
    transport: RegistryTransport;
    verify?: SignatureCheck;
    /** Recover target releases stuck in `pending-*` (after confirmation) instead of refusing. */
    recover: boolean;
    /** `helm test` after each upgrade; its timeout defaults to the project's. */
    tests: Omit<TestPolicy, "timeout"> & { timeout?: string };
    /** After a successful promotion, delete the source releases (after confirmation, history kept). */
    deleteSource: boolean;
  },
  steps: ClusterSteps,
): Promise<ClusterPromotion> {
  const adapters = adaptersOf(ctx);
  const targetHelm = adapters.releaseHelm(environmentTarget(ctx, to, true));
  const sourceHelm = adapters.releaseHelm(environmentTarget(ctx, from, false));
  const kubectl = adapters.kubectl(targetHelm.target);
  // The target's releases are listed alongside the source's: a stuck one stops everything before a chart
  // is pulled.
  const [chosen, targetListed] = await Promise.all([
    chooseReleases({ env: from, helm: sourceHelm }, o.scope),
    targetHelm.list(),
  ]);
  const { releases, scope, order } = chosen;
  // Source release -> target release (a name that does not fit the pattern is refused by planning).
  const pairs = releases.flatMap((r) => {
    const service = serviceOf(from, r);
    return service === undefined ? [] : [[r, releaseOf(to, service)] as const];
  });
  const targetNames = pairs.map(([, t]) => t);
  if (o.deleteSource) {
    const same = pairs.filter(([r, t]) =>
      r === t && sourceHelm.target.namespace === targetHelm.target.namespace &&
      sourceHelm.target.context === targetHelm.target.context
    ).map(([r]) => r);
    if (same.length > 0) {
      throw new FastcsError(
        `--delete-source would delete ${
          same.join(", ")
        }, the very release(s) promoted to: ${from.name} and ${to.name} are the same place (${
          describeTarget(targetHelm.target)
        })`,
        {
          code: "promote.delete-source",
          exitCode: ExitCode.input,
          hint:
            "Check the environments' kube context, namespace and release pattern (and -n, --kube-context).",
        },
      );
    }
  }
  const stuck = await findStuck(targetHelm, targetNames, targetListed);
  let recovered: Recovery[] = [];
  const deletedSources: SourceDeletion[] = [];
  if (stuck.length > 0) {
    if (!o.recover) throw stuckError(stuck, to, targetHelm, "no --recover");
    if (o.mode !== "apply") throw stuckError(stuck, to, targetHelm, "not applying");
    if (!await steps.confirmRecovery(stuck)) {
      return { stage: "declined", plans: [], scope, order, interrupted: false, recovered, deletedSources };
    }
    recovered = await recoverStuck(ctx, targetHelm, kubectl, stuck, config.timeout);
  }
  // --delete-source, once the target runs what the source runs: the plans' results are in plan order.
  const deleteDone = async (plans: ReleasePlan[], results: (PromoteResult | undefined)[]) => {
    if (!o.deleteSource) return;
    const ok = plans.filter((_, i) => !results[i] || ["promoted", "unchanged"].includes(results[i]!.status));
    if (ok.length === 0 || !await steps.confirmDeletion(ok)) return;
    deletedSources.push(
      ...await deleteSources(ctx, sourceHelm, ok, ok.map((p) => results[plans.indexOf(p)]), config.timeout),
    );
  };
  const scratch = await Deno.makeTempDir({ prefix: "helm-fastcs-promote-" });
  let s3: S3Connections | undefined;
  try {
    // cosign reads the registry credentials Helm pulls with.
    const cosign = o.verify
      ? adapters.cosign({ dockerConfig: await dockerConfigFor(helmRegistryConfig(ctx.env), scratch) })
      : undefined;
    const helm = adapters.helm();
    s3 = s3Connections(
      { endpoint: ctx.env.aws.endpointUrl, aws: ctx.env.aws, home: ctx.env.home },
      helm,
      scratch,
      3,
      ctx.log,
    );
    const plans = await planPromotion(
      { ctx, helm, cosign, config, scratch, s3, knownRepositories: new Map() },
      { env: from, helm: sourceHelm },
      { env: to, helm: targetHelm },
      {
        releases,
        force: o.force,
        showSecrets: o.showSecrets,
        transport: o.transport,
        verify: o.verify,
      },
    );
    if (plans.some((p) => p.action === "install") && await namespaceMissing(kubectl, targetHelm.target)) {
      for (const p of plans) if (p.action === "install") p.createNamespace = true;
    }
    const done = { plans, scope, order, interrupted: false, recovered, deletedSources };
    steps.show(plans, { scope, order });
    const changed = plans.filter((p) => p.diff.changes.length > 0);
    if (changed.length === 0) {
      if (o.mode === "apply") await deleteDone(plans, []);
      return { ...done, stage: "unchanged" };
    }
    if (o.mode !== "apply") return { ...done, stage: o.mode };
    if (!await steps.confirm(changed)) return { ...done, stage: "declined" };
    // Helm's --atomic/--rollback-on-failure must finish: Ctrl+C lets the release in progress finish (or roll
    // back) rather than cutting it, and starts no further one.
    let applying: Promise<unknown> = Promise.resolve();
    const unregister = ctx.onInterrupt(async () => {
      done.interrupted = true;
      ctx.log.info(
        "interrupted: waiting for helm to finish (it rolls back on failure); no further release starts; Ctrl+C again to stop at once",
      );
      await applying.catch(() => {});
    });
    try {
      const running = applyPromotion(ctx, targetHelm, kubectl, plans, config.timeout, {
        ...o.tests,
        timeout: o.tests.timeout ?? config.timeout,
      }, {
        onFailure: o.stopOnFailure,
        requested: () => done.interrupted ? "interrupted (Ctrl+C)" : undefined,
      });
      applying = running;
      const results = await running;
      unregister();
      // No question after Ctrl+C: the summary is printed and the process ends.
      if (!done.interrupted) await deleteDone(plans, results);
      return { ...done, stage: "applied", results };
    } finally {
      unregister();
    }
  } finally {
    await s3?.close();
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }
}

/**
 * True when the target namespace does not exist (kubectl says NotFound), so that a first install must create
 * it; false when it exists or cannot be told (e.g. no permission to read namespaces: Helm then says what is
 * wrong when it installs).
 */
async function namespaceMissing(kubectl: Kubectl, target: KubeTarget): Promise<boolean> {
  const { error } = await kubectl.getJson(["namespace", target.namespace]);
  return !!error && /\bNotFound\b|namespaces? "[^"]*" not found/.test(error.stderr);
}

/**
 * The service folders a promotion between GitOps folders acts on, or undefined when both environments are
 * clusters (cluster mode): a `--group`'s services, the names given, or every folder (an empty list). Refuses
 * what does not apply to folders: `--cosign-verify` (no chart is pulled) and `--selector` (folders have no
 * release labels).
 *
 * @throws FastcsError exit 5 (one environment a folder, the other a cluster), 2 (`cosignVerify`, or a
 *   selector scope, with folders)
 */
export function folderServices(
  from: Environment,
  to: Environment,
  scope: ReleaseScope,
  cosignVerify: boolean,
): string[] | undefined {
  if (!from.path && !to.path) return undefined;
  if (!from.path || !to.path) {
    throw new FastcsError(
      `environments ${from.name} and ${to.name} must both be folders (GitOps) or both clusters`,
      { code: "promote.mode", exitCode: ExitCode.input },
    );
  }
  if (cosignVerify) {
    throw new FastcsError(
      "--cosign-verify checks the charts a cluster promotion pulls; GitOps folders pull none",
      {
        code: "usage",
        exitCode: ExitCode.usage,
        hint: "Verify in the pipeline that deploys the folders (e.g. cosign verify on the chart digests).",
      },
    );
  }
  if (scope.kind === "selector") {
    throw new FastcsError("--selector matches release labels; GitOps folders have none", {
      code: "usage",
      exitCode: ExitCode.usage,
      hint: "Name the services, or a --group of the project file.",
    });
  }
  return scope.kind === "group" ? scope.services : scope.kind === "named" ? scope.releases : [];
}

/** What {@link promoteFolders} did: the files written and the commit made once the stage is `applied`. */
export interface FolderPromotion {
  stage: PromotionStage;
  plans: FolderPlan[];
  /** Files rewritten (absolute paths). */
  written: string[];
  /** The first line of the commit message, when `commit` was asked for. */
  committed?: string;
}

/**
 * Promotes between two GitOps folders (`from.path`, `to.path`): rewrites each service folder of `to` (the
 * services named, or all) so its dependency versions and promoted keys match `from`, keeping comments and
 * the environment's own keys; shows the plans first, stops in `diff`/`dry-run` mode, asks, writes, and with
 * `commit` commits exactly the rewritten files in the repository holding the project file.
 *
 * @throws FastcsError exit 5 (a service missing, unreadable YAML), 6 (git commit failed: the files stay
 *   rewritten)
 */
export async function promoteFolders(
  ctx: Context,
  config: PromoteConfig,
  from: Environment,
  to: Environment,
  o: { services: string[]; mode: PromotionMode; commit: boolean },
  steps: PromotionSteps<FolderPlan>,
): Promise<FolderPromotion> {
  const plans = await planGitops(from, to, o.services, config.keys, ctx.display);
  steps.show(plans);
  const changed = plans.filter((p) => p.files.length > 0);
  if (changed.length === 0) return { stage: "unchanged", plans, written: [] };
  if (o.mode !== "apply") return { stage: o.mode, plans, written: [] };
  if (!await steps.confirm(changed)) return { stage: "declined", plans, written: [] };
  const written = await writeGitops(changed);
  for (const p of changed) {
    if (p.staleLock) {
      ctx.log.warn(`${to.name}/${p.service}/Chart.lock is stale: run helm dependency update there`);
    }
  }
  if (!o.commit) return { stage: "applied", plans, written };
  const repo = dirname(config.file);
  const message = commitMessage(from.name, to.name, changed);
  try {
    await adaptersOf(ctx).git(repo).commitFiles(written, message);
  } catch (error) {
    if (!(error instanceof FastcsError)) throw error;
    throw new FastcsError(error.message, {
      code: "promote.commit",
      exitCode: ExitCode.environment,
      hint: "The files are rewritten; commit them by hand.",
      cause: error,
    });
  }
  return { stage: "applied", plans, written, committed: message.split("\n")[0] };
}

/** The release-scoped helm of an environment's releases (Helm's -n and --kube-context applying). */
function environmentHelm(ctx: Context, env: Environment): ReleaseHelm {
  return adaptersOf(ctx).releaseHelm(environmentTarget(ctx, env, true));
}

/** Every promotion recorded in `env`'s releases (their Helm history), oldest first per release. */
export function environmentHistory(ctx: Context, env: Environment): Promise<PromotionRecord[]> {
  return promotionHistory(environmentHelm(ctx, env), env);
}

/**
 * Returns the named releases of `env` (default: every release with a recorded promotion) to their
 * previous promoted revision, one after the other; `rolledBack` says where each went.
 *
 * @throws FastcsError exit 5 (no promotion to return to), 11 (helm rollback failed), stopping at the first
 */
export async function rollbackEnvironment(
  ctx: Context,
  env: Environment,
  releases: string[],
  timeout: string,
  rolledBack: (release: string, revision: number) => void,
): Promise<{ release: string; revision: number }[]> {
  const helm = environmentHelm(ctx, env);
  const names = releases.length > 0
    ? releases
    : [...new Set((await promotionHistory(helm, env)).map((r) => r.release))];
  const done = [];
  for (const release of names) {
    const revision = await rollbackPromotion(helm, release, timeout);
    done.push({ release, revision });
    rolledBack(release, revision);
  }
  return done;
}
