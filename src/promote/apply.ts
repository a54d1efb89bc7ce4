// Applying a promotion's plans to the target, one release at a time: `helm upgrade --install` with rollback on
// failure, `helm test` with retries, a rollback that settles when pods never got Ready, a failed first install
// removed, and the provenance recorded on each revision (record.ts).
import type { ReleaseHelm } from "../adapters/helm_release.ts";
import type { Kubectl } from "../adapters/kube.ts";
import { finalHelmError, helmErrorLine } from "../adapters/helm.ts";
import type { Context } from "../runtime/context.ts";
import { lastLine } from "../runtime/runner.ts";
import type { ReleasePlan } from "./plan.ts";
import { promoter, provenance } from "./record.ts";

/**
 * After Helm rolled a failed upgrade back, pods of the failed revision that never got Ready stay: a
 * StatefulSet does not replace a pod that is not Ready (Kubernetes' "forced rollback" case). Delete those
 * pods so the restored template takes over, then roll back once more, waiting, so the release ends on a
 * deployed revision that runs what ran before.
 */
export async function settleRollback(
  helm: ReleaseHelm,
  kubectl: Kubectl,
  release: string,
  revision: number,
  timeout: string,
  ctx: Context,
) {
  const meta = await helm.metadata(release);
  if (meta.status === "deployed") return;
  const { data } = await kubectl.getJson(["pods", "-l", `app.kubernetes.io/instance=${release}`]);
  type Pod = { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } };
  const stuck = ((data?.items ?? []) as Pod[]).filter((p) =>
    !p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")
  );
  for (const pod of stuck) {
    ctx.log.info(
      `deleting pod ${pod.metadata.name}, which never got Ready, so that revision ${revision} takes over again`,
    );
    // Not --wait: the StatefulSet recreates the pod under the same name at once, and kubectl would go on
    // waiting for that name to vanish. The rollback below waits for the new pod instead.
    await kubectl.run(["delete", "pod", pod.metadata.name, "--wait=false"]);
  }
  const again = await helm.rollback(release, revision, timeout);
  if (again.code !== 0) {
    ctx.log.warn(
      `helm rollback ${release} ${revision} did not settle: ${helmErrorLine(again.stderr)}`,
    );
  }
}

/**
 * A first install that failed leaves nothing behind: Helm's `--atomic`/`--rollback-on-failure` uninstalls it,
 * and when it did not (e.g. the uninstall itself failed), it is uninstalled here.
 *
 * @returns what happened, for the result's error text
 */
async function removeFailedInstall(helm: ReleaseHelm, release: string, timeout: string): Promise<string> {
  if (!await helm.status(release)) return `the first install was removed (nothing of ${release} runs)`;
  const r = await helm.uninstall(release, timeout);
  return r.code === 0
    ? `the failed first install was uninstalled (nothing of ${release} runs)`
    : `the failed first install could not be uninstalled: ${helmErrorLine(r.stderr)}`;
}

/** What applying one plan did. */
export interface PromoteResult {
  release: string;
  /** A first install, or an upgrade of the running revision (as planned). */
  action: "install" | "upgrade";
  /**
   * `failed`: a first install that failed (and was removed); an upgrade that fails is `rolled back`;
   * `test failed`: its tests failed and `--on-test-failure keep` kept the new revision; `not attempted`: the
   * promotion stopped before it (Ctrl+C, or `--stop-on-failure` after an earlier failure), `reason` says
   * which, and the target runs what it ran.
   */
  status: "promoted" | "unchanged" | "rolled back" | "failed" | "test failed" | "not attempted";
  revision?: number;
  /** `helm test` after the upgrade, when the chart has tests. */
  tests?: TestRun;
  error?: string;
  /** Why a release was `not attempted`. */
  reason?: string;
}

/** How `helm test` runs after an upgrade (`--test-retries`, `--test-retry-delay`, `--test-timeout`, `--on-test-failure`). */
export interface TestPolicy {
  /** Further runs after a failed one (0: one run only). */
  retries: number;
  /** Milliseconds between runs. */
  retryDelayMs: number;
  /** Helm's `--timeout` of each run, a Go duration (e.g. `5m0s`). */
  timeout: string;
  /** After the last failed run: back to the previous revision, or keep the new one and report. */
  onFailure: "rollback" | "keep";
}

/** The outcome of `helm test` after a promotion. */
export interface TestRun {
  passed: boolean;
  /** Runs made (1 + retries used). */
  attempts: number;
  /** Helm's message of the last failed run. */
  error?: string;
}

/** Runs `helm test` until it passes or the retries are used up, waiting `retryDelayMs` between runs. */
async function runTests(
  ctx: Context,
  helm: ReleaseHelm,
  release: string,
  policy: TestPolicy,
): Promise<TestRun> {
  for (let attempt = 1;; attempt++) {
    const test = await helm.test(release, policy.timeout);
    if (test.code === 0) return { passed: true, attempts: attempt };
    // Helm 3 puts the reason on the lines after "Error: … failed: 1 error occurred:" ("\t* pods … forbidden"):
    // the whole final error, on one line.
    const error = finalHelmError(test.stderr).split("\n").map((l) =>
      l.trim()
    ).filter((l) => l !== "").join(" ") ||
      lastLine(test.stderr);
    if (attempt > policy.retries) return { passed: false, attempts: attempt, error };
    ctx.log.info(
      `helm test of ${release} failed (attempt ${attempt} of ${policy.retries + 1}): ${error}; retrying in ${
        policy.retryDelayMs / 1000
      }s`,
    );
    await new Promise((r) => setTimeout(r, policy.retryDelayMs));
  }
}

