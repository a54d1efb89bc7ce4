// Progress and diagnostics go to stderr; results go to stdout (see Output). Colour only on a terminal and
// never under NO_COLOR.
import { redactUrls } from "./redact.ts";

/** Where a command writes. `out` is for results (stdout), the rest for people (stderr): every line on stderr
 * has the secrets of the URLs in it hidden (see redactUrls), wherever its text came from (our messages, their
 * details and hints, Helm's errors we quote), so a message that quotes a URL cannot leak a password or token
 * into a terminal, a CI log or an issue. Results (`out`, `emit`) are written as they are. */
export interface Log {
  /** A result line on stdout. */
  out(text: string): void;
  /**
   * The result as one JSON document on stdout (`-o json`), indented by two spaces: every command's JSON
   * output goes through here, once per run.
   */
  emit(value: unknown): void;
  /** A progress line on stderr. */
  info(text: string): void;
  /** A warning on stderr, prefixed `warning:`. */
  warn(text: string): void;
  /** An error on stderr, prefixed `error:`. */
  error(text: string): void;
  /** Shown only under HELM_DEBUG, with the secrets of any URL in it hidden (see redactUrls: a debug log is
   * pasted into issues and CI logs; a pre-signed upload address or a `?token=` works like a credential). */
  debug(text: string): void;
}

/** Options of {@link createLog}. */
export interface LogOptions {
  debug: boolean;
  color: boolean;
  writeOut?: (text: string) => void;
  writeErr?: (text: string) => void;
}

const encoder = new TextEncoder();

/** A {@link Log} over the process' stdout and stderr (or the given writers, for tests). */
export function createLog(options: LogOptions): Log {
  const writeOut = options.writeOut ?? ((t: string) => Deno.stdout.writeSync(encoder.encode(t)));
  const writeErr = options.writeErr ?? ((t: string) => Deno.stderr.writeSync(encoder.encode(t)));
  const paint = (code: string, text: string) => options.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  return {
    out: (text) => writeOut(text + "\n"),
    emit: (value) => writeOut(JSON.stringify(value, null, 2) + "\n"),
    info: (text) => writeErr(redactUrls(text) + "\n"),
    warn: (text) => writeErr(`${paint("33", "warning:")} ${redactUrls(text)}\n`),
    error: (text) => writeErr(`${paint("31", "error:")} ${redactUrls(text)}\n`),
    debug: (text) => {
      if (options.debug) writeErr(`${paint("2", "debug:")} ${redactUrls(text)}\n`);
    },
  };
}

/**
 * Writes `question` to stderr and reads one line from `input` (stdin by default), byte by byte so that
 * nothing after the line is consumed. Returns undefined when the input ends before a line break.
 */
export async function askOnStderr(
  question: string,
  input: ReadableStream<Uint8Array> = Deno.stdin.readable,
  writeErr: (text: string) => void = (t) => Deno.stderr.writeSync(encoder.encode(t)),
): Promise<string | undefined> {
  writeErr(`${question} `);
  const reader = input.getReader();
  const bytes: number[] = [];
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) return bytes.length > 0 ? new TextDecoder().decode(new Uint8Array(bytes)) : undefined;
      for (const b of value) {
        if (b === 10) return new TextDecoder().decode(new Uint8Array(bytes)).replace(/\r$/, "");
        bytes.push(b);
      }
    }
  } finally {
    reader.releaseLock();
  }
}
