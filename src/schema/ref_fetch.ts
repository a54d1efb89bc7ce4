// Fetching remote `$ref` documents for bundling and validation: bounded retries, a timeout, and a cache
// under Helm's cache home so a second run works offline.
import { join } from "node:path";
import { asSchemaDocument } from "../chart/validate.ts";
import { parseDocument } from "../deps/yaml.ts";
import { sha256Hex } from "../runtime/digest.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { redactUrls } from "../runtime/redact.ts";

/** Options of {@link createRefFetcher}. */
export interface RefFetchOptions {
  /** Folder for cached documents (created on demand). */
  cacheDir: string;
  /** Per-attempt timeout in milliseconds. */
  timeoutMs?: number;
  /** Attempts before giving up (backoff 0.5 s, 1 s, 2 s, ...). */
  attempts?: number;
  debug?: (message: string) => void;
}

// A schema document: JSON or YAML holding an object or a boolean (JSON Schema 2020-12 section 4.3.1).
function parses(text: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const doc = parseDocument(text);
    if (doc.errors.length > 0) return false;
    value = doc.toJS();
  }
  return asSchemaDocument(value) !== undefined;
}

/**
 * Returns a function that fetches an http(s) URL's text, served from the cache when present.
 *
 * @throws FastcsError (exit code 6) after the last failed attempt, naming the URL and the reason.
 */
export function createRefFetcher(options: RefFetchOptions): (url: string) => Promise<string> {
  const attempts = options.attempts ?? 3;
  const timeoutMs = options.timeoutMs ?? 20_000;
  return async (url: string) => {
    if (!/^https?:/.test(url)) {
      throw new FastcsError(
        `cannot load $ref ${redactUrls(url)}: only http(s) and local files are supported`,
        {
          code: "ref.scheme",
          exitCode: ExitCode.input,
        },
      );
    }
    const cached = join(options.cacheDir, `${await sha256Hex(url)}.json`);
    try {
      return await Deno.readTextFile(cached);
    } catch { /* not cached yet */ }
    let reason = "";
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        options.debug?.(`GET ${url} (attempt ${attempt}/${attempts})`);
        const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
        const text = await response.text();
        if (response.ok) {
          // Only a document that parses is kept (not a proxy's error page), and through a temporary file
          // (an interrupted write never leaves half a document to be read offline later).
          if (parses(text)) {
            await Deno.mkdir(options.cacheDir, { recursive: true });
            const temp = `${cached}.${Deno.pid}.tmp`;
            await Deno.writeTextFile(temp, text);
            await Deno.rename(temp, cached).catch(() => Deno.remove(temp).catch(() => {}));
          }
          return text;
        }
        reason = `HTTP ${response.status} ${response.statusText}`;
        if (response.status < 500 && response.status !== 429) break; // retrying will not help
      } catch (error) {
        reason = (error as Error).message;
      }
      if (attempt < attempts) await new Promise((r) => setTimeout(r, 500 * 2 ** (attempt - 1)));
    }
    throw new FastcsError(`cannot fetch $ref ${redactUrls(url)}: ${redactUrls(reason)}`, {
      code: "ref.fetch",
      exitCode: ExitCode.environment,
      hint:
        "Check the URL and the network (or proxy). Once bundled (--bundle), the schema no longer needs the network.",
    });
  };
}
