import assert from "node:assert/strict";
import { interruptSignals, main } from "./main.ts";
import { EXIT_CODE_SUMMARY, ExitCode } from "./runtime/errors.ts";
import type { Context } from "./runtime/context.ts";
import { readHelmEnv } from "./runtime/helm_env.ts";
import { createLog } from "./runtime/log.ts";
import { createRunner } from "./runtime/runner.ts";
import { displayPath } from "./runtime/fs.ts";

function context(vars: Record<string, string> = {}, color = false) {
  const out: string[] = [];
  const err: string[] = [];
  const env = readHelmEnv(vars);
  const cwd = Deno.makeTempDirSync();
  const ctx: Context = {
    env,
    log: createLog({ debug: env.debug, color, writeOut: (t) => out.push(t), writeErr: (t) => err.push(t) }),
    cwd,
    display: (path) => displayPath(cwd, path),
    interactive: false,
    confirm: () => Promise.resolve(undefined),
    ...(() => {
      const r = createRunner(createLog({ debug: false, color: false, writeErr: () => {} }));
      return { run: r.run, start: r.start };
    })(),
    onInterrupt: () => () => {},
  };
  return { ctx, out, err };
}

Deno.test("a FastcsError becomes its exit code, the message and a hint on stderr, nothing on stdout", async () => {
  const { ctx, out, err } = context();
  assert.equal(await main(["promote", "staging", "prod"], ctx), 5);
  assert.deepEqual(out, []);
  assert.match(err.join(""), /^error: no promotion project file fastcs\.yaml\nhint: Create fastcs\.yaml/);
});

Deno.test("input errors give exit code 5 and say what is missing", async () => {
  const { ctx, err } = context({ HELM_DEBUG: "1" });
  assert.equal(await main(["schema", "--check"], ctx), 5);
  assert.match(err.join(""), /no charts folder \(charts\/ or Charts\/\)/);
});

Deno.test("errors are coloured only when colour is on (a terminal without NO_COLOR)", async () => {
  const plain = context({}, false);
  await main(["promote"], plain.ctx);
  assert.ok(!plain.err.join("").includes("\x1b["));
  const coloured = context({}, true);
  await main(["promote"], coloured.ctx);
  assert.ok(coloured.err.join("").includes("\x1b[31merror:"));
});

Deno.test("help and version exit 0 on stdout; usage errors exit 2", async () => {
  const h = context();
  assert.equal(await main(["--help"], h.ctx), 0);
  assert.match(h.out.join(""), /Usage: helm fastcs/);
  const v = context();
  assert.equal(await main(["--version"], v.ctx), 0);
  assert.match(v.out.join(""), /^\d+\.\d+\.\d+/);
  const u = context();
  assert.equal(await main(["schema", "validate", "--output", "xml"], u.ctx), 2);
  assert.match(u.err.join(""), /--output.*xml.*(choices|Allowed)/i);
});

Deno.test("interrupt signals: SIGINT and SIGTERM; on Windows SIGINT and SIGBREAK, the only ones Deno listens for there", () => {
  assert.deepEqual(interruptSignals("linux"), ["SIGINT", "SIGTERM"]);
  assert.deepEqual(interruptSignals("darwin"), ["SIGINT", "SIGTERM"]);
  assert.deepEqual(interruptSignals("windows"), ["SIGINT", "SIGBREAK"]);
  // The listeners can be added here (a wrong name would throw).
  for (const signal of interruptSignals(Deno.build.os)) {
    const listener = () => {};
    Deno.addSignalListener(signal, listener);
    Deno.removeSignalListener(signal, listener);
  }
});

Deno.test("exit codes are listed once: --help and the README's table name exactly the codes of ExitCode", async () => {
  const codes = Object.values(ExitCode).map(String).sort();
  assert.deepEqual(Object.keys(EXIT_CODE_SUMMARY).sort(), codes);
  const { ctx, out } = context();
  assert.equal(await main(["--help"], ctx), 0);
  const help = out.join("");
  const listed = [...help.matchAll(/(?:Exit codes: |, )(\d+) /g)].map((m) => m[1]).sort();
  assert.deepEqual(listed, codes);
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const table = readme.slice(readme.indexOf("## Exit codes"));
  const rows = [...table.matchAll(/^\| (\d+) +\|/gm)].map((m) => m[1]).sort();
  assert.deepEqual(rows, codes);
});
