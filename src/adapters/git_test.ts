// The git adapter: once over a real repository (porcelain's leading status column), then over a recording
// runner for the argv of each method, the parsing of git's output and its failures. Outputs were captured
// from git 2.39 in a scratch repository.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ExitCode, type FastcsError } from "../runtime/errors.ts";
import { createLog } from "../runtime/log.ts";
import { recordingRunner } from "../runtime/recording_runner.ts";
import { createRunner } from "../runtime/runner.ts";
import { createGit } from "./git.ts";

Deno.test("git changes keep porcelain's status column (a modified file starts with a space)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fastcs-git-" });
  const runner = createRunner(createLog({ debug: false, color: false, writeErr: () => {} }));
  const sh = (...args: string[]) => runner.run("git", args, { cwd: dir });
  await sh("init", "-q");
  await Deno.writeTextFile(join(dir, "tracked.txt"), "a\n");
  await sh("add", ".");
  await sh("-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "x");
  await Deno.writeTextFile(join(dir, "tracked.txt"), "b\n");
  await Deno.writeTextFile(join(dir, "new.txt"), "c\n");
  const changes = await createGit(runner.run, dir).changes();
  assert.deepEqual(changes, [" M tracked.txt", "?? new.txt"]);
  assert.deepEqual(changes.map((l) => l.slice(3)), ["tracked.txt", "new.txt"]);
});

const repo = "/work/repo/charts";

Deno.test("shortHead, tagsAtHead, changes: argv in the repository folder and git's output parsed", async () => {
  // `git status --porcelain` after: modify a.txt, git mv b.txt renamed.txt, modify "with space.txt",
  // stage and modify charts/x.yaml again, add new.txt. Paths are the repository root's, from any folder.
  const porcelain = ' M a.txt\nMM charts/x.yaml\nR  b.txt -> renamed.txt\n M "with space.txt"\n?? new.txt\n';
  const runner = recordingRunner([
    { cmd: "git", match: ["rev-parse", "--short", "HEAD"], result: { stdout: "b459ea1\n" } },
    {
      cmd: "git",
      match: ["tag", "--points-at", "HEAD"],
      result: { stdout: "v1.0.0\nfastcs-0.1.0\nfastcs-0.10.0\n" },
    },
    { cmd: "git", match: ["status", "--porcelain"], result: { stdout: porcelain } },
  ]);
  const git = createGit(runner.run, repo);
  assert.equal(await git.shortHead(), "b459ea1");
  assert.deepEqual(await git.tagsAtHead(), ["fastcs-0.1.0", "fastcs-0.10.0", "v1.0.0"]);
  assert.deepEqual(await git.changes(), [
    " M a.txt",
    "MM charts/x.yaml",
    "R  b.txt -> renamed.txt",
    ' M "with space.txt"',
    "?? new.txt",
  ]);
  assert.deepEqual(runner.argvs(), [
    ["git", "rev-parse", "--short", "HEAD"],
    ["git", "tag", "--points-at", "HEAD"],
    ["git", "status", "--porcelain"],
  ]);
  assert.ok(runner.calls.every((c) => c.options.cwd === repo));
});

Deno.test("a clean tree and an untagged HEAD are empty lists", async () => {
  const git = createGit(recordingRunner([{ cmd: "git" }]).run, repo);
  assert.deepEqual(await git.changes(), []);
  assert.deepEqual(await git.tagsAtHead(), []);
});

