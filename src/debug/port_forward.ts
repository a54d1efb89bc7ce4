// The debug session's port-forward (kubectl port-forward, watched and opened again when it drops) and the
// readiness behind it: debugpy answering a DAP request through the forward.
import type { Kubectl } from "../adapters/kube.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import type { Started } from "../runtime/runner.ts";
import { probeDap } from "./dap.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What {@link supervisedForward} forwards, and the session state it asks about. */
export interface ForwardOptions {
  pod: string;
  /** The debug adapter's port in the pod. */
  remotePort: number;
  /** Local port to use; default: a free one chosen by kubectl. */
  localPort?: number;
  /** False once the session is being stopped: then a dropped forward is not opened again. */
  active: () => boolean;
  /** True once debugpy answered: before that, the readiness probes themselves end kubectl's forward. */
  ready: () => boolean;
  /** Told each kubectl port-forward started (the first, and each one opened again): its PID and command
   * line, for the session record. */
  started?: (pid: number, argv: string[], localPort: number) => Promise<void>;
}

/**
 * `kubectl port-forward pod/POD LOCAL:REMOTE`, opened again on the same local port whenever kubectl ends
 * it (since kubectl 1.23 one failed connection ends the whole forward). Returns the local port and a
 * stop function.
 *
 * @throws FastcsError (exit code 6) when the first forward cannot be opened (port in use, pod gone).
 */
export async function supervisedForward(
  ctx: Context,
  kubectl: Kubectl,
  o: ForwardOptions,
): Promise<{ port: number; stop: () => Promise<void> }> {
  const { pod, remotePort, active, ready } = o;
  let current: Started | undefined;
  let port = o.localPort ?? 0;
  const open = async (): Promise<number> => {
    const args = ["port-forward", `pod/${pod}`, `${port || ""}:${remotePort}`];
    const pf = kubectl.start(args);
    current = pf;
    const seen: string[] = [];
    // One iterator, read by hand: leaving a for-await loop would close the lines for the drain below.
    const lines = pf.lines[Symbol.asyncIterator]();
    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(next.value.line);
      if (m) {
        const opened = Number(m[1]);
        await o.started?.(pf.pid, kubectl.commandLine(args), opened);
        // Keep reading, or kubectl blocks on a full pipe; a dropped forward is opened again on the same port.
        (async () => {
          while (!(await lines.next()).done) { /* drain */ }
          if (active()) {
            const message = `port-forward to pod ${pod} ended; opening it again on port ${opened}`;
            if (ready()) ctx.log.warn(message);
            else ctx.log.debug(message);
            await sleep(500);
            if (active()) await open().catch((e) => ctx.log.error(String(e.message ?? e)));
          }
        })();
        return opened;
      }
      seen.push(next.value.line);
    }
    throw new FastcsError(
      `kubectl port-forward to pod ${pod} port ${remotePort} failed: ${seen.join(" ").trim()}`,
      {
        code: "debug.port-forward",
        exitCode: ExitCode.environment,
        hint: /address already in use|unable to listen/i.test(seen.join(" "))
          ? `Local port ${port} is in use: choose another with --port.`
          : "Check that the pod is running.",
      },
    );
  };
  port = await open();
  return {
    port,
    stop: async () => {
      await current?.stop();
    },
  };
}

/**
 * Waits until debugpy answers a DAP `initialize` through the forward on local `port` ({@link probeDap}, 1.5 s
 * each, every 300 ms): a TCP connect through kubectl succeeds even when nothing listens in the pod.
 *
 * @throws FastcsError exit 6: `debug.not-listening` when nothing answers within `timeoutMs` milliseconds,
 *   `debug.exited` as soon as `ended` resolves (the launched program ended first), with its exit code
 */
export async function waitForDebugpy(
  port: number,
  o: { pod: string; container: string; remotePort: number; timeoutMs: number; ended: Promise<number> },
): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  while (!(await probeDap(port, 1500))) {
    if (Date.now() > deadline) {
      throw new FastcsError(
        `debugpy did not answer on port ${o.remotePort} of pod ${o.pod} within ${o.timeoutMs / 1000} s`,
        {
          code: "debug.not-listening",
          exitCode: ExitCode.environment,
          hint:
            `Is debugpy installed in container ${o.container} (pip install debugpy)? Its output is above.`,
        },
      );
    }
    const done = await Promise.race([o.ended.then((c) => c), sleep(300).then(() => undefined)]);
    if (done !== undefined) {
      throw new FastcsError(
        `the program under debugpy in pod ${o.pod} ended (exit code ${done}) before a debugger could attach`,
        {
          code: "debug.exited",
          exitCode: ExitCode.environment,
          hint: "Its output is above: a missing module, python or debugpy?",
        },
      );
    }
  }
}
