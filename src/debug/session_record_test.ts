import assert from "node:assert/strict";
import { join } from "node:path";
import { openRecord, processIdentity, readRecords, sameCommand } from "./session_record.ts";
import type { Runner } from "../runtime/runner.ts";

Deno.test("a process is the recorded one only with the same executable name and arguments", () => {
  const argv = ["kubectl", "--namespace", "staging", "port-forward", "pod/svc-0", ":5678"];
  assert.ok(
    sameCommand({ argv: ["/usr/local/bin/kubectl", ...argv.slice(1)] }, argv),
    "argv[0] resolved by Deno",
  );
  assert.ok(!sameCommand({ argv: ["/usr/bin/sleep", ...argv.slice(1)] }, argv), "another program");
  assert.ok(!sameCommand({ argv: ["kubectl", "--namespace", "staging", "get", "pods"] }, argv));
  assert.ok(!sameCommand(undefined, argv), "no such process");
  assert.ok(
    sameCommand({ line: "/opt/bin/kubectl --namespace staging port-forward pod/svc-0 :5678" }, argv),
    "ps",
  );
  assert.ok(!sameCommand({ line: "kubectl --namespace prod port-forward pod/svc-0 :5678" }, argv));
  assert.ok(
    sameCommand({ image: "kubectl.exe" }, ["C:\\tools\\kubectl.exe", "port-forward"]),
    "Windows: the image",
  );
  assert.ok(!sameCommand({ image: "notepad.exe" }, argv));
});

Deno.test("process identity: /proc on Linux, ps elsewhere, tasklist on Windows", async () => {
  const calls: string[] = [];
  const answer = (stdout: string): Runner => (cmd, args) => {
    calls.push([cmd, ...args].join(" "));
    return Promise.resolve({ code: 0, stdout, stderr: "" });
  };
  if (Deno.build.os === "linux") {
    const me = await processIdentity(answer(""), Deno.pid, "linux");
    assert.ok(me && "argv" in me && me.argv.length > 0);
    assert.equal(await processIdentity(answer(""), 2 ** 22 + 1, "linux"), undefined);
  }
  assert.deepEqual(await processIdentity(answer("kubectl port-forward x\n"), 42, "darwin"), {
    line: "kubectl port-forward x",
  });
  assert.equal(await processIdentity(answer(""), 42, "darwin"), undefined);
  assert.deepEqual(
    await processIdentity(answer('"kubectl.exe","42","Console","1","20,000 K"\r\n'), 42, "windows"),
    { image: "kubectl.exe" },
  );
  assert.equal(
    await processIdentity(
      answer("INFO: No tasks are running which match the specified criteria.\r\n"),
      42,
      "windows",
    ),
    undefined,
  );
  assert.deepEqual(calls, [
    "ps -o command= -p 42",
    "ps -o command= -p 42",
    "tasklist /FI PID eq 42 /FO CSV /NH",
    "tasklist /FI PID eq 42 /FO CSV /NH",
  ]);
});

Deno.test("a session record: written on the first update, updated in order, removed; unreadable files skipped", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const handle = openRecord(dir, {
      release: "svc",
      namespace: "staging",
      plugin: { pid: 7, argv: ["deno", "run"] },
    });
    assert.deepEqual(await readRecords(dir), [], "nothing started: no file");
    await Promise.all([
      handle.update({ pod: "svc-0" }),
      handle.update({ portForward: { pid: 8, argv: ["kubectl"] }, localPort: 4000 }),
    ]);
    await Deno.writeTextFile(join(dir, "junk.json"), "{");
    const [r] = await readRecords(dir);
    assert.equal(r.id, handle.record.id);
    assert.match(r.id, /^svc-7-\d+$/);
    assert.deepEqual([r.pod, r.localPort, r.portForward?.pid], ["svc-0", 4000, 8]);
    assert.equal((await Deno.stat(join(dir, `${r.id}.json`))).mode! & 0o777, 0o600);
    await handle.remove();
    await handle.update({ pod: "late" });
    assert.deepEqual(await readRecords(dir), [], "removed, and not written again");
    assert.deepEqual(await readRecords(join(dir, "none")), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
