// The one error type of the plugin and the documented exit codes. Only src/main.ts turns these into a
// process exit; everything else throws.

/**
 * Exit codes of `helm fastcs` (documented in the README, stable across releases).
 * Helm passes a plugin's exit code through unchanged.
 */
export const ExitCode = {
  /** Success. */
  ok: 0,
  /** An unexpected failure (a bug: please report it). */
  internal: 1,
  /** The command line was wrong: unknown flag, missing argument. */
  usage: 2,
  /** `--check` found generated files that are stale or missing. */
  stale: 3,
  /** A values file does not validate against its schema. */
  invalid: 4,
  /** Input could not be used: malformed YAML, bad annotation or config, missing chart. */
  input: 5,
  /** A tool or the environment failed: helm missing, a file could not be written, a fetch failed. */
  environment: 6,
  /** `publish` refused: a policy check failed (dirty tree, branch, image tag, version already published
   * with other content). Nothing was pushed. */
  refused: 8,
  /** `publish` failed at a registry or repository (unreachable, credentials, push); the summary says
   * what was and was not published. */
  publishFailed: 9,
  /** `promote --diff-only`: the promotion would change something (0 means it would not). */
  changes: 10,
  /** `promote` failed in the target (upgrade, readiness, test); the target is back at its previous
   * revision (a failed first install is removed; `--on-test-failure keep` keeps a revision whose tests
   * failed). With several releases: at least one failed; the summary says what became of each. */
  promoteFailed: 11,
  /** `debug`: the debugged program ended with a non-zero exit code (printed on stderr). */
  programFailed: 12,
  /** Interrupted by SIGINT (128 + 2, as shells report it); `promote` finished the release in progress and
   * attempted no further one. */
  interrupted: 130,
} as const;

/** One short line per exit code, for `--help` (the README's table says the same at length; a test checks
 * that both list exactly the codes of {@link ExitCode}). */
export const EXIT_CODE_SUMMARY: Record<ExitCodeValue, string> = {
  0: "ok",
  1: "internal error",
  2: "usage",
  3: "stale files (--check)",
  4: "invalid values",
  5: "bad input",
  6: "tool or environment failure",
  8: "refused",
  9: "failed at a registry",
  10: "promote --diff-only found changes",
  11: "promotion failed (target rolled back)",
  12: "the debugged program failed",
  130: "interrupted",
};

/** One of the values of {@link ExitCode}. */
export type ExitCodeValue = typeof ExitCode[keyof typeof ExitCode];

/** Construction options of {@link FastcsError}. */
export interface FastcsErrorOptions {
  /** Stable machine-readable code, e.g. `schema.annotation`, `yaml.syntax`. */
  code: string;
  /** Process exit code, from {@link ExitCode}. */
  exitCode: ExitCodeValue;
  /** What the user can do next, one or two sentences. */
  hint?: string;
  /** The underlying error, shown only under HELM_DEBUG. */
  cause?: unknown;
  /** Further lines (e.g. one per problem) printed under the message. */
  details?: string[];
}

/**
 * The error every part of the plugin throws for a failure a user can act on. The message says what
 * failed and where (`file:line:column`, chart, release); `hint` says what to do next.
 */
export class FastcsError extends Error {
  readonly code: string;
  readonly exitCode: ExitCodeValue;
  readonly hint?: string;
  readonly details: string[];

  constructor(message: string, options: FastcsErrorOptions) {
    super(message, { cause: options.cause });
    this.name = "FastcsError";
    this.code = options.code;
    this.exitCode = options.exitCode;
    this.hint = options.hint;
    this.details = options.details ?? [];
  }
}

/** A 1-based position in a text file, as editors and compilers print it (`file:line:column`). */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** Formats a position as `file:line:column`. */
export function formatPosition(pos: SourcePosition): string {
  return `${pos.file}:${pos.line}:${pos.column}`;
}

/** Builds an input error (exit code 5) located at `pos`. */
export function inputError(
  pos: SourcePosition | string,
  message: string,
  extra: Partial<FastcsErrorOptions> = {},
): FastcsError {
  const where = typeof pos === "string" ? pos : formatPosition(pos);
  return new FastcsError(`${where}: ${message}`, { code: "input", exitCode: ExitCode.input, ...extra });
}
