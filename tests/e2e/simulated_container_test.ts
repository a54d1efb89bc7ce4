// The debug tests' simulated container (tests/support/debug.ts) leaves no process behind: not on dispose,
// not for a process that left its process group (as debugpy's adapter does with setsid), and not when the
// test process dies without disposing it (an uncaught error, a signal, a CI time-out). Orphaned debugpy
// processes and adapters had piled up on the host after failed debug e2e runs.
import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO } from "../helpers.ts";
import { PY_BIN, simulatedContainer } from "../support/debug.ts";
import { waitFor } from "../support/wait.ts";

const python = join(PY_BIN, "python");
// PID 1 starts a child that leaves the process group (a session of its own, like debugpy's adapter) and one
// that stays, then waits.
const TREE = "import os, subprocess, sys, time\n" +
  "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'], start_new_session=True)\n" +
  "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n" +
  "time.sleep(300)";

/** PIDs among `pids` that still run (zombies waiting for their reaper count as ended). */
async function running(pids: number[]): Promise<number[]> {
  const alive: number[] = [];
  for (const pid of pids) {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => "");
    if (stat && !stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) alive.push(pid);
  }
  return alive;
}

Deno.test("simulated container: dispose ends its whole process group and PID namespace", async () => {
  let pids: number[] = [];
  {
    await using container = await simulatedContainer();
    await container.run([python, "-c", TREE], REPO);
    await waitFor("PID 1 and its two children", async () => (pids = await container.leftover()).length >= 4, {
      timeoutMs: 10_000,
    }); // unshare, PID 1, two children
    await container.end();
    assert.deepEqual(await container.leftover(), [], "end() waits until nothing is left");
    await container.run([python, "-c", TREE], REPO);
    await waitFor("the second namespace", async () => (await container.leftover()).length >= 4, {
      timeoutMs: 10_000,
    });
    pids = [...pids, ...await container.leftover()];
  }
  assert.deepEqual(await running(pids), [], "disposed: none of its processes runs");
});

Deno.test("simulated container: a test process that dies without disposing it leaves none of its processes", async () => {
  // A test process that starts a simulated container, says its processes, and exits at once (as on an
  // uncaught error or a time-out: no dispose, no finally).
  const script = [
    `import { simulatedContainer } from ${JSON.stringify(join(REPO, "tests/support/debug.ts"))};`,
    `import { waitFor } from ${JSON.stringify(join(REPO, "tests/support/wait.ts"))};`,
    "const container = await simulatedContainer();",
    `await container.run([${JSON.stringify(python)}, "-c", ${JSON.stringify(TREE)}], "/");`,
    "let pids: number[] = [];",
    "await waitFor('the tree', async () => (pids = await container.leftover()).length >= 4, { timeoutMs: 10_000 });",
    "console.log(JSON.stringify(pids));",
    "Deno.exit(1);",
  ].join("\n");
  const dir = await Deno.makeTempDir({ prefix: "fastcs-crash-" });
  try {
    await Deno.writeTextFile(join(dir, "crash.ts"), script);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", "--config", join(REPO, "deno.json"), join(dir, "crash.ts")],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    const pids = JSON.parse(new TextDecoder().decode(out.stdout)) as number[];
    assert.ok(pids.length >= 4, `the tree: ${pids}`);
    await waitFor(
      "the dead test's container processes to end",
      async () => (await running(pids)).length === 0,
      {
        timeoutMs: 10_000,
        details: async () => `still running: ${await running(pids)}`,
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
