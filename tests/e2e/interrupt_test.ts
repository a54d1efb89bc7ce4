// Ctrl+C during `helm fastcs schema`: during generation the run stops at once; while files are being staged
// it removes what it staged and changes nothing (no temporary file left, not even a new folder); the files
// of a run are written all or nothing. Checked on 400 charts, with the real signal, by process. A run killed
// outright (SIGKILL) leaves hidden temporary files; a later run removes those of processes that are gone.
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, spawnCli } from "../helpers.ts";
import { type TempDir, tempRepo } from "../support/files.ts";

async function manyCharts(count: number): Promise<TempDir> {
  const root = await tempRepo({}, "fastcs-interrupt-");
  for (let i = 0; i < count; i++) {
    const dir = join(root.path, "charts", `c${i}`);
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
  await using root = await manyCharts(400);
  const watcher = Deno.watchFs(join(root.path, "charts"), { recursive: true });
  const child = spawnCli(["schema"], { cwd: root.path });
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
  assert.deepEqual(await leftovers(root.path), { schemas: 0, temps: [], schemasDir: false });
  // The same run uninterrupted writes every file.
  const whole = spawnCli(["schema"], { cwd: root.path });
  await new Response(whole.stdout).text();
  await new Response(whole.stderr).text();
  assert.equal((await whole.status).code, 0);
  assert.deepEqual(await leftovers(root.path), { schemas: 400, temps: [], schemasDir: true });
});

Deno.test("Ctrl+C during generation stops the run at once (no process outlives it)", async () => {
  await using root = await manyCharts(400);
  const child = spawnCli(["schema"], { cwd: root.path });
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
  assert.deepEqual((await leftovers(root.path)).temps, []);
});

Deno.test("a run killed while staging (SIGKILL) leaves temporary files; the next run removes them and says so", async () => {
  await using root = await manyCharts(400);
  const watcher = Deno.watchFs(join(root.path, "charts"), { recursive: true });
  const child = spawnCli(["schema"], { cwd: root.path });
  const output = Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  for await (const event of watcher) {
    if (event.paths.some((p) => p.includes(".fastcs-"))) break;
  }
  watcher.close();
  child.kill("SIGKILL");
  await child.status;
  await output;
  const killed = (await leftovers(root.path)).temps;
  assert.ok(killed.length > 0, "SIGKILL while staging leaves temporary files");

  // A fresh leftover may belong to a run still going on: kept. So is an old one of a process that lives
  // (this test's own process stands for a concurrent run).
  const live = join(root.path, "charts", "c0", `.values.schema.json.fastcs-${Deno.pid}-abc.tmp`);
  await Deno.writeTextFile(live, "{}");
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
  await Deno.utime(live, minutesAgo(5), minutesAgo(5));
  const fresh = await cli(["schema"], { cwd: root.path });
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.doesNotMatch(fresh.stdout, /\.tmp +removed/);

  // Older than a minute, of a process that is gone: removed and listed.
  for (const c of await Array.fromAsync(Deno.readDir(join(root.path, "charts")))) {
    for (const f of await Array.fromAsync(Deno.readDir(join(root.path, "charts", c.name)))) {
      const path = join(root.path, "charts", c.name, f.name);
      if (f.name.includes(".fastcs-") && path !== live) await Deno.utime(path, minutesAgo(2), minutesAgo(2));
    }
  }
  const again = await cli(["schema"], { cwd: root.path });
  assert.equal(again.code, 0, again.stderr);
  assert.equal([...again.stdout.matchAll(/\.fastcs-\d+-[0-9a-z]+\.tmp +removed/g)].length, killed.length);
  assert.deepEqual((await leftovers(root.path)).temps, [live.split("/").pop()]);
});
