// The VS Code side of a debug session: the attach configuration, and its place in launch.json.
import { join } from "node:path";
import { ExitCode, FastcsError } from "../runtime/errors.ts";

/** The VS Code attach configuration (`type: debugpy`, `request: attach`), named `helm fastcs debug
 * <release>` unless `name` says otherwise. */
export function attachConfiguration(
  release: string,
  port: number,
  localRoot: string,
  remoteRoot: string,
  name = `helm fastcs debug ${release}`,
): Record<string, unknown> {
  return {
    name,
    type: "debugpy",
    request: "attach",
    connect: { host: "127.0.0.1", port },
    pathMappings: [{ localRoot, remoteRoot }],
    justMyCode: false,
  };
}

/** The configuration with its one path mapping replaced. */
export function withPathMapping(
  configuration: Record<string, unknown>,
  localRoot: string,
  remoteRoot: string,
): Record<string, unknown> {
  return { ...configuration, pathMappings: [{ localRoot, remoteRoot }] };
}

/**
 * Adds or replaces (by name) configurations in a VS Code launch.json, and a compound configuration
 * (`compounds`, which VS Code starts together) when given, keeping the others; comments in the file are not
 * kept. Creates the file when missing. A compound replaces the one of its name together with the
 * configurations that one started and this one does not (`--all-workers` names each by its worker's PID,
 * so an earlier session's workers would otherwise pile up).
 *
 * @throws FastcsError (exit code 5) when the existing file is not JSON (with comments stripped).
 */
export async function mergeLaunchJson(
  path: string,
  configuration: Record<string, unknown> | Record<string, unknown>[],
  compound?: { name: string; configurations: string[] },
): Promise<void> {
  const added = Array.isArray(configuration) ? configuration : [configuration];
  let doc: {
    version?: string;
    configurations?: Record<string, unknown>[];
    compounds?: Record<string, unknown>[];
  } = {
    version: "0.2.0",
    configurations: [],
  };
  try {
    const text = await Deno.readTextFile(path);
    // launch.json allows // comments and trailing commas (JSONC).
    const json = text.replace(/^\s*\/\/.*$/gm, "").replace(/,(\s*[}\]])/g, "$1");
    doc = JSON.parse(json);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new FastcsError(`${path} is not valid JSON: ${(error as Error).message}`, {
        code: "debug.launch-json",
        exitCode: ExitCode.input,
      });
    }
  }
  const names = new Set(added.map((c) => c.name));
  const replaced = (doc.compounds ?? []).find((c) => c.name === compound?.name)?.configurations;
  for (const name of Array.isArray(replaced) ? replaced : []) names.add(name);
  const others = (doc.configurations ?? []).filter((c) => !names.has(c.name));
  doc = { ...doc, version: doc.version ?? "0.2.0", configurations: [...others, ...added] };
  if (compound) {
    doc.compounds = [...(doc.compounds ?? []).filter((c) => c.name !== compound.name), compound];
  }
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeTextFile(path, JSON.stringify(doc, null, 2) + "\n");
}
