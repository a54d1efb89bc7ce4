import assert from "node:assert/strict";
import type { FastcsError } from "../runtime/errors.ts";
import {
  chooseProcess,
  chooseWorkers,
  type ContainerReport,
  containerTree,
  INSPECT_SCRIPT,
  isPython,
  missingForDebug,
  type ProcessInfo,
} from "./processes.ts";

const proc = (pid: number, ppid: number, cmdline: string[], uid = 1000): ProcessInfo => ({
  pid,
  ppid,
  uid,
  cmdline,
  exe: null,
  cwd: "/app",
});
const self = {
  uid: 1000,
  cwd: "/app",
  python: "/venv/bin/python",
  debugpy: true,
  gdb: "/usr/bin/gdb",
  sysPtrace: false,
  ptraceScope: 0,
};
const report = (processes: ProcessInfo[], s: Partial<ContainerReport["self"]> = {}): ContainerReport => ({
  self: { ...self, ...s },
  processes,
});
const place = { pod: "web-0", container: "app" };

// ioc-instance: PID 1 is the stdio-socket wrapper (itself Python), the program its child.
const ioc = [
  proc(1, 0, ["/venv/bin/python3", "/venv/bin/stdio-socket", "--", "python", "-m", "svc"]),
  proc(7, 1, ["python", "-m", "svc"]),
  proc(30, 7, ["/venv/bin/python3", "/venv/lib/python3.12/site-packages/debugpy/adapter", "--for-server"]),
  proc(40, 0, ["sh"]), // a kubectl exec session: not the container's own tree
  proc(41, 40, ["python3"]),
];
// gunicorn: a parent and two workers.
const gunicorn = [
  proc(1, 0, ["/usr/bin/tini", "--", "gunicorn"]),
  proc(8, 1, ["/venv/bin/python3.12", "/venv/bin/gunicorn", "-w", "2", "app:app"]),
  proc(9, 8, ["/venv/bin/python3.12", "/venv/bin/gunicorn", "-w", "2", "app:app"]),
  proc(10, 8, ["/venv/bin/python3.12", "/venv/bin/gunicorn", "-w", "2", "app:app"]),
];

Deno.test("Python processes: the container's own tree, interpreters by name, debugpy's helpers left out", () => {
  assert.deepEqual(containerTree(ioc).map((p) => p.pid), [1, 7, 30]);
  assert.ok(isPython(proc(1, 0, ["/usr/local/bin/python3.12", "x"])));
  assert.ok(isPython({ ...proc(1, 0, ["my-service"]), exe: "/usr/bin/python3.11" }));
  assert.ok(!isPython(proc(1, 0, ["/usr/bin/tini", "--", "python"])));
  assert.ok(!isPython(proc(1, 0, ["pythonista"])));
});

Deno.test("the process: --pid, the only Python one, the ioc-instance child of PID 1, else listed", () => {
  assert.equal(chooseProcess(report(ioc), { ...place, childOf: 1 }).pid, 7);
  assert.equal(chooseProcess(report(ioc), { ...place, pid: 1 }).pid, 1);
  assert.equal(chooseProcess(report(gunicorn), { ...place, pid: 9 }).pid, 9);
  // Without the ioc-instance profile, the wrapper and the program are both candidates.
  assert.throws(
    () => chooseProcess(report(ioc), place),
    /several Python processes run in container app of pod web-0/,
  );
  assert.throws(
    () => chooseProcess(report(gunicorn), place),
    (e: FastcsError) => {
      assert.equal(e.exitCode, 5);
      assert.match(
        e.message,
        /\n {7}8 {2}\/venv\/bin\/python3\.12 \/venv\/bin\/gunicorn -w 2 app:app\n {7}9 .*\n {6}10 /,
      );
      assert.match(e.hint!, /--pid/);
      return true;
    },
  );
  assert.throws(
    () => chooseProcess(report(gunicorn), { ...place, pid: 1 }),
    (e: FastcsError) =>
      e.exitCode === 5 &&
      /process 1 in container app of pod web-0 is not a Python process: \/usr\/bin\/tini/.test(e.message) &&
      /Its Python processes:\n {7}8 /.test(e.hint!),
  );
  assert.throws(
    () => chooseProcess(report(gunicorn), { ...place, pid: 99 }),
    /there is no process 99 in container app/,
  );
  assert.throws(
    () => chooseProcess(report([proc(1, 0, ["sleep", "infinity"])]), place),
    (e: FastcsError) =>
      e.exitCode === 6 && /no Python process runs in container app of pod web-0/.test(e.message) &&
      /sleep infinity/.test(e.hint!),
  );
});

