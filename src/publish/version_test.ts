import assert from "node:assert/strict";
import {
  appVersionFor,
  devVersion,
  findReleaseTag,
  ociTag,
  parseAppVersionPolicy,
  parseReleaseTag,
} from "./version.ts";

Deno.test("release tags: strict SemVer 2.0.0 with an optional v and refs/tags/", () => {
  assert.equal(parseReleaseTag("1.2.3", "any", "--tag"), "1.2.3");
  assert.equal(parseReleaseTag("v1.2.3-rc.1+build.5", "any", "--tag"), "1.2.3-rc.1+build.5");
  assert.equal(parseReleaseTag("refs/tags/v2.0.0", "any", "GITHUB_REF"), "2.0.0");
  for (const bad of ["1.2", "01.2.3", "1.2.3.4", "=1.2.3", "vv1.2.3", "1.2.3-", "latest", "1.2.3-01"]) {
    assert.throws(() => parseReleaseTag(bad, "any", "--tag"), /is not a SemVer 2\.0\.0 version/, bad);
  }
});

Deno.test("pre-release policies, including the FastCS preset", () => {
  assert.throws(() => parseReleaseTag("1.2.3-rc.1", "none", "--tag"), /pre-releases are not allowed/);
  assert.equal(parseReleaseTag("1.2.3-beta.2", "fastcs", "--tag"), "1.2.3-beta.2");
  for (const bad of ["1.2.3-dev.1", "1.2.3-rc1", "1.2.3+build"]) {
    assert.throws(() => parseReleaseTag(bad, "fastcs", "--tag"), /FastCS rule/, bad);
  }
});

Deno.test("the tag comes from --tag, then GITHUB_REF, then the one release tag on HEAD", () => {
  assert.deepEqual(findReleaseTag("9.9.9", "refs/tags/1.0.0", ["2.0.0"]), { tag: "9.9.9", source: "--tag" });
  assert.deepEqual(findReleaseTag(undefined, "refs/tags/1.0.0", ["2.0.0"]), {
    tag: "refs/tags/1.0.0",
    source: "GITHUB_REF",
  });
  assert.deepEqual(findReleaseTag(undefined, "refs/heads/main", ["docs", "v2.0.0"]), {
    tag: "v2.0.0",
    source: "git tag at HEAD",
  });
  assert.deepEqual(findReleaseTag(undefined, undefined, ["docs"]), { ignored: [] });
  assert.throws(() => findReleaseTag(undefined, undefined, ["1.0.0", "v1.0.1"]), /several release tags/);
});

Deno.test("untagged builds: <version>-<hash>, valid SemVer even for a numeric hash", () => {
  assert.equal(devVersion("0.1.0", "3afe8fd", "Chart.yaml"), "0.1.0-3afe8fd");
  assert.equal(devVersion("1.0.0-rc.1", "3afe8fd", "Chart.yaml"), "1.0.0-rc.1.3afe8fd");
  assert.equal(devVersion("1.0.0+meta", "0123456", "Chart.yaml"), "1.0.0-g0123456+meta");
  assert.equal(devVersion("1.0.0", "1234567", "Chart.yaml"), "1.0.0-1234567");
  assert.throws(
    () => devVersion("", "abc1234", "charts/x/Chart.yaml"),
    /charts\/x\/Chart\.yaml: version "" is not a SemVer/,
  );
  assert.throws(() => devVersion("v1.0", "abc1234", "Chart.yaml"), /not a SemVer/);
  assert.equal(ociTag("1.0.0+meta"), "1.0.0_meta");
});

Deno.test("tags that look like versions but are no release tags are reported; a tag prefix accepts them", () => {
  assert.deepEqual(findReleaseTag(undefined, undefined, ["diracx-1.1.6", "v1.2", "docs"]), {
    ignored: ["diracx-1.1.6", "v1.2"],
  });
  assert.deepEqual(findReleaseTag(undefined, undefined, ["diracx-1.1.6", "v1.2"], "diracx-"), {
    tag: "diracx-1.1.6",
    source: "git tag at HEAD",
  });
  assert.equal(parseReleaseTag("diracx-1.1.6", "any", "git tag at HEAD", "diracx-"), "1.1.6");
  assert.equal(parseReleaseTag("refs/tags/diracx-v2.0.0", "any", "GITHUB_REF", "diracx-"), "2.0.0");
  assert.throws(
    () => parseReleaseTag("diracx-1.1", "any", "--tag", "diracx-"),
    /not a SemVer 2\.0\.0 version/,
  );
});

Deno.test("--app-version: auto follows FastCS (tag) and FMA (hash); tag, hash, keep and a literal value", () => {
  const tagged = { version: "1.2.3", tagged: true, hash: "d1a7c8f", own: "0.9" };
  const dev = { version: "0.1.0-d1a7c8f", tagged: false, hash: "d1a7c8f", own: "0.9" };
  const cases: [string | undefined, string, string][] = [
    [undefined, "1.2.3", "d1a7c8f"],
    ["auto", "1.2.3", "d1a7c8f"],
    ["tag", "1.2.3", "0.1.0-d1a7c8f"],
    ["hash", "d1a7c8f", "d1a7c8f"],
    ["keep", "0.9", "0.9"],
    ["2024.1", "2024.1", "2024.1"],
  ];
  for (const [flag, whenTagged, whenDev] of cases) {
    const policy = parseAppVersionPolicy(flag);
    assert.equal(appVersionFor(policy, tagged), whenTagged, `${flag} tagged`);
    assert.equal(appVersionFor(policy, dev), whenDev, `${flag} untagged`);
  }
  assert.equal(parseAppVersionPolicy(undefined, true), "keep", "--keep-app-version is --app-version keep");
  assert.equal(
    appVersionFor("keep", { ...dev, own: undefined }),
    "0.1.0-d1a7c8f",
    "no own appVersion: the version",
  );
});
