// Benchmark of `helm fastcs publish` (not a test: prints a table). In one run, against the same local
// registry (Debian docker-registry): publish 20 charts with helm fastcs publish (which also lints, checks
// images, tags and what the registry holds), and the seeds' way, a sequential `helm package` +
// `helm push` loop over the same charts. Target: our wall time at most half of the loop's.
// Run after scripts/setup.sh: deno run -A scripts/bench_publish.ts
import { join } from "node:path";
import { cli, run, tool } from "../tests/helpers.ts";
import { tempDir } from "../tests/support/files.ts";
import { createTestRepo } from "../tests/support/git_repo.ts";
import { envFor } from "../tests/support/publish.ts";
import { startRegistry } from "../tests/support/registry.ts";

const charts = 20;
{
  await using registry = await startRegistry();
  await using repo = await createTestRepo(charts);
  await Deno.remove(join(repo.dir, "charts/fastcs"), { recursive: true });
  await Deno.remove(join(repo.dir, "schemas"), { recursive: true });
  await repo.commit("only the benchmark charts");
  const env = await envFor("helm4");

  const t0 = performance.now();
  const ours = await cli([
    "publish",
    "--oci",
    `oci://${registry.host}/ours`,
    "--plain-http",
    "--tag",
    "1.0.0",
  ], { cwd: repo.dir, env });
  const oursMs = performance.now() - t0;
  if (ours.code !== 0) throw new Error(`publish failed: ${ours.stderr}`);

  await using out = await tempDir();
  const t1 = performance.now();
  for (let i = 1; i <= charts; i++) {
    const p = await run(tool("helm4"), [
      "package",
      join(repo.dir, `charts/extra-${i}`),
      "--version",
      "1.0.0",
      "--app-version",
      "1.0.0",
      "-d",
      out.path,
    ], { env });
    if (p.code !== 0) throw new Error(p.stderr);
    const r = await run(tool("helm4"), [
      "push",
      join(out.path, `extra-${i}-1.0.0.tgz`),
      `oci://${registry.host}/loop`,
      "--plain-http",
    ], { env });
    if (r.code !== 0) throw new Error(r.stderr);
  }
  const loopMs = performance.now() - t1;

  const t2 = performance.now();
  const rerun = await cli([
    "publish",
    "--oci",
    `oci://${registry.host}/ours`,
    "--plain-http",
    "--tag",
    "1.0.0",
  ], { cwd: repo.dir, env });
  const rerunMs = performance.now() - t2;
  if (rerun.code !== 0) throw new Error(`rerun failed: ${rerun.stderr}`);

  console.log(`| case (${charts} charts, Helm 4, local registry)              | wall s | vs loop |`);
  console.log("|------------------------------------------------------------|--------|---------|");
  console.log(
    `| sequential helm package + helm push loop (the seeds' way)   | ${
      (loopMs / 1000).toFixed(2).padStart(6)
    } | 1.00    |`,
  );
  console.log(
    `| helm fastcs publish (checks, lint, package, push)           | ${
      (oursMs / 1000).toFixed(2).padStart(6)
    } | ${(oursMs / loopMs).toFixed(2).padEnd(7)} |`,
  );
  console.log(
    `| helm fastcs publish again (all already published)           | ${
      (rerunMs / 1000).toFixed(2).padStart(6)
    } | ${(rerunMs / loopMs).toFixed(2).padEnd(7)} |`,
  );
  console.log(`\ntarget: publish at most 0.50 of the loop; ${navigator.hardwareConcurrency} cores`);
}