Deno.test("preconditions: debugpy, gdb and ptrace diagnosed before anything starts, with what to do", () => {
  const target = ioc[1];
  const check = (s: Partial<ContainerReport["self"]>, mode: "launch" | "attach" = "attach", t = target) =>
    missingForDebug(report(ioc, s), { ...place, mode, target: t });
  assert.equal(check({}), undefined);
  assert.equal(check({ gdb: null }, "launch"), undefined, "launching needs no gdb");
  const noDebugpy = check({ debugpy: false }, "launch")!;
  assert.equal(noDebugpy.exitCode, 6);
  assert.equal(
    noDebugpy.message,
    "debugpy is not installed for /venv/bin/python in container app of pod web-0",
  );
  assert.match(noDebugpy.hint!, /pip install debugpy/);
  assert.match(check({ gdb: null })!.hint!, /apt-get install -y gdb.*autostart: false/);
  const otherUser = check({ uid: 0 })!;
  assert.match(otherUser.message, /kubectl exec runs as uid 0 and PID 7 as uid 1000 .*SYS_PTRACE/);
  assert.match(otherUser.hint!, /capabilities\.add: \[SYS_PTRACE\].*runAsUser/);
  assert.equal(check({ uid: 0, sysPtrace: true }), undefined);
  assert.match(
    check({ ptraceScope: 1 })!.message,
    /ptrace_scope is 1: without the SYS_PTRACE capability kubectl exec in container app of pod web-0 may not trace PID 7/,
  );
  assert.equal(check({ ptraceScope: 1, sysPtrace: true }), undefined);
  assert.match(check({ ptraceScope: 3, sysPtrace: true })!.message, /ptrace_scope = 3/);
});

Deno.test("the inspector script, run by a real python on this machine, sees a process tree and its facts", async () => {
  const python = "python3";
  const parent = new Deno.Command(python, {
    args: [
      "-c",
      "import subprocess, sys; subprocess.call([sys.executable, '-c', 'import time; time.sleep(60)'])",
    ],
    cwd: "/tmp",
  }).spawn();
  try {
    let found: ContainerReport | undefined;
    for (let i = 0; i < 50; i++) {
      const r = await new Deno.Command(python, { args: ["-c", INSPECT_SCRIPT], stdout: "piped" }).output();
      assert.equal(r.code, 0);
      found = JSON.parse(new TextDecoder().decode(r.stdout)) as ContainerReport;
      if (found.processes.some((p) => p.ppid === parent.pid)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const me = found!.processes.find((p) => p.pid === parent.pid)!;
    const child = found!.processes.find((p) => p.ppid === parent.pid)!;
    assert.ok(isPython(me) && isPython(child));
    assert.deepEqual(child.cmdline.slice(1), ["-c", "import time; time.sleep(60)"]);
    assert.equal(child.cwd, "/tmp");
    assert.equal(child.uid, Deno.uid());
    assert.equal(found!.self.uid, Deno.uid());
    assert.equal(typeof found!.self.debugpy, "boolean");
    assert.equal(found!.self.cwd, Deno.cwd());
    assert.ok(
      !found!.processes.some((p) => p.cmdline.includes(INSPECT_SCRIPT)),
      "the inspector leaves itself out",
    );
  } finally {
    parent.kill("SIGKILL");
    await parent.status;
  }
});

Deno.test("--all-workers: the Python children of a Python parent; none is an error that lists the processes", () => {
  assert.deepEqual(chooseWorkers(report(gunicorn), place).map((p) => p.pid), [9, 10]);
  // ioc-instance: the wrapper's child is its one worker; debugpy's adapter is none.
  assert.deepEqual(chooseWorkers(report(ioc), place).map((p) => p.pid), [7]);
  const single = [proc(1, 0, ["python", "-m", "svc"])];
  const e = (() => {
    try {
      chooseWorkers(report(single), place);
    } catch (error) {
      return error as FastcsError;
    }
  })()!;
  assert.equal(e.exitCode, 5);
  assert.match(
    e.message,
    /no Python process in container app of pod web-0 is a worker of another:\n\s+1 {2}python -m svc/,
  );
  assert.throws(
    () => chooseWorkers(report([proc(1, 0, ["sleep", "infinity"])]), place),
    /no Python process runs/,
  );
});