/** When {@link applyPromotion} stops before the next release (the one in progress always finishes). */
export interface StopPolicy {
  /** After a release fails (rolled back, removed, or its tests failed), promote no further release. */
  onFailure: boolean;
  /** Asked before each release: a reason (e.g. `interrupted (Ctrl+C)`) stops the promotion there. */
  requested(): string | undefined;
}

/**
 * Applies plans one by one, in their order: `helm upgrade --install` with rollback on failure, then `helm
 * test` when the chart has tests, as `tests` says (retries; after the last failure a rollback to the
 * previous revision, or with `keep` the new revision stays and the result says `test failed`). Provenance
 * goes into the revision's description and labels. A failed release does not stop the others unless
 * `stop.onFailure`; `stop.requested()` is asked before each release. Releases not reached are `not
 * attempted` (with the reason); unchanged ones stay `unchanged`.
 *
 * @returns one result per plan, in plan order
 */
export async function applyPromotion(
  ctx: Context,
  helm: ReleaseHelm,
  kubectl: Kubectl,
  plans: ReleasePlan[],
  timeout: string,
  tests: TestPolicy,
  stop: StopPolicy = { onFailure: false, requested: () => undefined },
): Promise<PromoteResult[]> {
  const results: PromoteResult[] = [];
  const who = promoter(ctx);
  let stopped: string | undefined;
  for (const plan of plans) {
    if (!stopped && plan.diff.changes.length > 0) {
      stopped = stop.requested();
      const failed = results.find((r) => FAILED.includes(r.status));
      if (!stopped && stop.onFailure && failed) {
        stopped = `stopped after ${failed.release} failed (--stop-on-failure)`;
      }
    }
    if (stopped && plan.diff.changes.length > 0) {
      results.push({
        release: plan.target.release,
        action: plan.action,
        status: "not attempted",
        revision: plan.target.revision,
        reason: stopped,
      });
      continue;
    }
    if (plan.diff.changes.length === 0) {
      results.push({
        release: plan.target.release,
        action: plan.action,
        status: "unchanged",
        revision: plan.target.revision,
      });
      continue;
    }
    const s = plan.source;
    const { description, labels } = provenance(plan, who);
    ctx.log.info(`promoting ${s.release} (${s.env}) to ${plan.target.release} (${plan.target.env})...`);
    const up = await helm.upgradeInstall(plan.target.release, plan.chartFile, {
      valuesFiles: plan.valuesFiles,
      timeout,
      description,
      labels,
      createNamespace: plan.createNamespace,
    });
    if (up.code !== 0) {
      const error = helmErrorLine(up.stderr);
      if (plan.target.revision) {
        await settleRollback(helm, kubectl, plan.target.release, plan.target.revision, timeout, ctx);
        results.push({
          release: plan.target.release,
          action: plan.action,
          status: "rolled back",
          revision: plan.target.revision,
          error,
        });
      } else {
        results.push({
          release: plan.target.release,
          action: plan.action,
          status: "failed",
          error: `${error}; ${await removeFailedInstall(helm, plan.target.release, timeout)}`,
        });
      }
      continue;
    }
    const revision = Number(
      /^REVISION: (\d+)/m.exec(up.stdout)?.[1] ?? (await helm.metadata(plan.target.release)).revision,
    );
    if (plan.hasTests) {
      const run = await runTests(ctx, helm, plan.target.release, tests);
      if (!run.passed) {
        const error = `helm test failed after ${run.attempts} attempt(s): ${run.error}`;
        if (tests.onFailure === "keep") {
          results.push({
            release: plan.target.release,
            action: plan.action,
            status: "test failed",
            revision,
            tests: run,
            error: `${error}; revision ${revision} is kept (--on-test-failure keep)`,
          });
          continue;
        }
        if (plan.target.revision) {
          const back = await helm.rollback(plan.target.release, plan.target.revision, timeout);
          if (back.code !== 0) {
            await settleRollback(helm, kubectl, plan.target.release, plan.target.revision, timeout, ctx);
          }
        } else await helm.uninstall(plan.target.release, timeout);
        results.push({
          release: plan.target.release,
          action: plan.action,
          status: plan.target.revision ? "rolled back" : "failed",
          revision: plan.target.revision,
          tests: run,
          error: plan.target.revision ? error : `${error}; the first install was uninstalled`,
        });
        continue;
      }
      results.push({
        release: plan.target.release,
        action: plan.action,
        status: "promoted",
        revision,
        tests: run,
      });
      continue;
    }
    results.push({ release: plan.target.release, action: plan.action, status: "promoted", revision });
  }
  return results;
}

/** The statuses of a release whose promotion failed (exit code 11). */
export const FAILED: readonly PromoteResult["status"][] = ["rolled back", "failed", "test failed"];
