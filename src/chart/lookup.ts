// Whether a chart's templates call Helm's `lookup` function, which reads live objects from the cluster
// while rendering: such a chart renders what runs only when rendered against the cluster it runs in
// (`--dry-run=server`); a client-side render gets an empty result from every lookup.
import { parseDocument } from "../deps/yaml.ts";
import { packageFiles } from "./package_files.ts";

/** A template action `{{ … }}` (Go text/template delimiters, as Helm uses them). */
const ACTION = /\{\{([\s\S]*?)\}\}/g;
// A comment action: `{{/*`, the comment, `*/}}`; or with trim markers, `{{- /*` and `*/ -}}` (text/template
// allows no other space there).
const COMMENT_ACTION = /\{\{(?:- )?\/\*[\s\S]*?\*\/(?: -)?\}\}/g;
/** Comments and string literals of an action, which may mention `lookup` without calling it. */
const NOT_CODE = /\/\*[\s\S]*?\*\/|"(?:[^"\\\n]|\\.)*"|`[^`]*`/g;
/** `lookup` as a function name: after the action's start, a space, `(` or `|`, and before a space or `)`. */
const CALL = /(?:^|[\s(|])lookup(?=[\s)]|$)/;

/**
 * True when a template text calls `lookup` in one of its actions; mentions in comments, string literals and
 * the text around actions do not count.
 */
export function templateCallsLookup(text: string): boolean {
  // A comment is an action of its own and may hold `}}` (a call commented out, braces and all): comments
  // are removed first, so that the end of an action is not looked for inside one.
  for (const [, action] of text.replace(COMMENT_ACTION, " ").matchAll(ACTION)) {
    if (CALL.test(action.replace(NOT_CODE, " "))) return true;
  }
  return false;
}

/**
 * True when a string of `values` (parsed values, at any depth) calls `lookup` as a template would: such a
 * string takes effect through Helm's `tpl` function (`{{ tpl .Values.extraDeploy . }}`, bitnami's
 * `common.tplvalues.render`), which renders it with `lookup` as the templates' own calls do. Keys do not count.
 */
export function valuesCallLookup(values: unknown): boolean {
  if (typeof values === "string") return values.includes("lookup") && templateCallsLookup(values);
  if (Array.isArray(values)) return values.some(valuesCallLookup);
  if (values && typeof values === "object") return Object.values(values).some(valuesCallLookup);
  return false;
}

/** How deep sub-chart packages are opened (a chart, its sub-charts, theirs, …); real charts use two or three. */
export const MAX_PACKAGE_DEPTH = 8;

/**
 * True when a template of the chart package `tgz` (a path or the bytes), or of one of its sub-charts (a
 * folder under `charts/`, or a `.tgz` there as `helm dependency build` vendors it, at any depth), calls
 * `lookup`, or a string of their default values (values.yaml) does (see {@link valuesCallLookup}); a
 * lookup in `templates/NOTES.txt` (the notes Helm prints after an install) counts only where that file
 * defines templates. A helper that calls it counts even when no template uses the helper (bitnami's common
 * library defines such helpers): a render against the cluster then costs little and changes nothing. So
 * does a sub-chart package nested more than {@link MAX_PACKAGE_DEPTH} packages deep, which is not opened:
 * each level would hold the bytes of all below it (a chain of packages is quadratic in memory).
 *
 * @throws the read error, or an Error saying which archive (the package, or the path of a sub-chart package
 *   in it) is damaged or over Helm's size limits (see {@link packageFiles})
 */
export function chartUsesLookup(tgz: string | Uint8Array<ArrayBuffer>): Promise<boolean> {
  return packageUsesLookup(tgz, 1);
}

async function packageUsesLookup(tgz: string | Uint8Array<ArrayBuffer>, depth: number): Promise<boolean> {
  const defaults = /^[^/]+\/(charts\/[^/]+\/)*values\.yaml$/;
  const files = await packageFiles(
    tgz,
    (path) => /(^|\/)templates\//.test(path) || /(^|\/)charts\/[^/]+\.tgz$/.test(path) || defaults.test(path),
  );
  const decoder = new TextDecoder();
  for (const [path, bytes] of files) {
    if (defaults.test(path)) {
      let values: unknown;
      try {
        values = parseDocument(decoder.decode(bytes)).toJS();
      } catch {
        continue; // Helm's render says what is wrong with it.
      }
      if (valuesCallLookup(values)) return true;
    } else if (/\.tgz$/.test(path) && !/(^|\/)templates\//.test(path)) {
      if (depth >= MAX_PACKAGE_DEPTH) return true;
      let nested: boolean;
      try {
        nested = await packageUsesLookup(new Uint8Array(bytes), depth + 1);
      } catch (error) {
        throw new Error(`sub-chart package ${path}: ${error instanceof Error ? error.message : error}`);
      }
      if (nested) return true;
    } else {
      const text = decoder.decode(bytes);
      // NOTES.txt renders the text `helm install` prints, not objects: its lookups change no manifest, unless
      // it defines a template that others include.
      if (/(^|\/)templates\/NOTES\.txt$/.test(path) && !/\{\{-?\s*define\s/.test(text)) continue;
      if (templateCallsLookup(text)) return true;
    }
  }
  return false;
}
