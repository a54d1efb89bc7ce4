// Which source releases a cluster promotion acts on, and in which order: those named, a named group of the
// project file, the releases whose labels match a selector, or all of them. The order found here is
// the order the releases are planned, shown, confirmed and promoted in.
import { HelmCommandError, type ReleaseHelm } from "../adapters/helm_release.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { type Environment, group, type PromoteConfig, releaseOf, serviceOf } from "./config.ts";

/**
 * What a promotion covers (`promote SOURCE TARGET [RELEASE...] | --group NAME | --selector SEL | --all`).
 * No releases named and nothing else chosen is `all`, as in earlier versions.
 */
export type ReleaseScope =
  | { kind: "all" }
  | { kind: "named"; releases: string[] }
  | { kind: "group"; name: string; services: string[]; file: string }
  | { kind: "selector"; selector: string };

/**
 * What a promotion covers, from the command line: the releases named, `--all`, `--group NAME` (its services
 * from the project file) or `--selector SEL`, at most one of them; nothing given is all releases, as before
 * `--all` existed. `display` shows the project file's path in messages.
 *
 * @throws FastcsError exit 2 (more than one given, an empty selector), 5 (an unknown group)
 */
export function scopeOf(
  config: PromoteConfig,
  releases: string[],
  opts: { all?: boolean; group?: string; selector?: string },
  display: (p: string) => string,
): ReleaseScope {
  const given = [
    ...(releases.length > 0 ? [`release names (${releases.join(" ")})`] : []),
    ...(opts.all ? ["--all"] : []),
    ...(opts.group !== undefined ? ["--group"] : []),
    ...(opts.selector !== undefined ? ["--selector"] : []),
  ];
  if (given.length > 1) {
    throw new FastcsError(`${given.join(" and ")} each choose the releases to promote: give one of them`, {
      code: "usage",
      exitCode: ExitCode.usage,
      hint: "Name the releases, or --group NAME, or --selector SELECTOR, or --all.",
    });
  }
  if (opts.group !== undefined) {
    return {
      kind: "group",
      name: opts.group,
      services: group(config, opts.group, display),
      file: display(config.file),
    };
  }
  if (opts.selector !== undefined) {
    if (opts.selector.trim() === "") {
      throw new FastcsError("--selector needs a label selector such as team=core", {
        code: "usage",
        exitCode: ExitCode.usage,
      });
    }
    return { kind: "selector", selector: opts.selector };
  }
  return releases.length > 0 ? { kind: "named", releases } : { kind: "all" };
}

/** The chosen source releases, in promotion order, and the rule that ordered them. */
export interface ChosenReleases {
  releases: string[];
  /** Words for people and `-o json`: `group core (fastcs.yaml)`, `selector team=core`, … */
  scope: string;
  /** Why they come in this order: `the group's order`, `as named`, `by release name`. */
  order: string;
}

/** Words for a scope: `all releases`, `releases named`, `group core (fastcs.yaml)`, `selector team=core`. */
export function describeScope(scope: ReleaseScope): string {
  switch (scope.kind) {
    case "all":
      return "all releases";
    case "named":
      return "releases named";
    case "group":
      return `group ${scope.name} (${scope.file})`;
    case "selector":
      return `selector ${scope.selector}`;
  }
}

/**
 * True when Helm's stderr is its refusal of a label selector it could not parse: the errors of Kubernetes'
 * `labels.Parse` (k8s.io/apimachinery/pkg/labels/selector.go), which `helm list --selector` returns as they
 * are: `found '=', expected: ',' or 'end of string'` and the other `found '…' … expected: …` messages of the
 * parser, and `unable to parse requirement: …` for a key, value or operator that does not validate.
 */
export function malformedSelector(stderr: string): boolean {
  return /^Error: (?:found '.*',? expected: |unable to parse requirement: )/m.test(stderr);
}

