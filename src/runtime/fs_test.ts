import assert from "node:assert/strict";
import { join } from "node:path";
import { copyTree, findOnPath, readThroughLink } from "./fs.ts";

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

Deno.test("readThroughLink: a file holding a link's relative target (git without symlinks) reads as the target", async () => {
  const root = await Deno.makeTempDir();
  await Deno.mkdir(join(root, "charts/a"), { recursive: true });
  await Deno.mkdir(join(root, "schemas"));
  await Deno.writeTextFile(join(root, "charts/a/values.schema.json"), '{"type": "object"}\n');
  await Deno.writeTextFile(join(root, "schemas/a.json"), "../charts/a/values.schema.json");
  await Deno.writeTextFile(join(root, "schemas/b.json"), '{"type": "string"}\n');
  await Deno.writeTextFile(join(root, "schemas/c.json"), "../charts/missing/values.schema.json");
  const text = async (name: string) =>
    new TextDecoder().decode(await readThroughLink(join(root, "schemas", name)));
  assert.equal(await text("a.json"), '{"type": "object"}\n');
  assert.equal(await text("b.json"), '{"type": "string"}\n');
  assert.equal(await text("c.json"), "../charts/missing/values.schema.json");
});

Deno.test("copyTree copies files with their mode, folders and links as links", async () => {
  const from = await Deno.makeTempDir();
  await Deno.mkdir(join(from, "sub"));
  await Deno.writeTextFile(join(from, "sub", "a.txt"), "a");
  await Deno.writeTextFile(join(from, "run.sh"), "#!/bin/sh\n");
  await Deno.chmod(join(from, "run.sh"), 0o755);
  await Deno.symlink("sub/a.txt", join(from, "link"));
  const to = join(await Deno.makeTempDir(), "copy");
  await copyTree(from, to);
  assert.equal(await Deno.readTextFile(join(to, "sub", "a.txt")), "a");
  assert.equal((await Deno.stat(join(to, "run.sh"))).mode! & 0o777, 0o755);
  assert.equal(await Deno.readLink(join(to, "link")), "sub/a.txt");
});
