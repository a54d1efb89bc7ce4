// Throw-away folders and repositories of files for the tests: a temporary folder that removes itself at the
// end of its `await using` scope, and the same with `git init` (so the plugin finds its repository root
// there) and the given files written into it.
import { join } from "node:path";
import { run } from "../helpers.ts";

/** A temporary folder, removed with all it holds when disposed: `await using dir = await tempDir()`. */
export interface TempDir extends AsyncDisposable {
  /** Absolute path of the folder. */
  path: string;
}

/** A new empty temporary folder named `prefix…`. */
export async function tempDir(prefix = "fastcs-test-"): Promise<TempDir> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
    },
  };
}

/** Writes `files` (path relative to `root` -> text) under `root`, making folders as needed. */
export async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(join(root, path, ".."), { recursive: true });
    await Deno.writeTextFile(join(root, path), text);
  }
}

/** A new git repository in a temporary folder holding `files`. */
export async function tempRepo(
  files: Record<string, string> = {},
  prefix = "fastcs-repo-",
): Promise<TempDir> {
  const dir = await tempDir(prefix);
  const init = await run("git", ["init", "-q", dir.path]);
  if (init.code !== 0) throw new Error(`git init failed: ${init.stderr}`);
  await writeTree(dir.path, files);
  return dir;
}
