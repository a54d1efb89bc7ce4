// The process runner over real processes (sh): exit codes as a shell reports them, signals included.
import assert from "node:assert/strict";
import { createLog } from "./log.ts";
import { createRunner } from "./runner.ts";

const quiet = createLog({ debug: false, color: false, writeOut: () => {}, writeErr: () => {} });
const cwd = Deno.cwd();

Deno.test("run: the exit code, or 128 + the signal's number when a signal ended the process", async () => {
  const runner = createRunner(quiet);
  const sh = (script: string, timeoutMs?: number) => runner.run("sh", ["-c", script], { cwd, timeoutMs });
  assert.equal((await sh("exit 3")).code, 3);
  assert.equal((await sh("kill -KILL $$")).code, 137);
  assert.equal((await sh("kill -INT $$")).code, 130);
  assert.equal((await sh("kill -SEGV $$")).code, 139);
  assert.equal((await sh("exec sleep 30", 100)).code, 143, "a timeout is SIGTERM");
  const missing = await runner.run("fastcs-no-such-program", [], { cwd });
  assert.equal(missing.code, 127);
  assert.match(missing.stderr, /fastcs-no-such-program/);
});

Deno.test("start: the same codes for a long-running process, and stop() ends it", async () => {
  const runner = createRunner(quiet);
  const killed = runner.start("sh", ["-c", "echo up; kill -KILL $$"], { cwd });
  const lines = [];
  for await (const l of killed.lines) lines.push(l);
  assert.deepEqual(lines, [{ stream: "stdout", line: "up" }]);
  assert.equal(await killed.exited, 137);
  const sleeping = runner.start("sleep", ["30"], { cwd });
  await sleeping.stop();
  assert.equal(await sleeping.exited, 143);
});

Deno.test("run: the command line HELM_DEBUG shows hides secret flags and the secrets of URLs", async () => {
  const lines: string[] = [];
  const debug = createLog({ debug: true, color: false, writeOut: () => {}, writeErr: (t) => lines.push(t) });
  const r = await createRunner(debug).run("true", [
    "pull",
    "fastcs",
    "--repo",
    "https://bob:pw1@charts.example.org/stable?token=t0k3n&page=2",
    "--password",
    "pw2",
    "https://s3.example.org/b/x.tgz?X-Amz-Signature=5ig&note=a b",
  ], { cwd });
  assert.equal(r.code, 0);
  const shown = lines.join("");
  assert.match(
    shown,
    /run: true pull fastcs --repo https:\/\/bob:\*\*\*@charts\.example\.org\/stable\?token=\*\*\*&page=2 --password \*\*\* "https:\/\/s3\.example\.org\/b\/x\.tgz\?X-Amz-Signature=\*\*\*&note=a b"/,
  );
  assert.doesNotMatch(shown, /pw1|t0k3n|pw2|5ig/);
});
