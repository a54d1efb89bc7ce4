import assert from "node:assert/strict";
import { join } from "node:path";
import { findOnPath } from "./fs.ts";

Deno.test("findOnPath: the first executable file on PATH; not folders, not files without an execute bit", async () => {
  const a = await Deno.makeTempDir();
  const b = await Deno.makeTempDir();
  await Deno.writeTextFile(join(a, "plain"), "");
  await Deno.mkdir(join(a, "folder"));
  await Deno.writeTextFile(join(b, "tool"), "#!/bin/sh\n");
  await Deno.chmod(join(b, "tool"), 0o755);
  await Deno.writeTextFile(join(b, "plain"), "");
  const path = `${a}::${b}`;
  assert.equal(await findOnPath("tool", path, false), join(b, "tool"));
  assert.equal(await findOnPath("plain", path, false), undefined);
  assert.equal(await findOnPath("folder", path, false), undefined);
  assert.equal(await findOnPath("missing", path, false), undefined);
});

Deno.test("findOnPath on Windows: ';'-separated PATH and PATHEXT extensions", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "code.CMD"), "");
  assert.equal(await findOnPath("code", `C:\\nowhere;${dir}`, true), join(dir, "code.CMD"));
  assert.equal(await findOnPath("pv-mounter", dir, true), undefined);
});
