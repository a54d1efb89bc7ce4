// scripts/compile.ts: the target matrix and archive names, DENORT_BIN handling, and the packing of an
// archive. A real denort cannot be had on this machine (it is downloaded from Deno's host), so the
// packing test uses the full deno binary as a STAND-IN base: the archive's layout and checksum are real,
// the executable inside behaves like the Deno CLI, not like helm-fastcs.
import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO, run } from "../helpers.ts";
import { tempDir } from "../support/files.ts";

const compile = (args: string[], env: Record<string, string> = {}) =>
  run(Deno.execPath(), ["run", "--allow-all", "--frozen", join(REPO, "scripts/compile.ts"), ...args], {
    env: { ...Deno.env.toObject(), ...env },
  });

Deno.test("the target matrix: linux, darwin (amd64, arm64) and windows, named as install-binary.sh expects", async () => {
  const r = await compile(["--list"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split("\n").map((l) => l.split("\t")[2]), [
    "helm-fastcs-linux-amd64.tar.gz",
    "helm-fastcs-linux-arm64.tar.gz",
    "helm-fastcs-darwin-amd64.tar.gz",
    "helm-fastcs-darwin-arm64.tar.gz",
    "helm-fastcs-windows-amd64.zip",
  ]);
  const unknown = await compile(["--only", "plan9-386"]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /unknown target plan9-386/);
});

Deno.test("DENORT_BIN: a missing file and several targets are clear errors", async () => {
  const missing = await compile(["--only", "linux-amd64"], { DENORT_BIN: "/nonexistent/denort" });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /DENORT_BIN=\/nonexistent\/denort does not exist/);
  const several = await compile([], { DENORT_BIN: Deno.execPath() });
  assert.equal(several.code, 1);
  assert.match(several.stderr, /DENORT_BIN is the runtime of one target: build that one with --only/);
});

Deno.test("an archive holds bin/helm-fastcs and SHA256SUMS verifies it (stand-in runtime base)", async () => {
  await using out = await tempDir();
  const r = await compile(["--only", "linux-amd64", "--out", out.path], { DENORT_BIN: Deno.execPath() });
  assert.equal(r.code, 0, r.stderr);
  const listing = await run("tar", ["-tzf", join(out.path, "helm-fastcs-linux-amd64.tar.gz")]);
  assert.deepEqual(listing.stdout.trim().split("\n"), ["bin/", "bin/helm-fastcs"]);
  const check = await run("sha256sum", ["-c", "SHA256SUMS"], { cwd: out.path });
  assert.equal(check.code, 0, check.stdout + check.stderr);
});
