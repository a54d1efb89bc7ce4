// The record a promotion leaves in Helm's history: the description and labels of each revision it made
// (where it came from, which chart, by whom), and `--delete-source`'s uninstall of the source releases
// with their history kept, saying where they went.
import type { ReleaseHelm } from "../adapters/helm_release.ts";
import { finalHelmError } from "../adapters/helm.ts";
import type { Context } from "../runtime/context.ts";
import { lastLine } from "../runtime/runner.ts";
import type { PromoteResult } from "./apply.ts";
import type { ReleasePlan } from "./plan.ts";

/** Prefix of the description of every revision a promotion made (`helm history` shows it). */
export const PROMOTED_PREFIX = "promoted from ";

/**
 * `text` as a Kubernetes label value holds it (Helm stores release labels as the labels of the release's
 * Secret, which the API server checks: `IsValidLabelValue` of k8s.io/apimachinery, at most 63 letters, digits
 * and `_.-`, beginning and ending with a letter or digit): other characters as `_`, cut to 63, then what
 * does not begin and end so trimmed (`svc-deploy$`, a Windows service account, -> `svc-deploy`); `fallback`
 * when nothing is left.
 */
export function labelValue(text: string, fallback: string): string {
  const value = text.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 63).replace(
    /^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g,
    "",
  );
  return value || fallback;
}

/** Who promotes, as a Helm label value may hold it (see {@link labelValue}): the user of `ctx.env`
 * (`USER`/`USERNAME`), else `unknown`. */
export function promoter(ctx: Context): string {
  return labelValue(ctx.env.user ?? "", "unknown");
}

/**
 * The record a promoted revision carries: its description
 * (`promoted from staging/staging-ioc revision 3: fastcs 1.2.0 sha256:… by alice`, {@link PROMOTED_PREFIX}
 * first, which `promote history` looks for) and its release labels: the source release's own (so a label
 * selector finds the promoted release in the target too), then `promotedFrom` (the source environment's name
 * as a label value holds it: the project file allows any name), `promotedRevision`, `chartVersion` (as a
 * label value holds it: `+` as `_`, see {@link labelValue}), `chartDigest` (16 hex digits of the content
 * digest) and `promotedBy` (`who`, see {@link promoter}), which replace the source's of those names.
 */
export function provenance(
  plan: ReleasePlan,
  who: string,
): { description: string; labels: Record<string, string> } {
  const s = plan.source;
  return {
    description:
      `${PROMOTED_PREFIX}${s.env}/${s.release} revision ${s.revision}: ${s.chart} ${s.version} ${plan.contentDigest} by ${who}`,
    labels: {
      ...s.labels,
      promotedFrom: labelValue(s.env, "unknown"),
      promotedRevision: String(s.revision),
      chartVersion: labelValue(s.version, "unknown"),
      chartDigest: plan.contentDigest.slice("sha256:".length, "sha256:".length + 16),
      promotedBy: who,
    },
  };
}

/** What `--delete-source` did to one source release after its promotion. */
export interface SourceDeletion {
  /** The source environment and release. */
  env: string;
  release: string;
  deleted: boolean;
  /** The description of its last revision, which its kept history shows (`helm history`). */
  description?: string;
  error?: string;
}

/**
 * `--delete-source`: uninstalls the source release of each plan (all of them promoted, or already running
 * in the target), keeping its history with a description that records where it went, so `helm history`
 * in the source still tells. Goes on after a failure; each outcome is returned.
 */
export async function deleteSources(
  ctx: Context,
  helm: ReleaseHelm,
  plans: ReleasePlan[],
  results: (PromoteResult | undefined)[],
  timeout: string,
): Promise<SourceDeletion[]> {
  const who = promoter(ctx);
  const done: SourceDeletion[] = [];
  for (const [i, plan] of plans.entries()) {
    const revision = results[i]?.revision ?? plan.target.revision;
    const description =
      `deleted after its promotion to ${plan.target.env}/${plan.target.release} revision ${revision} by ${who}`;
    ctx.log.info(`deleting ${plan.source.release} from ${plan.source.env}...`);
    const r = await helm.uninstall(plan.source.release, timeout, { keepHistory: true, description });
    done.push(
      r.code === 0 ? { env: plan.source.env, release: plan.source.release, deleted: true, description } : {
        env: plan.source.env,
        release: plan.source.release,
        deleted: false,
        error: finalHelmError(r.stderr).split("\n")[0].trim() || lastLine(r.stderr),
      },
    );
  }
  return done;
}
