// Why attaching debugpy to a running process fails, as real debugpy (1.8, gdb-based injection) and the
// real kernel report it, read by attachFailure(). These run debugpy on this machine rather than in a
// simulated pod: kwok's pods run their commands on the host as root with gdb installed, so the cluster
// tests cannot take gdb or the ptrace permission away; here a PATH without gdb and a process without
// CAP_SYS_PTRACE (setpriv) do.
import assert from "node:assert/strict";
import { join } from "node:path";
import { attachFailure } from "../../src/debug/attach_failure.ts";
import { pathWithout, run } from "../helpers.ts";
import { PY_BIN } from "../support/debug.ts";

const python = join(PY_BIN, "python"); // the tool cache's, with debugpy
const isRoot = Deno.uid() === 0;

/** `python -m debugpy --listen … --pid PID` (through `prefix`), its stdout and stderr together. */
async function attach(pid: number, env: Record<string, string> = {}, prefix: string[] = []) {
  const args = [...prefix, python, "-m", "debugpy", "--listen", "127.0.0.1:0", "--pid", String(pid)];
  const r = await run(args[0], args.slice(1), { env: { ...Deno.env.toObject(), ...env } });
  return { code: r.code, output: r.stdout + r.stderr };
}

Deno.test("attach failures: no gdb in the image, ptrace refused, no debugpy; each named with what to do", async () => {
  const target = new Deno.Command(python, { args: ["-c", "import time; time.sleep(120)"] }).spawn();
  try {
    await using withoutGdb = await pathWithout("gdb");
    const noGdb = await attach(target.pid, { PATH: withoutGdb.path });
    assert.notEqual(noGdb.code, 0);
    const gdb = attachFailure(noGdb.output);
    assert.match(gdb.reason, /gdb: (command )?not found/);
    assert.match(gdb.hint, /^Attaching needs gdb in the image/);

    // PID 1 is not ours to trace: as root without CAP_SYS_PTRACE (dropped by setpriv), or as another user.
    const prefix = isRoot ? ["setpriv", "--bounding-set=-sys_ptrace", "--inh-caps=-sys_ptrace"] : [];
    const refused = await attach(1, {}, prefix);
    assert.notEqual(refused.code, 0);
    const ptrace = attachFailure(refused.output);
    assert.equal(ptrace.reason, "ptrace: Operation not permitted.");
    assert.match(ptrace.hint, /^The kernel refused ptrace: .*SYS_PTRACE.*autostart: false/);

    const python3 = (await run("sh", ["-c", "command -v python3"])).stdout.trim();
    const bare = await run(python3, ["-S", "-m", "debugpy", "--listen", "127.0.0.1:0", "--pid", "1"]);
    const missing = attachFailure(bare.stdout + bare.stderr);
    assert.match(missing.reason, /No module named debugpy/);
    assert.match(missing.hint, /^Install debugpy in the image/);

    // Only the last line when nothing is recognised, and never a whole gdb command line.
    assert.deepEqual(
      attachFailure("something\ncommand terminated with exit code 3\n").reason,
      "command terminated with exit code 3",
    );
    assert.ok(gdb.reason.length <= 200 && ptrace.reason.length <= 200);
  } finally {
    target.kill();
    await target.status;
  }
});
