// Which version a publish gives the charts: a strict SemVer 2.0.0 release tag (https://semver.org), or
// for untagged builds `<Chart.yaml version>-<short hash>` with appVersion = hash (a SemVer pre-release,
// so it sorts before the release it leads to).
import { semver } from "../deps/semver.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";

/** Which pre-releases a release tag may carry. `fastcs`: only `-alpha.N`, `-beta.N`, `-rc.N` and no
 * build metadata (the FastCS CI rule `^[0-9]+\.[0-9]+\.[0-9]+((-alpha|-beta|-rc)\.[0-9]+)?$`). */
export type PrereleasePolicy = "any" | "none" | "fastcs";

/** Where the release tag came from. */
export type TagSource = "--tag" | "GITHUB_REF" | "git tag at HEAD";

/** The version every chart of one publish gets. */
export interface ReleaseVersion {
  /** Chart version (SemVer 2.0.0, no leading `v`); undefined means "each chart's own version + hash". */
  version?: string;
  /** The tag as written, when this is a tagged release. */
  tag?: string;
  source?: TagSource;
  /** Short commit hash, for untagged builds. */
  hash?: string;
}

const FASTCS = /^[0-9]+\.[0-9]+\.[0-9]+((-alpha|-beta|-rc)\.[0-9]+)?$/;

/** True when `text` is exactly a SemVer 2.0.0 version: the npm parser accepts it and would not change a
 * character (it forgives a leading `v` or `=` and spaces, which SemVer does not). */
export function isStrictSemver(text: string): boolean {
  const parsed = semver.parse(text);
  if (!parsed) return false;
  return parsed.version + (parsed.build.length > 0 ? `+${parsed.build.join(".")}` : "") === text;
}

/**
 * Reads a release tag: an optional `refs/tags/`, the repository's tag prefix (`--tag-prefix`, e.g.
 * `diracx-`) and one leading `v` are dropped; the rest must be
 * a strict SemVer 2.0.0 version (no leading zeros, no `=`, nothing the npm parser would tidy up), and
 * fit the pre-release policy.
 *
 * @throws FastcsError (exit code 5) naming the tag and the rule it breaks.
 */
