// Throw-away folders and repositories of files for the tests: a temporary folder that removes itself at the
// end of its `await using` scope, the same with `git init` (so the plugin finds its repository root there)
// and the given files written into it, and copies of the fixture charts on disk (tests/testdata/charts).
import { join } from "node:path";
import { REPO, run } from "../helpers.ts";

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

/** Folder of the fixture charts: real charts on disk, each shared by the tests that need it. */
export const FIXTURE_CHARTS = join(REPO, "tests/testdata/charts");

/** Copies fixture chart `name` (a folder of {@link FIXTURE_CHARTS}) to `to` (a new folder), for a test that
 * changes it or puts it into a repository. */
export async function copyFixtureChart(name: string, to: string): Promise<void> {
  await Deno.mkdir(join(to, ".."), { recursive: true });
  const cp = await run("cp", ["-a", join(FIXTURE_CHARTS, name), to]);
  if (cp.code !== 0) throw new Error(`copying fixture chart ${name} failed: ${cp.stderr}`);
}

/**
 * Fixture chart p47, a services repository's umbrella chart with the fastcs chart as a sub-chart under the
 * alias "ioc", copied to `to` with `fastcs` (by default this repository's charts/fastcs) in its charts/.
 */
export async function servicesChart(to: string, fastcs = join(REPO, "charts/fastcs")): Promise<void> {
  await copyFixtureChart("p47", to);
  await Deno.mkdir(join(to, "charts"), { recursive: true });
  const cp = await run("cp", ["-a", fastcs, join(to, "charts", "fastcs")]);
  if (cp.code !== 0) throw new Error(`copying ${fastcs} failed: ${cp.stderr}`);
}
