// The recording runner itself: first matching reply wins, `times` hands over to the next reply, an
// unanswered call fails with its argv, and what HELM_DEBUG would show is recorded with secrets redacted.
import assert from "node:assert/strict";
import { recordingRunner } from "./recording_runner.ts";

const cwd = "/repo";

Deno.test("replies match on command and argv prefix, in script order; `times` hands over", async () => {
  const runner = recordingRunner([
    { cmd: "helm", match: ["version"], result: { stdout: "v4.1.4" }, times: 1 },
    { cmd: "helm", match: ["version"], result: { code: 1, stderr: "Error: boom" } },
    { cmd: "git", match: (c) => c.args.includes("--porcelain"), result: { stdout: " M a\n" } },
    { cmd: "kubectl" },
  ]);
  assert.deepEqual(await runner.run("helm", ["version", "--short"], { cwd }), {
    code: 0,
    stdout: "v4.1.4",
    stderr: "",
  });
  assert.equal((await runner.run("helm", ["version"], { cwd })).code, 1);
  assert.equal((await runner.run("git", ["status", "--porcelain"], { cwd })).stdout, " M a\n");
  assert.deepEqual(await runner.run("kubectl", ["get", "pods"], { cwd }), {
    code: 0,
    stdout: "",
    stderr: "",
  });
  assert.deepEqual(runner.argvs(), [
    ["helm", "version", "--short"],
    ["helm", "version"],
    ["git", "status", "--porcelain"],
    ["kubectl", "get", "pods"],
  ]);
});

Deno.test("an unanswered call rejects with its argv and is still recorded", async () => {
  const runner = recordingRunner([{ cmd: "helm", match: ["lint"] }]);
  await assert.rejects(
    runner.run("helm", ["push", "a.tgz", "oci://r/charts"], { cwd }),
    /no reply for \["helm","push","a\.tgz","oci:\/\/r\/charts"\]/,
  );
  assert.throws(() => runner.start("kubectl", ["port-forward"], { cwd }), /no reply for \["kubectl"/);
  assert.equal(runner.calls.length, 2);
});

Deno.test("calls keep their options and the redacted command line HELM_DEBUG shows", async () => {
  const runner = recordingRunner([{}]);
  await runner.run("helm", ["registry", "login", "r", "--password", "s3cret", "--passphrase=pp"], {
    cwd,
    env: { HELM_REGISTRY_CONFIG: "/tmp/c.json" },
    stdin: "pw",
  });
  const [call] = runner.calls;
  assert.deepEqual(call.options, { cwd, env: { HELM_REGISTRY_CONFIG: "/tmp/c.json" }, stdin: "pw" });
  assert.equal(call.via, "run");
  assert.equal(call.shown, "helm registry login r --password *** --passphrase=***");
});

Deno.test("start replays the reply's output as lines and its code as the exit", async () => {
  const runner = recordingRunner([{
    cmd: "kubectl",
    result: { code: 143, stdout: "Forwarding from 127.0.0.1:5678 -> 5678\n", stderr: "gone\n" },
  }]);
  const started = runner.start("kubectl", ["port-forward", "pod/p", "5678"], { cwd });
  assert.deepEqual(await Array.fromAsync(started.lines), [
    { stream: "stdout", line: "Forwarding from 127.0.0.1:5678 -> 5678" },
    { stream: "stderr", line: "gone" },
  ]);
  assert.equal(await started.exited, 143);
  await started.stop();
  assert.equal(runner.calls[0].via, "start");
});
