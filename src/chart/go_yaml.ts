// What Helm's YAML reader (go-yaml v2, behind sigs.k8s.io/yaml) accepts, and how it reads scalars where the
// yaml library reads them otherwise: the tags of YAML 1.1 as go-yaml resolves them, the characters and
// directives it refuses, UTF-8 only, and a plain error for nesting deeper than the JavaScript stack.
import { ExitCode, FastcsError, inputError } from "../runtime/errors.ts";

// The YAML 1.1 scalars of go-yaml v2 (sigs.k8s.io/yaml, behind Helm), where they differ from the yaml
// library's: no sexagesimal numbers (`10:30` is a string), a float needs a digit (`.` is a string), and
// timestamps stay strings. Underscores in numbers are allowed, as go-yaml removes them before parsing.
const FLOAT_PLAIN = /^[-+]?(?:\.[0-9_]*[0-9][0-9_]*|[0-9][0-9_]*\.[0-9_]*)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9_]*[0-9][0-9_]*|[0-9][0-9_]*(?:\.[0-9_]*)?)[eE][-+]?[0-9]+$/;

// go-yaml v2 parses integers with Go's base prefixes, `0o17` included.
const INT_0O = {
  tag: "tag:yaml.org,2002:int",
  default: true,
  test: /^[-+]?0o[0-7_]+$/,
  resolve: (text: string) => {
    const n = parseInt(text.replace(/[_+]/g, "").replace(/^(-?)0o/, "$1"), 8);
    return text.startsWith("-") ? -Math.abs(n) : n;
  },
};

/** The yaml library's YAML 1.1 tags changed to read scalars as go-yaml v2 does (see above). */
export function goYamlTags<T>(tags: T[]): T[] {
  return [...tags.flatMap(asGoYaml), INT_0O as T, EXPLICIT_FLOAT as T];
}

function asGoYaml<T>(tag: T): T[] {
  if (typeof tag === "string") return [tag];
  const t = tag as { tag: string; format?: string; test?: RegExp };
  if (t.tag === "tag:yaml.org,2002:timestamp" || t.format === "TIME") return [];
  if (t.tag === FLOAT_TAG && t.test && t.format === "EXP") return [{ ...t, test: FLOAT_EXP } as T];
  if (t.tag === FLOAT_TAG && t.test && !t.format && t.test.test("1.5")) {
    return [{ ...t, test: FLOAT_PLAIN } as T];
  }
  return [tag];
}

/** Where the tag names an explicit float: the tag the generator types as `number` whatever the digits. */
export const FLOAT_TAG = "tag:yaml.org,2002:float";

const EXPLICIT_FLOAT = {
  tag: FLOAT_TAG,
  resolve(text: string, onError: (message: string) => void) {
    const t = text.replace(/_/g, "").toLowerCase();
    if (/^[-+]?\.inf$/.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
    if (t === ".nan") return NaN;
    const n = Number(t);
    if (t === "" || Number.isNaN(n)) onError(`cannot read ${JSON.stringify(text)} as a !!float`);
    return n;
  },
};

/**
 * Turns a stack overflow met while reading or walking deeply nested values into the input error it is
 * (the JavaScript stack ends after several hundred levels); any other error is returned unchanged.
 */
export function tooDeep(file: string, error: unknown): unknown {
  if (!(error instanceof RangeError)) return error;
  return new FastcsError(`${file}: the YAML nests too deeply (several hundred levels) to be read`, {
    code: "yaml.depth",
    exitCode: ExitCode.input,
    hint: "Flatten the structure; no values file of a real chart nests that deep.",
  });
}

// go-yaml (behind Helm) reads only printable characters (YAML 1.1 section 5.1): tab, line breaks, and the
// printable Unicode ranges; a NUL, other C0/C1 controls, DEL or a stray byte-order mark is refused. Invalid
// UTF-8 reaches here as U+FFFD from the decoder (see readYamlFile).
/**
 * Refuses text go-yaml would refuse before parsing: a `%YAML` directive other than 1.1, and characters
 * outside YAML 1.1's printable set.
 *
 * @throws FastcsError (exit code 5) at the offending line and column
 */
export function rejectUnprintable(file: string, text: string) {
  // go-yaml v2 reads YAML 1.1 and refuses a document declaring another version.
  const directive = /^%YAML[ \t]+(\S+)/m.exec(text);
  if (directive && directive[1] !== "1.1") {
    const line = text.slice(0, directive.index).split("\n").length;
    throw inputError(
      { file, line, column: 1 },
      `%YAML ${directive[1]} is not supported: Helm reads YAML 1.1`,
      {
        code: "yaml.version",
        hint: "Remove the %YAML directive (or write %YAML 1.1).",
      },
    );
  }
  // deno-lint-ignore no-control-regex -- finding control characters is the point
  const bad = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u0084\u0086-\u009F\uFFFE\uFFFF]|(?!^)\uFEFF/u;
  const m = bad.exec(text);
  if (!m) return;
  const before = text.slice(0, m.index);
  const line = before.split("\n").length;
  const column = m.index - before.lastIndexOf("\n");
  const code = m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
  throw inputError({ file, line, column }, `the character U+${code} is not allowed in YAML`, {
    code: "yaml.character",
    hint:
      "Helm refuses it too (control characters are not allowed); remove it or write it escaped in a quoted string.",
  });
}

/**
 * Reads a YAML file's text as Helm would accept it: UTF-8 only (an invalid byte is an error at its line and
 * column, where Deno's default decoding would silently replace it).
 *
 * @throws FastcsError exit code 5 for invalid UTF-8, a missing file (code `io.missing`) or a folder; 6 when
 *   the file cannot be read (permissions)
 */
export async function readYamlFile(path: string, display: (p: string) => string = (p) => p): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    const missing = error instanceof Deno.errors.NotFound;
    const folder = error instanceof Deno.errors.IsADirectory ||
      (!missing && await Deno.stat(path).then((i) => i.isDirectory, () => false));
    throw new FastcsError(
      missing
        ? `${display(path)} does not exist`
        : folder
        ? `${display(path)} is a folder, not a file`
        : `cannot read ${display(path)}: ${(error as Error).message}`,
      {
        code: missing ? "io.missing" : folder ? "io.folder" : "io.read",
        exitCode: missing || folder ? ExitCode.input : ExitCode.environment,
        hint: missing || folder
          ? "Check the path: a file is expected there."
          : "Check the file's permissions.",
        cause: error,
      },
    );
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const lossy = new TextDecoder("utf-8").decode(bytes);
    const at = lossy.indexOf("\uFFFD");
    const before = lossy.slice(0, at);
    throw inputError(
      { file: display(path), line: before.split("\n").length, column: at - before.lastIndexOf("\n") },
      "the file is not valid UTF-8",
      {
        code: "yaml.encoding",
        hint: "Save it as UTF-8; Helm reads values files as UTF-8 and refuses other bytes.",
      },
    );
  }
}
