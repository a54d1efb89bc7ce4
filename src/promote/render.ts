// Rendering a promoted chart for one environment's release (`helm template`, server-side when the chart calls
// `lookup`), and what a failed render means: the helpers planning (plan.ts) checks identity and diffs with.
import { parseDocument, stringifyYaml } from "../deps/yaml.ts";
import { finalHelmError } from "../adapters/helm.ts";
import { ExitCode, type ExitCodeValue, FastcsError } from "../runtime/errors.ts";
import { lastLine } from "../runtime/runner.ts";
import { valuesCallLookup } from "../chart/lookup.ts";
import type { Environment } from "./config.ts";

/** Values as a YAML file for Helm, which reads YAML 1.1: strings such as `yes` or `on` get quoted. */
export function helmYaml(values: unknown): string {
  return stringifyYaml(values, { version: "1.1" });
}

/** Where an environment's releases live, for messages: `namespace N, kube context C`. */
export function where(env: Environment): string {
  return `namespace ${env.namespace}, kube context ${env.kubeContext ?? "current"}`;
}

/**
 * The error of a failed render. A server-side render (the chart calls `lookup`) that failed in a lookup or
 * could not reach the API server, or (Helm 4) found an object that exists without belonging to the release,
 * is the environment's problem (exit 6): the message names the kube context and namespace, the hint the RBAC
 * it needs or the object's ownership. Any other failure is `otherwise` with Helm's message.
 */
export function renderError(
  r: { stderr: string },
  server: boolean,
  env: Environment,
  what: string,
  otherwise: { code: string; exitCode: ExitCodeValue; hint?: string },
): FastcsError {
  const reason = (finalHelmError(r.stderr).split("\n")[0].trim() || lastLine(r.stderr)).replace(
    /^Error: /,
    "",
  );
  const inCluster = (code: string, hint: string) =>
    new FastcsError(`${what} against ${where(env)} failed: ${reason}`, {
      code,
      exitCode: ExitCode.environment,
      hint,
    });
  if (
    server &&
    /error calling lookup|cluster reachability check failed|kubernetes cluster unreachable/.test(r.stderr)
  ) {
    return inCluster(
      "promote.lookup",
      `The chart's templates call lookup, so promote renders them against each environment's cluster (helm template --dry-run=server): your user needs RBAC to get (and list) the objects they look up in the source's and in the target's namespace, here ${
        where(env)
      }.`,
    );
  }
  // Helm 4's server-side render also checks the rendered objects as an install would: one that exists
  // without belonging to the release would make the upgrade fail the same way.
  if (server && /unable to continue with install|exists and cannot be imported/.test(r.stderr)) {
    return inCluster(
      "promote.ownership",
      "An object the chart renders already exists there and belongs to no release or to another one (Helm's meta.helm.sh/release-name annotation): an upgrade would fail on it too. Remove it, or let the release adopt it (Helm's ownership labels and annotations).",
    );
  }
  // Helm's final error only: under HELM_DEBUG its stderr also holds the debug log.
  return new FastcsError(
    `${what} failed: ${(finalHelmError(r.stderr).trim() || r.stderr.trim())}`,
    otherwise,
  );
}

/** True when a string of one of the values files `files` calls `lookup` (see {@link valuesCallLookup}); a
 * file that cannot be read or parsed counts as none (Helm's render says what is wrong with it). */
export async function targetValuesCallLookup(files: string[]): Promise<boolean> {
  for (const file of files) {
    try {
      if (valuesCallLookup(parseDocument(await Deno.readTextFile(file)).toJS())) return true;
    } catch { /* Helm reports it */ }
  }
  return false;
}

/** `manifest` (the YAML documents `helm template` prints) without Helm's hooks (tests), which `helm get
 * manifest` leaves out too, so the two compare. */
export function stripHooks(manifest: string): string {
  return manifest.split(/^---$/m).filter((doc) => !/helm\.sh\/hook/.test(doc)).join("---");
}
