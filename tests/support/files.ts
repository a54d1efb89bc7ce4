// Throw-away repositories of files for the tests: a temporary folder with `git init` (so the plugin finds
// its repository root there) and the given files written into it.
import { join } from "node:path";
import { run } from "../helpers.ts";

/** Writes `files` (path relative to `root` -> text) under `root`, making folders as needed. */
export async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(join(root, path, ".."), { recursive: true });
    await Deno.writeTextFile(join(root, path), text);
  }
}

/** A new git repository in a temporary folder holding `files`; returns its absolute path. */
export async function tempRepo(files: Record<string, string> = {}, prefix = "fastcs-repo-"): Promise<string> {
  const root = await Deno.makeTempDir({ prefix });
  const init = await run("git", ["init", "-q", root]);
  if (init.code !== 0) throw new Error(`git init failed: ${init.stderr}`);
  await writeTree(root, files);
  return root;
}
