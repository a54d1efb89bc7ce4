// Waiting for a condition instead of sleeping blind: one poll loop for every test and test support module.

/** Options of {@link waitFor}. */
export interface WaitOptions {
  /** Give up after this many milliseconds. */
  timeoutMs: number;
  /** Milliseconds between checks (default 100). */
  intervalMs?: number;
  /** Text added to the error when giving up (a log's tail, the last output seen). */
  details?: () => Promise<string> | string;
}

/**
 * Checks `check` until it returns true; a check that throws counts as "not yet".
 *
 * @throws Error naming `what` (and the details) once `timeoutMs` have passed.
 */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, options: WaitOptions) {
  const until = Date.now() + options.timeoutMs;
  while (Date.now() < until) {
    if (await Promise.resolve().then(check).catch(() => false)) return;
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
  const details = options.details ? `\n${await options.details()}` : "";
  throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${details}`);
}