export function parseReleaseTag(tag: string, policy: PrereleasePolicy, source: string, prefix = ""): string {
  const raw = tag.replace(/^refs\/tags\//, "");
  const version = (prefix && raw.startsWith(prefix) ? raw.slice(prefix.length) : raw).replace(/^v(?=\d)/, "");
  const fail = (why: string, hint: string) =>
    new FastcsError(`release tag "${raw}" (from ${source}) ${why}`, {
      code: "publish.tag",
      exitCode: ExitCode.input,
      hint,
    });
  if (!isStrictSemver(version)) {
    throw fail(
      "is not a SemVer 2.0.0 version",
      "Tag releases as MAJOR.MINOR.PATCH, e.g. 1.2.3 or v1.2.3-rc.1 (https://semver.org).",
    );
  }
  const pre = semver.prerelease(version);
  if (policy === "none" && (pre || version.includes("+"))) {
    throw fail(
      "is a pre-release, and pre-releases are not allowed",
      "Tag a plain MAJOR.MINOR.PATCH, or pass --prerelease any.",
    );
  }
  if (policy === "fastcs" && !FASTCS.test(version)) {
    throw fail(
      "does not match the FastCS rule (-alpha.N, -beta.N or -rc.N pre-releases only)",
      "Use e.g. 1.2.3 or 1.2.3-rc.1, or pass --prerelease any.",
    );
  }
  return version;
}

/**
 * The release tag of this build: `--tag`, else `GITHUB_REF` when it is `refs/tags/…`, else the one release
 * tag on HEAD (`[prefix]MAJOR.MINOR.PATCH…`, `v` allowed); undefined for an untagged build. Tags on HEAD that
 * look like versions but are no release tag (`v1.2`, `diracx-1.1.6` without `--tag-prefix diracx-`) are
 * returned as `ignored`, so that the caller can say why this is a dev build.
 *
 * @throws FastcsError (exit code 5) when HEAD carries several release tags.
 */
export function findReleaseTag(
  flag: string | undefined,
  githubRef: string | undefined,
  tagsAtHead: string[],
  prefix = "",
): { tag: string; source: TagSource } | { tag?: undefined; ignored: string[] } {
  if (flag) return { tag: flag, source: "--tag" };
  if (githubRef?.startsWith("refs/tags/")) return { tag: githubRef, source: "GITHUB_REF" };
  const releases = tagsAtHead.filter((t) =>
    t.startsWith(prefix) && /^v?\d+\.\d+\.\d+/.test(t.slice(prefix.length))
  );
  if (releases.length > 1) {
    throw new FastcsError(`HEAD carries several release tags: ${releases.join(", ")}`, {
      code: "publish.tag",
      exitCode: ExitCode.input,
      hint: "Name the one to publish with --tag.",
    });
  }
  if (releases.length === 1) return { tag: releases[0], source: "git tag at HEAD" };
  return { ignored: tagsAtHead.filter((t) => /\d+\.\d+/.test(t)) };
}

/**
 * The version of an untagged build: `<base>-<hash>` (FMA's scheme). A hash that is all digits with a
 * leading zero would not be a valid SemVer identifier, so it gets a `g` prefix, as `git describe` does.
 *
 * @throws FastcsError (exit code 5) when `base` (Chart.yaml's version) is not SemVer.
 */
export function devVersion(base: string, hash: string, chartYaml: string): string {
  if (!isStrictSemver(base)) {
    throw new FastcsError(`${chartYaml}: version "${base}" is not a SemVer 2.0.0 version`, {
      code: "publish.chart-version",
      exitCode: ExitCode.input,
      hint: "Set version: MAJOR.MINOR.PATCH in Chart.yaml.",
    });
  }
  const id = /^0\d*$/.test(hash) ? `g${hash}` : hash;
  const [main, build] = base.split("+");
  return `${main}${semver.prerelease(main) ? "." : "-"}${id}${build ? `+${build}` : ""}`;
}

/** The OCI tag of a chart version: `+` is not allowed in OCI tags, Helm writes `_` instead. */
export function ociTag(version: string): string {
  return version.replace(/\+/g, "_");
}

/**
 * How a publish sets each chart's appVersion (`--app-version`):
 * - `auto` (default): the release version for a tagged release (FastCS's CI: `--app-version` = the tag),
 *   the short commit hash for an untagged build (FMA's CI, seed 003: appVersion = hash);
 * - `tag`: the chart's release version, tagged or not (`0.1.0-d1a7c8f` for a dev build);
 * - `hash`: the short commit hash, tagged or not;
 * - `keep`: the chart's own Chart.yaml appVersion (what `helm package` does; diracx keeps its own), else the
 *   release version when it has none;
 * - any other text: that literal appVersion for every chart.
 */
export type AppVersionPolicy = "auto" | "tag" | "hash" | "keep" | { value: string };

/** Reads `--app-version`'s argument: one of the policy names, else a literal value. */
export function parseAppVersionPolicy(text: string | undefined, keepFlag = false): AppVersionPolicy {
  if (keepFlag) return "keep";
  if (text === undefined) return "auto";
  return text === "auto" || text === "tag" || text === "hash" || text === "keep" ? text : { value: text };
}

/**
 * The appVersion a chart gets under `policy`.
 *
 * @param version the chart's release version (the tag's, or the dev version)
 * @param tagged true for a tagged release
 * @param hash the short commit hash
 * @param own the chart's own Chart.yaml appVersion, if it has one
 */
export function appVersionFor(
  policy: AppVersionPolicy,
  o: { version: string; tagged: boolean; hash: string; own?: string },
): string {
  if (typeof policy === "object") return policy.value;
  switch (policy) {
    case "auto":
      return o.tagged ? o.version : o.hash;
    case "tag":
      return o.version;
    case "hash":
      return o.hash;
    case "keep":
      return o.own ?? o.version;
  }
}
