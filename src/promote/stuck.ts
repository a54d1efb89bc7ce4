// Releases stuck in pending-install, pending-upgrade or pending-rollback: a helm client that was killed or
// lost its connection mid-operation leaves the release's last revision in that status, and Helm refuses
// every later upgrade ("another operation (install/upgrade/rollback) is in progress", helm/helm#7476,
// #13570). Finding them before a promotion is planned, explaining them, and recovering them on request.
import type { ReleaseHelm } from "../adapters/helm_release.ts";
import type { Kubectl } from "../adapters/kube.ts";
import { describeTarget } from "../adapters/kube.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { helmErrorLine } from "../adapters/helm.ts";
import { settleRollback } from "./apply.ts";

/** A release whose last revision is in a `pending-*` status. */
export interface StuckRelease {
  release: string;
  /** The pending revision and its status (`pending-install`, `pending-upgrade`, `pending-rollback`). */
  revision: number;
  status: string;
  /** When Helm last wrote that revision (RFC 3339, from `helm history`). */
  updated: string;
  /** The last revision before it that ran (`deployed` or `superseded`); undefined when none did. */
  lastDeployed?: number;
}

/** What recovering one stuck release did: rolled back to `revision`, or uninstalled (nothing ever ran). */
export interface Recovery {
  release: string;
  /** The pending revision and status it was stuck in. */
  stuck: { revision: number; status: string };
  action: "rolled back" | "uninstalled";
  /** With `rolled back`: the revision it runs again. */
  revision?: number;
}

/**
 * The releases among `releases` whose current status (from `listed`, a `helm list` of the target) is
 * `pending-*`, each with its last deployed revision read from its history.
 */
export async function findStuck(
  helm: ReleaseHelm,
  releases: string[],
  listed: { name: string; status: string }[],
): Promise<StuckRelease[]> {
  const pending = listed.filter((r) => releases.includes(r.name) && r.status.startsWith("pending-"));
  return await Promise.all(pending.map(async (r) => {
    const history = (await helm.history(r.name)).sort((a, b) => a.revision - b.revision);
    const current = history[history.length - 1];
    const ran = history.filter((h) =>
      h.revision < current.revision && (h.status === "deployed" || h.status === "superseded")
    );
    return {
      release: r.name,
      revision: current.revision,
      status: current.status,
      updated: current.updated,
      lastDeployed: ran[ran.length - 1]?.revision,
    };
  }));
}

/** What `--recover` does (or would do) to a stuck release, in words. */
export function recoveryOf(s: StuckRelease): string {
  return s.lastDeployed
    ? `roll it back to revision ${s.lastDeployed}, its last deployed one`
    : `uninstall it: no revision of it ever got deployed`;
}

/**
 * The refusal for stuck releases: which, where, since when, why, and what `--recover` (or a person by hand)
 * would do. Exit 8: nothing was changed.
 */
export function stuckError(
  stuck: StuckRelease[],
  env: { name: string },
  helm: ReleaseHelm,
  why: "no --recover" | "not applying",
): FastcsError {
  const where = describeTarget(helm.target);
  const flags = `-n ${helm.target.namespace}${
    helm.target.context ? ` --kube-context ${helm.target.context}` : ""
  }`;
  return new FastcsError(
    `${stuck.length} release(s) of ${env.name} (${where}) are stuck in a pending status: ` +
      "a helm client was interrupted mid-operation, and Helm refuses every upgrade until they are recovered",
    {
      code: "promote.stuck",
      exitCode: ExitCode.refused,
      details: stuck.map((s) =>
        `${s.release}: revision ${s.revision} is ${s.status} since ${s.updated}; --recover would ${
          recoveryOf(s)
        } ` +
        `(by hand: ${
          s.lastDeployed
            ? `helm rollback ${s.release} ${s.lastDeployed} ${flags}`
            : `helm uninstall ${s.release} ${flags}`
        })`
      ),
      hint: why === "not applying"
        ? "--recover acts only when promoting (not with --diff-only or --dry-run). Nothing was changed."
        : "First make sure no helm (or promotion) is still working on them: a running one shows the same status. " +
          "Then promote again with --recover: it asks, recovers them, then plans the promotion as usual. Nothing was changed.",
    },
  );
}

/**
 * Recovers stuck releases one by one: `helm rollback` to the last deployed revision (settled as after a
 * failed promotion: pods that never got Ready are replaced), or `helm uninstall` when none was deployed.
 *
 * @throws FastcsError exit 6 when a release cannot be recovered (Helm's message; the ones before it are)
 */
export async function recoverStuck(
  ctx: Context,
  helm: ReleaseHelm,
  kubectl: Kubectl,
  stuck: StuckRelease[],
  timeout: string,
): Promise<Recovery[]> {
  const done: Recovery[] = [];
  for (const s of stuck) {
    const from = { revision: s.revision, status: s.status };
    if (s.lastDeployed) {
      ctx.log.info(
        `recovering ${s.release}: rolling back from ${s.status} revision ${s.revision} to ${s.lastDeployed}`,
      );
      const r = await helm.rollback(s.release, s.lastDeployed, timeout);
      if (r.code !== 0) await settleRollback(helm, kubectl, s.release, s.lastDeployed, timeout, ctx);
      const meta = await helm.metadata(s.release);
      if (meta.status !== "deployed") {
        throw recoveryFailed(
          s,
          helm,
          `it is ${meta.status} at revision ${meta.revision} after the rollback`,
          done,
        );
      }
      done.push({ release: s.release, stuck: from, action: "rolled back", revision: s.lastDeployed });
    } else {
      ctx.log.info(`recovering ${s.release}: uninstalling (${s.status}, no revision ever deployed)`);
      const r = await helm.uninstall(s.release, timeout);
      if (r.code !== 0) throw recoveryFailed(s, helm, helmErrorLine(r.stderr), done);
      done.push({ release: s.release, stuck: from, action: "uninstalled" });
    }
  }
  return done;
}

function recoveryFailed(s: StuckRelease, helm: ReleaseHelm, reason: string, done: Recovery[]): FastcsError {
  return new FastcsError(
    `recovering ${s.release} in ${describeTarget(helm.target)} from ${s.status} failed: ${reason}`,
    {
      code: "promote.recover",
      exitCode: ExitCode.environment,
      details: done.map((d) => `${d.release}: recovered (${d.action})`),
      hint: `See helm history ${s.release}; nothing was promoted.`,
    },
  );
}
