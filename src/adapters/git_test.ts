import assert from "node:assert/strict";
import { join } from "node:path";
import { createLog } from "../runtime/log.ts";
import { createRunner } from "../runtime/runner.ts";
import { createGit } from "./git.ts";

Deno.test("git changes keep porcelain's status column (a modified file starts with a space)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fastcs-git-" });
  const runner = createRunner(createLog({ debug: false, color: false, writeErr: () => {} }));
  const sh = (...args: string[]) => runner.run("git", args, { cwd: dir });
  await sh("init", "-q");
  await Deno.writeTextFile(join(dir, "tracked.txt"), "a\n");
  await sh("add", ".");
  await sh("-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "x");
  await Deno.writeTextFile(join(dir, "tracked.txt"), "b\n");
  await Deno.writeTextFile(join(dir, "new.txt"), "c\n");
  const changes = await createGit(runner.run, dir).changes();
  assert.deepEqual(changes, [" M tracked.txt", "?? new.txt"]);
  assert.deepEqual(changes.map((l) => l.slice(3)), ["tracked.txt", "new.txt"]);
});
