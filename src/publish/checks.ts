// The checks of a publish, all made before anything is pushed: git state, versions, image tags,
// dependencies, lint and schemas. Each returns the problems it found as sentences that name their
// override flag; the caller refuses the publish when there is any.
import { basename, join } from "node:path";
import type { createGit } from "../adapters/git.ts";
import { type Helm, lintSections } from "../adapters/helm.ts";
import { parseDocument, type pLimit } from "../deps.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode, FastcsError, formatPosition } from "../runtime/errors.ts";
import { copyTree, pathExists } from "../runtime/fs.ts";
import { type ChartInfo, defaultSchemasDir, findRepoRoot } from "../chart/charts.ts";
import { checkPlan } from "../schema/apply.ts";
import { planSchemas } from "../schema/plan.ts";
import { parseYamlSource } from "../chart/yaml_source.ts";
import { findImageProblems } from "./images.ts";
import type { PublishOptions, VersionedChart } from "./model.ts";
import { devVersion } from "./version.ts";

/** What every step of a publish works with. */
export interface Step {
  ctx: Context;
  helm: Helm;
  options: PublishOptions;
  scratch: string;
  display: (p: string) => string;
  limit: ReturnType<typeof pLimit>;
}

export async function gitRefusals(
  git: ReturnType<typeof createGit>,
  options: PublishOptions,
  hash: string,
): Promise<string[]> {
  const problems: string[] = [];
  const [changes, onBranch] = await Promise.all([
    git.changes(),
    options.allowAnyBranch ? Promise.resolve(true) : git.headOnBranch(options.branch),
  ]);
  if (changes.length > 0 && !options.allowDirty) {
    const some = changes.slice(0, 3).map((l) => l.slice(3)).join(", ") + (changes.length > 3 ? ", ..." : "");
    problems.push(
      `the working tree has uncommitted changes (${some}); commit or stash them, or pass --allow-dirty`,
    );
  }
  if (!onBranch) {
    problems.push(
      `HEAD (${hash}) is not on the release branch ${options.branch}; merge it first, or pass --branch or --allow-any-branch`,
    );
  }
  return problems;
}

/** Versions, image policy and dependencies of every chart, concurrently within the push bound. */
export async function stageCharts(
  step: Step,
  charts: ChartInfo[],
  release: string | undefined,
  hash: string,
): Promise<VersionedChart[]> {
  const { helm, options, scratch, display } = step;
  await Deno.mkdir(join(scratch, "charts"), { recursive: true });
  return await Promise.all(charts.map((chart) =>
    step.limit(async () => {
      const problems: string[] = [];
      const version = release ?? options.devVersion ??
        devVersion(chart.version ?? "", hash, display(join(chart.dir, "Chart.yaml")));
      const appVersion = options.appVersion ??
        (options.keepAppVersion ? await ownAppVersion(chart) ?? version : release ?? hash);
      if (!options.allowLatest) {
        for (const problem of await imageProblems(chart, appVersion, display)) {
          problems.push(`chart ${chart.name}: ${problem}`);
        }
      }
      // helm dependency build writes into the chart folder: give it a copy, never the working tree.
      let dir = chart.dir;
      if (chart.dependencies.length > 0) {
        dir = join(scratch, "charts", basename(chart.dir));
        try {
          await copyTree(chart.dir, dir);
        } catch (error) {
          throw new FastcsError(`cannot copy ${display(chart.dir)}: ${(error as Error).message}`, {
            code: "io.copy",
            exitCode: ExitCode.environment,
            hint: "Check the free space of the temporary folder (TMPDIR).",
          });
        }
        const dep = await helm.dependencyBuild(dir);
        if (dep.code !== 0) {
          problems.push(`chart ${chart.name}: helm dependency build failed: ${lastLine(dep.stderr)}`);
        }
      }
      return { chart, version, appVersion, dir, problems };
    })
  ));
}

/** One helm process lints every chart (start-up dominates the cost of linting one chart). */
export async function lintRefusals(helm: Helm, staged: VersionedChart[]): Promise<string[]> {
  const lint = await helm.lint(staged.map((s) => s.dir));
  if (lint.code === 0) return [];
  const sections = lintSections(lint.stdout + lint.stderr);
  const failed = staged.filter((s) => /^\[ERROR\]/m.test(sections.get(s.dir) ?? ""));
  if (failed.length === 0) return [`helm lint failed:\n${indent(lint.stdout + lint.stderr)}`];
  return failed.map((s) => `chart ${s.chart.name}: helm lint failed:\n${indent(sections.get(s.dir)!)}`);
}

/** Charts that keep a generated schema (or configure one) must have it up to date. */
export async function schemaRefusals(step: Step, charts: ChartInfo[]): Promise<string[]> {
  const withSchemas = [];
  for (const c of charts) {
    if (
      await pathExists(join(c.dir, "values.schema.json")) || await pathExists(join(c.dir, ".schema.yaml"))
    ) {
      withSchemas.push(c.name);
    }
  }
  if (withSchemas.length === 0) return [];
  const schemasDir = defaultSchemasDir(
    step.options.chartsDir,
    await findRepoRoot(step.options.chartsDir, step.ctx.cwd),
  );
  const plan = await planSchemas({
    cwd: step.ctx.cwd,
    chartsDir: step.options.chartsDir,
    schemas: await pathExists(schemasDir),
    schemasDir,
    overrides: {},
    only: withSchemas,
    warn: () => {},
    display: step.display,
    fetchRef: () => Promise.reject(new Error("offline")),
  });
  const stale = await checkPlan(plan);
  if (stale.length === 0) return [];
  const list = stale.map((s) => `${step.display(s.path)}: ${s.reason}`).join("; ");
  return [
    `schemas are out of date (${list}); run helm fastcs schema and commit, or pass --skip-schema-check`,
  ];
}

async function ownAppVersion(chart: ChartInfo): Promise<string | undefined> {
  const data = parseDocument(await Deno.readTextFile(join(chart.dir, "Chart.yaml"))).toJS() as Record<
    string,
    unknown
  >;
  return data?.appVersion === undefined ? undefined : String(data.appVersion);
}

async function imageProblems(
  chart: ChartInfo,
  appVersion: string,
  display: (p: string) => string,
): Promise<string[]> {
  const files = [join(chart.dir, "values.yaml")];
  // Unpacked sub-charts bring their own values.
  try {
    for await (const e of Deno.readDir(join(chart.dir, "charts"))) {
      if (e.isDirectory) files.push(join(chart.dir, "charts", e.name, "values.yaml"));
    }
  } catch { /* no sub-charts */ }
  const problems: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch {
      continue;
    }
    for (const p of findImageProblems(parseYamlSource(display(file), text), appVersion)) {
      problems.push(
        `${
          formatPosition(p.position)
        }: ${p.path}: image ${p.reference} ${p.problem}; pin a version (or pass --allow-latest)`,
      );
    }
  }
  return problems;
}

/** The last line of a tool's output (its error, usually). */
export function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "";
}

function indent(text: string): string {
  return text.trim().split("\n").map((l) => `    ${l}`).join("\n");
}
