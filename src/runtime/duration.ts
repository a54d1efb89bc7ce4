// Durations as Helm's flags take them (`--timeout 5m0s`): Go's time.ParseDuration format, a sequence of
// decimal numbers each with a unit (ns, us, µs, ms, s, m, h), e.g. 300ms, 1.5h, 2h45m. The plugin passes
// them on to Helm unchanged and needs their length only where it waits itself (a retry delay).

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * The length in milliseconds of a Go duration (`10s`, `1m30s`, `0`), or undefined when `text` is not one.
 * Signs are refused: a wait is never negative.
 */
export function durationMs(text: string): number | undefined {
  if (text === "0") return 0;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < text.length) {
    part.lastIndex = at;
    const m = part.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]];
    at = part.lastIndex;
  }
  return at > 0 ? total : undefined;
}