/**
 * The source releases a promotion acts on, in the order they are promoted:
 * - `named`: as named (each must exist; a name given twice counts once);
 * - `group`: the release of each of the group's services in `source.env` (`releaseOf`), in the group's
 *   order; each must exist and not be `uninstalled`;
 * - `selector`: the releases whose labels match (`helm list --selector`), by release name;
 * - `all`: every release, by release name.
 * The last two keep only releases whose name fits the environment's release pattern and that are not
 * `uninstalled` (a release deleted with its history kept, e.g. by `--delete-source`).
 *
 * @throws FastcsError exit 2 (Helm could not parse the selector, see {@link malformedSelector}), 5 (a named or
 *   grouped release does not exist, or nothing matches at all), 6 (helm list failed, with or without the
 *   selector: the API server out of reach, RBAC refusing the list, …)
 */
export async function chooseReleases(
  source: { env: Environment; helm: ReleaseHelm },
  scope: ReleaseScope,
): Promise<ChosenReleases> {
  const listed = await source.helm.list();
  const t = source.helm.target;
  const here = `${source.env.name} (namespace ${t.namespace}, kube context ${t.context ?? "current"})`;
  const live = (r: { name: string; status: string }) =>
    r.status !== "uninstalled" && serviceOf(source.env, r.name) !== undefined;
  const byName = (names: string[]) => [...names].sort((a, b) => a < b ? -1 : a > b ? 1 : 0);
  let releases: string[];
  let order: string;
  switch (scope.kind) {
    case "named": {
      releases = [...new Set(scope.releases)];
      order = "as named";
      const missing = releases.filter((n) => !listed.some((r) => r.name === n));
      if (missing.length > 0) {
        throw new FastcsError(`no release ${missing.join(", ")} in environment ${here}`, {
          code: "promote.release",
          exitCode: ExitCode.input,
          hint: `Releases there: ${listed.map((r) => r.name).join(", ") || "none"}.`,
        });
      }
      break;
    }
    case "group": {
      releases = scope.services.map((s) => releaseOf(source.env, s));
      order = "the group's order";
      const missing = releases.filter((n) => !listed.some((r) => r.name === n && r.status !== "uninstalled"));
      if (missing.length > 0) {
        throw new FastcsError(
          `group ${scope.name} (${scope.file}) names ${missing.length} release(s) that ${here} does not run: ${
            missing.join(", ")
          }`,
          {
            code: "promote.group",
            exitCode: ExitCode.input,
            hint: `Deploy them there first, or take them out of the group. Releases there: ${
              listed.filter((r) => r.status !== "uninstalled").map((r) => r.name).join(", ") || "none"
            }.`,
          },
        );
      }
      break;
    }
    case "selector": {
      let matched;
      try {
        matched = await source.helm.list(undefined, scope.selector);
      } catch (error) {
        // Only a selector Helm could not parse is the user's usage error; anything else (the API server out of
        // reach, RBAC refusing the list) is reported as it is, with its own exit code.
        if (!(error instanceof HelmCommandError) || !malformedSelector(error.result.stderr)) throw error;
        throw new FastcsError(`helm refused the label selector "${scope.selector}": ${error.message}`, {
          code: "usage",
          exitCode: ExitCode.usage,
          hint:
            "A selector is Kubernetes label selector syntax over release labels (set with helm install --labels): team=core, tier!=db, team in (core,edge), tier.",
          cause: error,
        });
      }
      releases = byName(matched.filter(live).map((r) => r.name));
      order = "by release name";
      if (releases.length === 0) {
        throw new FastcsError(`no release of ${here} matches the selector ${scope.selector}`, {
          code: "promote.release",
          exitCode: ExitCode.input,
          hint:
            "The selector matches release labels (helm install --labels; helm get metadata shows them), not the labels of their resources.",
        });
      }
      break;
    }
    case "all":
      releases = byName(listed.filter(live).map((r) => r.name));
      order = "by release name";
      if (releases.length === 0) {
        throw new FastcsError(`environment ${here} has no release to promote`, {
          code: "promote.release",
          exitCode: ExitCode.input,
        });
      }
  }
  return { releases, scope: describeScope(scope), order };
}