Deno.test("headOnBranch: the local branch first, then origin's; absent refs are skipped", async () => {
  const onRemoteOnly = recordingRunner([
    { match: ["rev-parse", "--verify", "--quiet", "refs/heads/main"], result: { code: 1 } },
    { match: ["rev-parse", "--verify", "--quiet", "refs/remotes/origin/main"] },
    { match: ["merge-base", "--is-ancestor", "HEAD", "refs/remotes/origin/main"] },
  ]);
  assert.equal(await createGit(onRemoteOnly.run, repo).headOnBranch("main"), true);
  assert.deepEqual(onRemoteOnly.argvs(), [
    ["git", "rev-parse", "--verify", "--quiet", "refs/heads/main"],
    ["git", "rev-parse", "--verify", "--quiet", "refs/remotes/origin/main"],
    ["git", "merge-base", "--is-ancestor", "HEAD", "refs/remotes/origin/main"],
  ]);
  // HEAD is not on the local branch, and origin has no such branch.
  const elsewhere = recordingRunner([
    { match: ["rev-parse", "--verify", "--quiet", "refs/heads/main"] },
    { match: ["merge-base", "--is-ancestor", "HEAD", "refs/heads/main"], result: { code: 1 } },
    { match: ["rev-parse", "--verify", "--quiet", "refs/remotes/origin/main"], result: { code: 1 } },
  ]);
  assert.equal(await createGit(elsewhere.run, repo).headOnBranch("main"), false);
  assert.equal(elsewhere.calls.length, 3);
  // On the local branch: origin is not asked.
  const local = recordingRunner([{ match: ["rev-parse"] }, { match: ["merge-base"] }]);
  assert.equal(await createGit(local.run, repo).headOnBranch("release/1.x"), true);
  assert.deepEqual(local.argvs().map((a) => a.at(-1)), ["refs/heads/release/1.x", "refs/heads/release/1.x"]);
});

Deno.test("git failures are environment errors naming the command and folder; a missing git says so", async () => {
  const notRepo = recordingRunner([{
    result: { code: 128, stderr: "fatal: not a git repository (or any of the parent directories): .git\n" },
  }]);
  await assert.rejects(createGit(notRepo.run, "/tmp").shortHead(), (e: FastcsError) => {
    assert.equal(
      e.message,
      "git rev-parse --short HEAD failed in /tmp: fatal: not a git repository (or any of the parent directories): .git",
    );
    assert.equal(e.code, "git.failed");
    assert.equal(e.exitCode, ExitCode.environment);
    assert.equal(e.hint, "Run from inside a git repository with at least one commit.");
    return true;
  });
  const noGit = recordingRunner([{ result: { code: 127, stderr: "" } }]);
  await assert.rejects(createGit(noGit.run, repo).changes(), (e: FastcsError) => {
    assert.equal(e.message, `git status --porcelain failed in ${repo}: exit 127`);
    assert.equal(e.hint, "Install git.");
    return true;
  });
});

Deno.test("commitFiles adds and commits exactly the named files, the message on stdin (never in argv)", async () => {
  const runner = recordingRunner([{ cmd: "git" }]);
  const message = "Promote ioc from staging to prod\n\n- ioc: image.tag from staging\n";
  await createGit(runner.run, repo).commitFiles(["/work/repo/prod/ioc/values.yaml"], message);
  assert.deepEqual(runner.argvs(), [
    ["git", "add", "--", "/work/repo/prod/ioc/values.yaml"],
    ["git", "commit", "-q", "-F", "-", "--", "/work/repo/prod/ioc/values.yaml"],
  ]);
  assert.equal(runner.calls[1].options.stdin, message);
  assert.ok(runner.calls.every((c) => c.options.cwd === repo));
});

Deno.test("commitFiles stops at a failed git add (exit 6, git's reason), committing nothing", async () => {
  const runner = recordingRunner([
    {
      cmd: "git",
      match: ["add"],
      result: { code: 128, stderr: "fatal: pathspec 'x' did not match any files\n" },
    },
  ]);
  await assert.rejects(createGit(runner.run, repo).commitFiles(["x"], "m"), (e: FastcsError) => {
    assert.equal(e.exitCode, ExitCode.environment);
    assert.match(e.message, /pathspec 'x' did not match any files/);
    return true;
  });
  assert.equal(runner.calls.length, 1);
});
