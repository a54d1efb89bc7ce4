// The launch wrapper run by a real python (python3 on PATH): a program whose child keeps the output open
// (as debugpy's adapter does) still ends the wrapper, with the program's code on the exit line.
import assert from "node:assert/strict";
import { EXIT_LINE_PREFIX, exitLineCode, LAUNCH_SCRIPT, launchCommand } from "./launcher.ts";

const decoder = new TextDecoder();

// The interpreter itself, not a version manager's shim in front of it (pyenv's runs a shell and `pyenv exec`
// for every start, which under load can be slow or print its own lines).
const PYTHON = new TextDecoder().decode(
  new Deno.Command("python3", { args: ["-c", "import sys; print(sys.executable)"] }).outputSync().stdout,
).trim();

/** Runs the wrapper around `python -c program`; `signal` is sent to the wrapper once `ready` is printed. */
async function wrap(program: string, signal?: Deno.Signal) {
  const started = performance.now();
  const child = new Deno.Command(PYTHON, {
    args: ["-c", LAUNCH_SCRIPT, PYTHON, "-c", program],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const reader = child.stdout.getReader();
  while (!/ready \d+\n/.test(out)) {
    const { value, done } = await reader.read();
    if (done) break;
    out += decoder.decode(value);
  }
  if (signal) child.kill(signal);
  const [status, rest, err] = await Promise.all([
    child.status,
    (async () => {
      let text = "";
      for (let r = await reader.read(); !r.done; r = await reader.read()) text += decoder.decode(r.value);
      return text;
    })(),
    new Response(child.stderr).text(),
  ]);
  return { status, stdout: out + rest, stderr: err, seconds: (performance.now() - started) / 1000 };
}

const alive = (pid: number) => {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
};

Deno.test("launch wrapper: the program's exit ends it even while a child holds the output open; the code is said", async () => {
  // The child stands for debugpy's adapter: it inherits stdout and stderr, leaves the process group (setsid)
  // and would run for a minute.
  const r = await wrap(
    "import subprocess, sys; c = subprocess.Popen(['sleep', '60'], start_new_session=True); print('ready', c.pid, flush=True); sys.exit(3)",
  );
  assert.equal(r.status.code, 0, r.stderr);
  assert.ok(r.seconds < 10, `took ${r.seconds} s`);
  const holder = Number(/ready (\d+)/.exec(r.stdout)![1]);
  assert.equal(alive(holder), false, "the child holding the output is ended");
  const last = r.stderr.trim().split("\n").at(-1)!;
  assert.equal(last, `${EXIT_LINE_PREFIX}3`);
  assert.equal(exitLineCode(last), 3);
});

Deno.test("launch wrapper: SIGTERM reaches the program's group; a signal's code is 128 + its number", async () => {
  const r = await wrap(
    "import subprocess, time; c = subprocess.Popen(['sleep', '60']); print('ready', c.pid, flush=True); time.sleep(60)",
    "SIGTERM",
  );
  assert.equal(r.status.code, 0, r.stderr);
  const ready = /ready (\d+)/.exec(r.stdout);
  assert.ok(ready, `the program said it was ready: ${r.stdout} ${r.stderr}`);
  assert.equal(alive(Number(ready[1])), false);
  assert.equal(exitLineCode(r.stderr.trim().split("\n").at(-1)!), 143);
});

Deno.test("launch wrapper: the exec'd command line, and lines that are not the exit line", () => {
  assert.deepEqual(launchCommand(["python", "-m", "debugpy"]).slice(0, 2), ["python", "-c"]);
  assert.deepEqual(launchCommand(["python", "-m", "debugpy"]).slice(3), ["python", "-m", "debugpy"]);
  assert.equal(exitLineCode("exit code 3"), undefined);
  assert.equal(exitLineCode(`${EXIT_LINE_PREFIX}x`), undefined);
});
