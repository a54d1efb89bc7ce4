// The record of promotions, read back from the cluster: every revision a promotion made carries
// "promoted from …" as its Helm description, so `helm history` is the record, and rolling back means
// returning to the previous promoted revision.
import type { HistoryEntry, ReleaseHelm } from "../adapters/helm_release.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { type Environment, serviceOf } from "./config.ts";
import { PROMOTED_PREFIX } from "./record.ts";
import { helmErrorLine } from "../adapters/helm.ts";

/** One promoted revision. */
export interface PromotionRecord extends HistoryEntry {
  release: string;
}

/** Every promotion recorded in the releases of `env`, oldest first per release. */
export async function promotionHistory(helm: ReleaseHelm, env: Environment): Promise<PromotionRecord[]> {
  const records: PromotionRecord[] = [];
  for (const r of await helm.list()) {
    if (serviceOf(env, r.name) === undefined) continue;
    for (const h of await helm.history(r.name)) {
      if (h.description.startsWith(PROMOTED_PREFIX)) records.push({ ...h, release: r.name });
    }
  }
  return records;
}

/**
 * Returns `release` to the promoted revision before its current one (`helm rollback`).
 *
 * @returns the revision rolled back to
 * @throws FastcsError (exit code 5) when the current revision is not a promotion or there is no earlier one.
 */
export async function rollbackPromotion(
  helm: ReleaseHelm,
  release: string,
  timeout: string,
): Promise<number> {
  const history = (await helm.history(release)).sort((a, b) => a.revision - b.revision);
  if (history.length === 0) {
    throw new FastcsError(`release ${release} has no history`, {
      code: "promote.rollback",
      exitCode: ExitCode.input,
    });
  }
  // The revision the release runs now: a "Rollback to N" revision runs what N ran.
  const current = history[history.length - 1];
  const rolledBackTo = /^Rollback to (\d+)/.exec(current.description);
  const effective = rolledBackTo
    ? history.find((h) => h.revision === Number(rolledBackTo[1])) ?? current
    : current;
  if (!effective.description.startsWith(PROMOTED_PREFIX)) {
    throw new FastcsError(
      `the current revision ${current.revision} of ${release} was not made by a promotion ("${current.description}")`,
      {
        code: "promote.rollback",
        exitCode: ExitCode.input,
        hint: `Use helm rollback ${release} <revision> for revisions made by hand.`,
      },
    );
  }
  const back = history.filter((h) =>
    h.description.startsWith(PROMOTED_PREFIX) && h.revision < effective.revision
  ).pop();
  if (!back) {
    throw new FastcsError(
      `release ${release} has no promotion before revision ${effective.revision} to return to`,
      {
        code: "promote.rollback",
        exitCode: ExitCode.input,
      },
    );
  }
  const r = await helm.rollback(release, back.revision, timeout);
  if (r.code !== 0) {
    throw new FastcsError(
      `helm rollback ${release} ${back.revision} failed: ${helmErrorLine(r.stderr)}`,
      {
        code: "promote.rollback",
        exitCode: ExitCode.promoteFailed,
      },
    );
  }
  return back.revision;
}
