// Typed wrappers over the git CLI. Every call takes the repository folder explicitly.
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import type { Runner } from "../runtime/runner.ts";

/** git over a {@link Runner}, in repository `cwd`. */
export interface Git {
  /** Abbreviated hash of HEAD (`git rev-parse --short`, at least 7 characters). */
  shortHead(): Promise<string>;
  /** Tags that point at HEAD, sorted. */
  tagsAtHead(): Promise<string[]>;
  /** `git status --porcelain` lines (tracked and untracked changes); empty when clean. */
  changes(): Promise<string[]>;
  /** True when HEAD is reachable from the branch (local `refs/heads/B` or `refs/remotes/origin/B`). */
  headOnBranch(branch: string): Promise<boolean>;
  /**
   * `git add -- PATHS` then `git commit -q -F - -- PATHS` (the message on stdin): commits exactly these
   * files (paths absolute or relative to the repository), leaving anything else staged as it was.
   */
  commitFiles(paths: string[], message: string): Promise<void>;
}

/**
 * Creates the git wrapper for the repository in `cwd`.
 *
 * @throws FastcsError (exit code 6) from each method when git fails (not a repository, git missing).
 */
export function createGit(run: Runner, cwd: string): Git {
  // Porcelain lines start with a status column that may be a space: only the final newline goes.
  const git = async (args: string[], keepLeading = false, stdin?: string) => {
    const r = await run("git", args, { cwd, stdin });
    if (r.code !== 0) {
      throw new FastcsError(
        `git ${args.join(" ")} failed in ${cwd}: ${r.stderr.trim() || `exit ${r.code}`}`,
        {
          code: "git.failed",
          exitCode: ExitCode.environment,
          hint: r.code === 127
            ? "Install git."
            : "Run from inside a git repository with at least one commit.",
        },
      );
    }
    return keepLeading ? r.stdout.trimEnd() : r.stdout.trim();
  };
  return {
    shortHead: () => git(["rev-parse", "--short", "HEAD"]),
    tagsAtHead: async () => (await git(["tag", "--points-at", "HEAD"])).split("\n").filter(Boolean).sort(),
    changes: async () => (await git(["status", "--porcelain"], true)).split("\n").filter(Boolean),
    headOnBranch: async (branch) => {
      for (const ref of [`refs/heads/${branch}`, `refs/remotes/origin/${branch}`]) {
        const exists = await run("git", ["rev-parse", "--verify", "--quiet", ref], { cwd });
        if (exists.code !== 0) continue;
        const r = await run("git", ["merge-base", "--is-ancestor", "HEAD", ref], { cwd });
        if (r.code === 0) return true;
      }
      return false;
    },
    commitFiles: async (paths, message) => {
      await git(["add", "--", ...paths]);
      await git(["commit", "-q", "-F", "-", "--", ...paths], false, message);
    },
  };
}
