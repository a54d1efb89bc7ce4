// What `helm fastcs debug` needs from a release's computed values: its profile (a release of the fastcs
// chart, directly or as a sub-chart under its name or an alias; a release using epics-containers'
// ioc-instance library chart; or any other release), and the settings that decide how to debug it.
import { ExitCode, FastcsError } from "../runtime/errors.ts";

/** The debugging-relevant values of one fastcs chart instance. */
export interface FastcsValues {
  /** Dotted key of the fastcs values in the release (empty when fastcs is the release's chart). */
  key: string;
  autostart: boolean;
  editable: boolean;
  command: string[];
  args: string[];
  debugPort: number;
  /** The `app.kubernetes.io/name` label of its pods: nameOverride, else the sub-chart key (its name or
   * alias), else `fastcs`. */
  nameLabel: string;
}

function isFastcs(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) && "autostart" in v && "debugCommand" in v;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

/**
 * Finds the fastcs values in a release's values (`helm get values --all`): at the root, else under one
 * key (the sub-chart name `fastcs` or its alias). Several instances: `key` chooses.
 *
 * @returns the values, or a list of the keys found when the choice is ambiguous or nothing was found
 */
export function findFastcsValues(
  values: Record<string, unknown>,
  key?: string,
): FastcsValues | { candidates: string[] } {
  const candidates: [string, Record<string, unknown>][] = isFastcs(values)
    ? [["", values]]
    : Object.entries(values).filter((entry): entry is [string, Record<string, unknown>] =>
      isFastcs(entry[1])
    );
  const chosen = key === undefined
    ? (candidates.length === 1 ? candidates[0] : undefined)
    : candidates.find(([k]) => k === key);
  if (!chosen) return { candidates: candidates.map(([k]) => k) };
  const [k, v] = chosen;
  return {
    key: k,
    autostart: v.autostart !== false,
    editable: v.editable === true,
    command: strings(v.command),
    args: strings(v.args),
    debugPort: typeof v.debugPort === "number" ? v.debugPort : 5678,
    // Helm renames an aliased sub-chart to its alias, and the chart's name label follows .Chart.Name.
    nameLabel: typeof v.nameOverride === "string" && v.nameOverride !== "" ? v.nameOverride : k || "fastcs",
  };
}

/** The key under which a release's values hold those of epics-containers' ioc-instance library chart. */
export const IOC_INSTANCE_KEY = "ioc-instance";

/**
 * How a release is debugged, from the shape of its values:
 * - `fastcs`: the (deprecated) fastcs chart, with its knobs (editable, autostart, debugCommand, debugPort);
 * - `ioc-instance`: epics-containers' ioc-instance library chart (values under `ioc-instance:`): attach
 *   only, and the program is a child of PID 1 (a wrapper such as stdio-socket);
 * - `plain`: any other release: attach to a Python process found in the container.
 */
export type Profile =
  | { name: "fastcs"; values: FastcsValues }
  | { name: "ioc-instance"; key: string }
  | { name: "plain" };

/**
 * The profile of a release from its computed values (`helm get values --all`); `valuesKey` chooses among
 * several fastcs sub-charts.
 *
 * @throws FastcsError (exit code 5) when several fastcs sub-charts are found and `valuesKey` chooses none
 *   of them
 */
export function releaseProfile(
  values: Record<string, unknown>,
  release: string,
  valuesKey?: string,
): Profile {
  const found = findFastcsValues(values, valuesKey);
  if (!("candidates" in found)) return { name: "fastcs", values: found };
  if (found.candidates.length > 1 || (valuesKey !== undefined && found.candidates.length > 0)) {
    throw new FastcsError(
      `release ${release} holds several fastcs sub-charts (${found.candidates.join(", ")})${
        valuesKey !== undefined ? `, none under --values-key ${valuesKey}` : ""
      }`,
      { code: "debug.values-key", exitCode: ExitCode.input, hint: "Choose one with --values-key." },
    );
  }
  const ioc = values[IOC_INSTANCE_KEY];
  if (ioc !== null && typeof ioc === "object" && !Array.isArray(ioc)) {
    return { name: "ioc-instance", key: IOC_INSTANCE_KEY };
  }
  return { name: "plain" };
}

/** How to start the program under debugpy, from `command` and `args`. */
export type LaunchTarget =
  | { kind: "module"; module: string; args: string[] }
  | { kind: "file"; file: string; args: string[] }
  /** A console script (e.g. `fastcs-example`), resolved to its entry point inside the container. */
  | { kind: "script"; script: string; args: string[] }
  /** `python -c CODE`: the code itself (no file or package to look the source up from). */
  | { kind: "code"; code: string; args: string[] };

/**
 * Reads the program from the chart's `command` and `args`: `python -m mod …`, `python -c CODE …`,
 * `python file.py …`, `file.py …`, or a console-script name (Python's command line: the interpreter's options
 * end at `-m MOD`, `-c CODE` or the file).
 *
 * @returns undefined when `command` is empty (the image's entrypoint is not known from the cluster)
 */
export function launchTarget(command: string[], args: string[]): LaunchTarget | undefined {
  const all = [...command, ...args];
  if (all.length === 0) return undefined;
  const [first, ...rest] = all;
  if (/(^|\/)python(3(\.\d+)?)?$/.test(first)) {
    // The interpreter's options end at `-m MOD`, `-c CODE` or at the file (Python's command line): what follows
    // is the program's own (`python tool.py -m fast` runs tool.py). `-W` and `-X` take the next word as their
    // value.
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i];
      if (a === "-m") {
        return i + 1 < rest.length
          ? { kind: "module", module: rest[i + 1], args: rest.slice(i + 2) }
          : undefined;
      }
      if (/^-m./.test(a)) return { kind: "module", module: a.slice(2), args: rest.slice(i + 1) };
      if (a === "-c") {
        return i + 1 < rest.length ? { kind: "code", code: rest[i + 1], args: rest.slice(i + 2) } : undefined;
      }
      if (/^-c./.test(a)) return { kind: "code", code: a.slice(2), args: rest.slice(i + 1) };
      if (a === "-W" || a === "-X") i++;
      else if (!a.startsWith("-")) return { kind: "file", file: a, args: rest.slice(i + 1) };
    }
    return undefined;
  }
  if (first.endsWith(".py")) return { kind: "file", file: first, args: rest };
  return { kind: "script", script: first, args: rest };
}
