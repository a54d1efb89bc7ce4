// Real git repositories for tests: a services-style repo with charts on branch main.
import { join } from "node:path";
import { REPO, run } from "../helpers.ts";
import { tempDir } from "./files.ts";

/** A throw-away git repository: `await using repo = await createTestRepo()` removes it at the end of the scope. */
export interface TestRepo extends AsyncDisposable {
  dir: string;
  git(...args: string[]): Promise<string>;
  /** Stages everything and commits. */
  commit(message: string): Promise<void>;
  write(path: string, text: string): Promise<void>;
}

const identity = ["-c", "user.email=test@example.org", "-c", "user.name=test"];

/**
 * Creates a repo on branch main holding this project's `charts/` and `schemas/`, plus `extra` minimal
 * charts named `extra-1`, `extra-2`, … (pinned image, no schema), committed once.
 */
export async function createTestRepo(extra = 0): Promise<TestRepo> {
  const folder = await tempDir("fastcs-git-");
  const dir = folder.path;
  const r = await run("cp", ["-a", join(REPO, "charts"), join(REPO, "schemas"), dir]);
  if (r.code !== 0) throw new Error(r.stderr);
  const repo: TestRepo = {
    dir,
    [Symbol.asyncDispose]: () => folder[Symbol.asyncDispose](),
    async git(...args) {
      const out = await run("git", [...identity, ...args], { cwd: dir });
      if (out.code !== 0) throw new Error(`git ${args.join(" ")}: ${out.stderr}`);
      return out.stdout.trim();
    },
    async commit(message) {
      await repo.git("add", "-A");
      await repo.git("commit", "-q", "--allow-empty", "-m", message);
    },
    async write(path, text) {
      await Deno.mkdir(join(dir, path, ".."), { recursive: true });
      await Deno.writeTextFile(join(dir, path), text);
    },
  };
  for (let i = 1; i <= extra; i++) {
    await repo.write(
      `charts/extra-${i}/Chart.yaml`,
      `apiVersion: v2\nname: extra-${i}\nversion: 0.${i}.0\nappVersion: "1.0"\n`,
    );
    await repo.write(
      `charts/extra-${i}/values.yaml`,
      `image:\n  repository: example.org/app\n  tag: "1.0"\n`,
    );
    await repo.write(
      `charts/extra-${i}/templates/cm.yaml`,
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-${i}\n`,
    );
  }
  await repo.git("init", "-q", "-b", "main");
  await repo.commit("initial");
  return repo;
}
