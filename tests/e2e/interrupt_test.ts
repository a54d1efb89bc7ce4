// Ctrl+C during `helm fastcs schema`: during generation the run stops at once; while files are being staged
// it removes what it staged and changes nothing (no temporary file left, not even a new folder); the files
// of a run are written all or nothing. Checked on 400 charts, with the real signal, by process.
import assert from "node:assert/strict";
import { join } from "node:path";
import { run, spawnCli } from "../helpers.ts";

async function manyCharts(count: number): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "fastcs-interrupt-" });
  await run("git", ["init", "-q", root]);
  for (let i = 0; i < count; i++) {
    const dir = join(root, "charts", `c${i}`);
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(join(dir, "Chart.yaml"), `apiVersion: v2\nname: c${i}\nversion: 1.0.0\n`);
    await Deno.writeTextFile(join(dir, "values.yaml"), "image:\n  tag: x\nport: 80\n");
  }
  return root;
}

async function leftovers(root: string): Promise<{ schemas: number; temps: string[]; schemasDir: boolean }> {
  let schemas = 0;
  const temps: string[] = [];
  for await (const c of Deno.readDir(join(root, "charts"))) {
    for await (const f of Deno.readDir(join(root, "charts", c.name))) {
      if (f.name === "values.schema.json") schemas++;
      if (f.name.includes(".fastcs-")) temps.push(f.name);
    }
  }
  const schemasDir = await Deno.stat(join(root, "schemas")).then(() => true, () => false);
  return { schemas, temps, schemasDir };
}

Deno.test("Ctrl+C while the schema files are staged: exit 130, nothing written, nothing left", async () => {
  const root = await manyCharts(400);
  const watcher = Deno.watchFs(join(root, "charts"), { recursive: true });
  const child = spawnCli(["schema"], { cwd: root });
  const stderr = new Response(child.stderr).text();
  const stdout = new Response(child.stdout).text();
  // The first staged file is the signal that writing has begun.
  for await (const event of watcher) {
    if (event.paths.some((p) => p.includes(".fastcs-"))) break;
  }
  watcher.close();
  child.kill("SIGINT");
  const { code } = await child.status;
  await stdout;
  assert.equal(code, 130, await stderr);
  assert.match(await stderr, /interrupted: nothing was written/);
  assert.deepEqual(await leftovers(root), { schemas: 0, temps: [], schemasDir: false });
  // The same run uninterrupted writes every file.
  const whole = spawnCli(["schema"], { cwd: root });
  await new Response(whole.stdout).text();
  await new Response(whole.stderr).text();
  assert.equal((await whole.status).code, 0);
  assert.deepEqual(await leftovers(root), { schemas: 400, temps: [], schemasDir: true });
});

Deno.test("Ctrl+C during generation stops the run at once (no process outlives it)", async () => {
  const root = await manyCharts(400);
  const child = spawnCli(["schema"], { cwd: root });
  const stderr = new Response(child.stderr).text();
  await new Promise((r) => setTimeout(r, 400));
  const sent = performance.now();
  child.kill("SIGINT");
  const { code } = await child.status;
  await new Response(child.stdout).text().catch(() => "");
  assert.equal(code, 130, await stderr);
  assert.ok(
    performance.now() - sent < 2000,
    `stopped ${Math.round(performance.now() - sent)} ms after Ctrl+C`,
  );
  assert.equal(
    await Deno.stat(`/proc/${child.pid}`).then(() => true, () => false),
    false,
    "the process is gone",
  );
  assert.deepEqual((await leftovers(root)).temps, []);
});
