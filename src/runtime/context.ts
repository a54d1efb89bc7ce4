// The context every command receives: no module-level globals, cwd always explicit.
import type { HelmEnv } from "./helm_env.ts";
import type { Log } from "./log.ts";
import type { ProcessRunner, Runner } from "./runner.ts";

/** What a command needs from the outside world. */
export interface Context {
  /** Helm's environment, read once at start-up. */
  env: HelmEnv;
  /** Output and diagnostics. */
  log: Log;
  /** The working directory every relative path is resolved against (absolute). */
  cwd: string;
  /**
   * A path as messages and results show it: relative to `cwd` when inside it, else absolute. URLs and
   * OCI references are returned unchanged.
   */
  display(path: string): string;
  /** True when stdin is a terminal (prompts are allowed). */
  interactive: boolean;
  /**
   * Asks a question on stderr (never stdout, which holds results) and returns the line typed on stdin,
   * without its line break; undefined when stdin ends first.
   */
  confirm(question: string): Promise<string | undefined>;
  /** Runs subprocesses (helm, git, kubectl). */
  run: Runner;
  /** Starts long-running subprocesses (port-forwards, exec sessions). */
  start: ProcessRunner["start"];
  /**
   * Registers clean-up to run on Ctrl+C (SIGINT) or SIGTERM before the plugin exits with code 130;
   * returns a function that unregisters it. Without one, an interrupt kills subprocesses at once.
   */
  onInterrupt(handler: () => Promise<void> | void): () => void;
}
