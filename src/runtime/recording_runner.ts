// A recording Runner: the test double of the process runner for adapter unit tests. It owns only the
// bookkeeping: every call an adapter makes is recorded as made (command, argv, options, and the command
// line HELM_DEBUG would show), and answered from a script of canned results. A call the script does not
// answer throws with its argv, so a test never passes on a command line nobody expected. The real helm,
// kubectl and git run in the e2e tests (tests/e2e), not here.
import { describeCommand, type ProcessRunner, type RunOptions, type RunResult } from "./runner.ts";

/** One call an adapter made, as it made it. */
export interface RecordedCall {
  /** `run` (to completion) or `start` (long-running). */
  via: "run" | "start";
  cmd: string;
  args: string[];
  /** As passed: cwd, env, stdin (a password goes here, never into argv), timeoutMs. */
  options: RunOptions;
  /** The command line the real runner logs under HELM_DEBUG, secret flags redacted. */
  shown: string;
}

/** One canned answer of a script. The first reply that matches a call answers it. */
export interface Reply {
  /** The executable the call must run; any when absent. */
  cmd?: string;
  /** The argv must start with these, or the function must accept the call; any argv when absent. */
  match?: string[] | ((call: RecordedCall) => boolean);
  /** What the call returns (code 0 and empty output unless given), or a function of the call. */
  result?: Partial<RunResult> | ((call: RecordedCall) => Partial<RunResult>);
  /** Answers this many calls, then leaves later ones to the next replies; unlimited when absent. */
  times?: number;
}

/** A {@link ProcessRunner} that records its calls and answers them from a script. */
export interface RecordingRunner extends ProcessRunner {
  /** Every call so far, in order (unanswered ones too). */
  calls: RecordedCall[];
  /** The argv of every call so far, command first: one array to compare with the expected command lines. */
  argvs(): string[][];
}

/**
 * Creates a recording runner answering from `script`.
 *
 * @throws Error from `run` and `start` for a call no reply matches, naming its argv.
 */
export function recordingRunner(script: Reply[] = []): RecordingRunner {
  const calls: RecordedCall[] = [];
  const used = new Map<Reply, number>();
  const answer = (call: RecordedCall): RunResult => {
    calls.push(call);
    const reply = script.find((r) =>
      (r.cmd === undefined || r.cmd === call.cmd) &&
      (r.times === undefined || (used.get(r) ?? 0) < r.times) &&
      (r.match === undefined ||
        (typeof r.match === "function" ? r.match(call) : r.match.every((a, i) => call.args[i] === a)))
    );
    if (!reply) {
      throw new Error(`recording runner: no reply for ${JSON.stringify([call.cmd, ...call.args])}`);
    }
    used.set(reply, (used.get(reply) ?? 0) + 1);
    const result = typeof reply.result === "function" ? reply.result(call) : reply.result;
    return { code: 0, stdout: "", stderr: "", ...result };
  };
  const record = (via: RecordedCall["via"], cmd: string, args: string[], options: RunOptions) => ({
    via,
    cmd,
    args: [...args],
    options,
    shown: describeCommand(cmd, args),
  });
  return {
    calls,
    argvs: () => calls.map((c) => [c.cmd, ...c.args]),
    // The executor runs at once (calls are recorded in call order); what it throws rejects the promise.
    run: (cmd, args, options) => new Promise((resolve) => resolve(answer(record("run", cmd, args, options)))),
    start: (cmd, args, options) => {
      const r = answer(record("start", cmd, args, options));
      const lines = (["stdout", "stderr"] as const).flatMap((stream) =>
        r[stream].split("\n").filter(Boolean).map((line) => ({ stream, line }))
      );
      const exited = Promise.resolve(r.code);
      return {
        pid: 0,
        lines: (async function* () {
          yield* lines;
        })(),
        exited,
        stop: async () => {
          await exited;
        },
      };
    },
    killAll: () => {},
  };
}
