// GitOps mode of `helm fastcs promote`: each environment is a folder of umbrella charts, one per service
// (Chart.yaml with a dependency on the fastcs chart, and values.yaml), deployed by Argo CD or Flux. A
// promotion rewrites the target folder's dependency versions and promoted values keys to match the source,
// keeping every comment and the environment's own keys, shows the diff, and can commit it.
import { join } from "node:path";
import { createTwoFilesPatch } from "../deps/diff.ts";
import { isScalar, parseDocument } from "../deps/yaml.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { writeThroughTemp } from "../runtime/fs.ts";
import type { Environment } from "./config.ts";
import { leafPaths, pickPromoted } from "./values.ts";

/** The promotion of one service folder. */
export interface FolderPlan {
  service: string;
  /** Files to write: path, new text, unified diff (empty when unchanged). */
  files: { path: string; text: string; patch: string }[];
  /** `name old -> new` for each dependency whose version moves. */
  dependencies: string[];
  promotedKeys: string[];
  /** The target has a Chart.lock, which a new dependency version leaves stale. */
  staleLock: boolean;
}

async function read(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
}

async function services(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory && (await read(join(dir, e.name, "Chart.yaml"))) !== undefined) out.push(e.name);
    }
  } catch {
    throw new FastcsError(`environment folder ${dir} does not exist`, {
      code: "promote.gitops",
      exitCode: ExitCode.input,
    });
  }
  return out.sort();
}

/**
 * Plans the promotion of the service folders of `source` into `target` (both with `path`). Writes nothing.
 *
 * @throws FastcsError (exit code 5) when a service has no folder in the target, or a file is malformed.
 */
export async function planGitops(
  source: Environment,
  target: Environment,
  only: string[],
  keys: string[],
  display: (p: string) => string,
): Promise<FolderPlan[]> {
  const names = only.length > 0 ? only : await services(source.path!);
  const plans: FolderPlan[] = [];
  for (const service of names) {
    const from = join(source.path!, service);
    const to = join(target.path!, service);
    const [srcChart, srcValues, dstChart, dstValues] = await Promise.all(
      [join(from, "Chart.yaml"), join(from, "values.yaml"), join(to, "Chart.yaml"), join(to, "values.yaml")]
        .map(read),
    );
    if (srcChart === undefined) {
      throw new FastcsError(`${display(from)} is not a service folder (no Chart.yaml)`, {
        code: "promote.gitops",
        exitCode: ExitCode.input,
      });
    }
    if (dstChart === undefined) {
      throw new FastcsError(
        `environment ${target.name} has no folder for service ${service} (${display(to)})`,
        {
          code: "promote.gitops",
          exitCode: ExitCode.input,
          hint:
            "Create it with the environment's own Chart.yaml and values.yaml first; a promotion only moves versions and promoted keys.",
        },
      );
    }
    const files: FolderPlan["files"] = [];
    // Chart.yaml: dependency versions follow the source, matched by alias or name.
    const chartDoc = parseDocument(dstChart, { version: "1.1" });
    const srcDeps = (parseDocument(srcChart).toJS()?.dependencies ?? []) as {
      name: string;
      alias?: string;
      version: string;
    }[];
    const dstDeps = (chartDoc.toJS()?.dependencies ?? []) as {
      name: string;
      alias?: string;
      version: string;
    }[];
    const dependencies: string[] = [];
    dstDeps.forEach((dep, i) => {
      const match = srcDeps.find((s) => (s.alias ?? s.name) === (dep.alias ?? dep.name));
      if (match && String(match.version) !== String(dep.version)) {
        chartDoc.setIn(["dependencies", i, "version"], match.version);
        dependencies.push(`${dep.alias ?? dep.name} ${dep.version} -> ${match.version}`);
      }
    });
    files.push(fileChange(join(to, "Chart.yaml"), dstChart, chartDoc.toString(), display));
    // values.yaml: only the promoted keys change; comments and the environment's own keys stay.
    const promoted = pickPromoted(parseDocument(srcValues ?? "", { version: "1.1" }).toJS() ?? {}, keys);
    const valuesDoc = parseDocument(dstValues ?? "", { version: "1.1" });
    if (valuesDoc.errors.length > 0) {
      throw new FastcsError(`${display(join(to, "values.yaml"))}: ${valuesDoc.errors[0].message}`, {
        code: "promote.gitops",
        exitCode: ExitCode.input,
      });
    }
    const paths = leafPaths(promoted);
    for (const path of paths) {
      const keyPath = path.split(".");
      const value = keyPath.reduce((v: unknown, k) => (v as Record<string, unknown>)[k], promoted);
      if (JSON.stringify(valuesDoc.getIn(keyPath)) === JSON.stringify(value)) continue;
      // Change a scalar in place, so that its comment stays with it; anything else is replaced.
      const node = valuesDoc.getIn(keyPath, true);
      if (isScalar(node) && (value === null || typeof value !== "object")) node.value = value;
      else valuesDoc.setIn(keyPath, valuesDoc.createNode(value));
    }
    files.push(fileChange(join(to, "values.yaml"), dstValues ?? "", valuesDoc.toString(), display));
    plans.push({
      service,
      files: files.filter((f) => f.patch !== ""),
      dependencies,
      promotedKeys: paths,
      staleLock: dependencies.length > 0 && (await read(join(to, "Chart.lock"))) !== undefined,
    });
  }
  return plans;
}

function fileChange(path: string, before: string, after: string, display: (p: string) => string) {
  return {
    path,
    text: after,
    patch: before === after
      ? ""
      : createTwoFilesPatch(display(path), display(path), before, after, "", "", { context: 2 }),
  };
}

/** Writes the planned files; returns their paths. */
export async function writeGitops(plans: FolderPlan[]): Promise<string[]> {
  const written: string[] = [];
  for (const plan of plans) {
    for (const f of plan.files) {
      await writeThroughTemp(f.path, (temp) => Deno.writeTextFile(temp, f.text));
      written.push(f.path);
    }
  }
  return written;
}

/** The commit message that records a GitOps promotion. */
export function commitMessage(source: string, target: string, plans: FolderPlan[]): string {
  const changed = plans.filter((p) => p.files.length > 0);
  const lines = changed.map((p) =>
    `- ${p.service}: ${[...p.dependencies, ...p.promotedKeys.map((k) => `${k} from ${source}`)].join(", ")}`
  );
  return `Promote ${changed.map((p) => p.service).join(", ")} from ${source} to ${target}\n\n${
    lines.join("\n")
  }\n\nPromoted with helm fastcs promote.\n`;
}
