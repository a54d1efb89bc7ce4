// The S3 repository module (src/publish/s3_repository.ts) against a real versitygw, driven step by step so
// that another writer can be put exactly between its check and its upload: the race two CI jobs can lose,
// which a run of the CLI cannot time. What stops it is S3's conditional PutObject (If-None-Match: *).
import assert from "node:assert/strict";
import { join } from "node:path";
import { helmEnv, run, tool } from "../helpers.ts";
import { createTestRepo } from "../support/git_repo.ts";
import { startS3 } from "../support/s3.ts";
import { createHelm } from "../../src/adapters/helm.ts";
import { chartContentDigest, fileSha256 } from "../../src/chart/content_digest.ts";
import { createLog } from "../../src/runtime/log.ts";
import { createRunner } from "../../src/runtime/runner.ts";
import { readHelmEnv } from "../../src/runtime/helm_env.ts";
import { openS3Repository } from "../../src/publish/s3_repository.ts";
import { parseS3Url } from "../../src/publish/s3_target.ts";
import { PushConflict } from "../../src/publish/targets.ts";

/** Two packages of fastcs 3.0.0: `ours`, `theirs` (other content) and `again` (our content, other bytes). */
async function packages(): Promise<{ ours: string; theirs: string; again: string }> {
  const repo = await createTestRepo();
  const out = await Deno.makeTempDir({ prefix: "fastcs-packages-" });
  const env = helmEnv(await Deno.makeTempDir({ prefix: "fastcs-helm-home-" }));
  const pack = async (name: string) => {
    const r = await run(tool("helm3"), [
      "package",
      "charts/fastcs",
      "--version",
      "3.0.0",
      "-d",
      join(out, name),
    ], {
      cwd: repo.dir,
      env,
    });
    assert.equal(r.code, 0, r.stderr);
    return join(out, name, "fastcs-3.0.0.tgz");
  };
  const ours = await pack("ours");
  // Helm 3 stamps the packaging time into the archive: one second later, the same chart in other bytes.
  await new Promise((r) => setTimeout(r, 1100));
  const again = await pack("again");
  await repo.write("charts/fastcs/templates/theirs.yaml", "# another job's change\n");
  const theirs = await pack("theirs");
  return { ours, theirs, again };
}

Deno.test("S3 repository: a package written between our check and our upload is never overwritten", async () => {
  await using s3 = await startS3();
  await s3.createBucket("race");
  const { ours, theirs, again } = await packages();
  assert.notEqual(await chartContentDigest(ours), await chartContentDigest(theirs));
  assert.equal(await chartContentDigest(ours), await chartContentDigest(again));
  assert.notEqual(await fileSha256(ours), await fileSha256(again), "the same chart in other bytes");
  const log = createLog({ debug: false, color: false, writeOut: () => {}, writeErr: () => {} });
  const helm = createHelm(createRunner(log).run, tool("helm4"), Deno.cwd());
  const scratch = await Deno.makeTempDir({ prefix: "fastcs-scratch-" });
  const open = async (url: string) =>
    await openS3Repository(parseS3Url(url), {
      settings: { endpoint: s3.endpoint, aws: readHelmEnv(s3.env).aws },
      helm,
      scratch,
      attempts: 1,
      log,
    });

  // Other content: refused at the upload, the other job's package left as it was.
  const repository = await open("s3://race/charts");
  const digest = await chartContentDigest(ours);
  assert.deepEqual(await repository.existing("fastcs", "3.0.0", digest), { state: "absent" });
  await s3.putObject("race", "charts/fastcs-3.0.0.tgz", await Deno.readFile(theirs));
  const before = await s3.objects("race");
  await assert.rejects(() => repository.push("fastcs", "3.0.0", ours), (error: Error) => {
    assert.ok(error instanceof PushConflict);
    assert.match(error.message, /another publish wrote other content for fastcs 3\.0\.0 after our check/);
    return true;
  });
  assert.deepEqual(await s3.objects("race"), before, "nothing was overwritten");
  await repository.updateIndex(); // nothing of ours to index
  assert.deepEqual(await s3.objects("race"), before);
  repository.close();

  // Our content in other bytes: taken over and indexed as it is in the bucket.
  const other = await open("s3://race/other");
  assert.deepEqual(await other.existing("fastcs", "3.0.0", digest), { state: "absent" });
  await s3.putObject("race", "other/fastcs-3.0.0.tgz", await Deno.readFile(again));
  const theirsDigest = `sha256:${(await s3.objects("race"))["other/fastcs-3.0.0.tgz"]}`;
  assert.equal(await other.push("fastcs", "3.0.0", ours), theirsDigest);
  assert.equal(await other.readBack("fastcs", "3.0.0"), undefined);
  await other.updateIndex();
  const index = await Deno.readTextFile(join(s3.dir, "race", "other", "index.yaml"));
  assert.match(index, new RegExp(`digest: ${theirsDigest.slice("sha256:".length)}`));
  other.close();
  await Deno.remove(scratch, { recursive: true });
});
