// Every subprocess goes through here: one place that spawns, captures, times out, redacts secrets in
// what it logs, and kills what is still running when the plugin is interrupted.
import type { Log } from "./log.ts";
import { redactUrls } from "./redact.ts";

/** A finished subprocess. */
export interface RunResult {
  /**
   * The exit code; a process ended by a signal gives 128 + the signal's number, as shells report it (137 for
   * SIGKILL, 143 for SIGTERM, also after `timeoutMs`); 127 when the executable cannot be started.
   */
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

/** The last non-empty line of a tool's output ("" for none): its error, usually. */
export function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "";
}

const SECRET_FLAGS = new Set(["--password", "--passphrase", "-p"]);

/** The command line as shown under HELM_DEBUG: values of secret flags replaced, and the secrets of URLs
 * (passwords, tokens in query strings: see {@link redactUrls}). */
export function describeCommand(cmd: string, args: string[]): string {
  const shown: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.indexOf("=");
    if (eq > 0 && SECRET_FLAGS.has(a.slice(0, eq))) shown.push(`${a.slice(0, eq)}=***`);
    else if (SECRET_FLAGS.has(a) && i + 1 < args.length) shown.push(a, "***"), i++;
    else {
      const safe = redactUrls(a);
      shown.push(/\s/.test(safe) ? JSON.stringify(safe) : safe);
    }
  }
  return [cmd, ...shown].join(" ");
}

/** A long-running subprocess started by {@link ProcessRunner.start}. */
export interface Started {
  pid: number;
  /** Its stdout and stderr, as text lines. */
  lines: AsyncIterable<{ stream: "stdout" | "stderr"; line: string }>;
  /** Resolves with the exit code when it ends (128 + the signal's number when a signal ended it). */
  exited: Promise<number>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** A {@link Runner} over real processes, and a way to kill those still running. */
export interface ProcessRunner {
  run: Runner;
  /** Starts a process that keeps running (port-forward, exec session); it is killed by killAll too. */
  start(cmd: string, args: string[], options: Omit<RunOptions, "stdin" | "timeoutMs">): Started;
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
        code: out.code,
        stdout: decode(out.stdout),
        stderr: decode(out.stderr),
      };
    } finally {
      if (timer) clearTimeout(timer);
      live.delete(kill);
    }
  };
  const start: ProcessRunner["start"] = (cmd, args, options) => {
    log.debug(`start: ${describeCommand(cmd, args)} (in ${options.cwd})`);
    const child = new Deno.Command(cmd, {
      args,
      cwd: options.cwd,
      env: options.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const kill = (signal: Deno.Signal) => {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
    };
    const killTerm = () => kill("SIGTERM");
    live.add(killTerm);
    const exited = child.status.then((s) => {
      live.delete(killTerm);
      return s.code;
    });
    const queue: { stream: "stdout" | "stderr"; line: string }[] = [];
    let wake: (() => void) | undefined;
    let open = 2;
    const pump = async (stream: ReadableStream<Uint8Array>, name: "stdout" | "stderr") => {
      let rest = "";
      try {
        for await (const text of stream.pipeThrough(new TextDecoderStream())) {
          const parts = (rest + text).split("\n");
          rest = parts.pop() ?? "";
          for (const line of parts) queue.push({ stream: name, line });
          wake?.();
        }
      } catch { /* the process was killed */ }
      if (rest) queue.push({ stream: name, line: rest });
      open--;
      wake?.();
    };
    pump(child.stdout, "stdout");
    pump(child.stderr, "stderr");
    const lines = (async function* () {
      while (true) {
        if (queue.length > 0) {
          yield queue.shift()!;
          continue;
        }
        if (open === 0) return;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    })();
    return {
      pid: child.pid,
      lines,
      exited,
      stop: async (graceMs = 2000) => {
        kill("SIGTERM");
        const timer = setTimeout(() => kill("SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      },
    };
  };
  return { run, start, killAll: () => live.forEach((kill) => kill()) };
}
