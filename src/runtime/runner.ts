// Every subprocess goes through here: one place that spawns, captures, times out, redacts secrets in
// what it logs, and kills what is still running when the plugin is interrupted.
import type { Log } from "./log.ts";

/** A finished subprocess. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of one {@link Runner} call. */
export interface RunOptions {
  cwd: string;
  /** Extra environment on top of the plugin's own. */
  env?: Record<string, string>;
  /** Text written to the process' stdin (e.g. a password), never logged. */
  stdin?: string;
  /** Kill the process after this many milliseconds (default: no limit). */
  timeoutMs?: number;
}

/** Runs a command to completion. Never throws for a non-zero exit: the caller reads `code`. */
export type Runner = (cmd: string, args: string[], options: RunOptions) => Promise<RunResult>;

const SECRET_FLAGS = new Set(["--password", "--passphrase", "-p"]);

/** The command line as shown under HELM_DEBUG, with values of secret flags replaced. */
export function describeCommand(cmd: string, args: string[]): string {
  const shown: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.indexOf("=");
    if (eq > 0 && SECRET_FLAGS.has(a.slice(0, eq))) shown.push(`${a.slice(0, eq)}=***`);
    else if (SECRET_FLAGS.has(a) && i + 1 < args.length) shown.push(a, "***"), i++;
    else shown.push(/\s/.test(a) ? JSON.stringify(a) : a);
  }
  return [cmd, ...shown].join(" ");
}

/** A {@link Runner} over real processes, and a way to kill those still running. */
export interface ProcessRunner {
  run: Runner;
  /** Kills every subprocess still running (main calls it on SIGINT/SIGTERM before exiting). */
  killAll(): void;
}

/**
 * Creates the process runner. A missing executable gives code 127 and the reason in stderr; nothing
 * throws for a failed command.
 */
export function createRunner(log: Log): ProcessRunner {
  const live = new Set<() => void>();
  const run: Runner = async (cmd, args, options) => {
    log.debug(`run: ${describeCommand(cmd, args)} (in ${options.cwd})`);
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(cmd, {
        args,
        cwd: options.cwd,
        env: options.env,
        stdin: options.stdin === undefined ? "null" : "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (error) {
      return { code: 127, stdout: "", stderr: `${cmd}: ${(error as Error).message}` };
    }
    const kill = () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
    };
    live.add(kill);
    const timer = options.timeoutMs ? setTimeout(kill, options.timeoutMs) : undefined;
    try {
      if (options.stdin !== undefined) {
        const writer = child.stdin.getWriter();
        await writer.write(new TextEncoder().encode(options.stdin));
        await writer.close();
      }
      const out = await child.output();
      const decode = (b: Uint8Array) => new TextDecoder().decode(b);
      return {
        code: out.signal ? 128 + 15 : out.code,
        stdout: decode(out.stdout),
        stderr: decode(out.stderr),
      };
    } finally {
      if (timer) clearTimeout(timer);
      live.delete(kill);
    }
  };
  return { run, killAll: () => live.forEach((kill) => kill()) };
}
