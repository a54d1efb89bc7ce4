// The gate before a release is promoted: what runs in the source must be verified (deployed, its last
// `helm test` not failed) and the chart pulled from the repository must be exactly what runs there: rendered
// with the source's values, it gives the source's manifest. Resources that render differently each time (a
// random value or the time that no lookup keeps) cannot tell, and are named apart.
import { diffManifests } from "./diff.ts";
import { stripHooks } from "./render.ts";

/**
 * Why a source release is not verified, in words for the refusal (empty: it is): not `deployed` (its
 * `helm get metadata` status), or a `helm test` hook whose last run failed (`helm status -o json`'s `hooks`).
 */
export function sourceRefusals(
  release: string,
  env: string,
  meta: { status: string },
  status: Record<string, unknown> | undefined,
): string[] {
  const refusals: string[] = [];
  if (meta.status !== "deployed") refusals.push(`${release} in ${env} is ${meta.status}, not deployed`);
  const failedTests =
    ((status?.hooks ?? []) as { name: string; events?: string[]; last_run?: { phase?: string } }[])
      .filter((h) => h.events?.includes("test") && h.last_run?.phase === "Failed").map((h) => h.name);
  if (failedTests.length > 0) {
    refusals.push(`${release} in ${env}: its last helm test failed (${failedTests.join(", ")})`);
  }
  return refusals;
}

/** What {@link compareWithRunning} found: resources (`Kind/namespace/name`) that differ from what runs. */
export interface IdentityCheck {
  /** Differ, and render the same every time: the chart is not the artifact that runs. */
  changed: string[];
  /** Differ, but also differ between two renders of the same chart and values: nothing can be told. */
  unstable: string[];
}

/**
 * Compares what runs (`running`, `helm get manifest`) with the chart rendered with the source's values
 * (`rendered`, `helm template`'s output; its hooks are left out, as `helm get manifest` leaves them). Only
 * when they differ, `renderAgain` is called once, and the resources that differ between the two renders are
 * `unstable` rather than `changed`. A second render that fails counts as stable.
 */
export async function compareWithRunning(
  running: string,
  rendered: string,
  renderAgain: () => Promise<{ code: number; stdout: string }>,
): Promise<IdentityCheck> {
  const drift = await diffManifests(running, stripHooks(rendered));
  if (drift.changes.length === 0) return { changed: [], unstable: [] };
  const again = await renderAgain();
  const moving = again.code === 0
    ? new Set((await diffManifests(rendered, again.stdout)).changes.map((c) => c.resource))
    : new Set<string>();
  const resources = drift.changes.map((c) => c.resource);
  return {
    changed: resources.filter((r) => !moving.has(r)),
    unstable: resources.filter((r) => moving.has(r)),
  };
}
