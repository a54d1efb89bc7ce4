// The checks of a publish, all made before anything is pushed: git state, versions, image tags,
// dependencies, lint and schemas. Each returns the problems it found as sentences that name their
// override flag; the caller refuses the publish when there is any.
import { basename, join } from "node:path";
import type { createGit } from "../adapters/git.ts";
import { finalHelmError, type Helm, lintSections } from "../adapters/helm.ts";
import { parseDocument } from "../deps/yaml.ts";
import type { pLimit } from "../deps/concurrency.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode, FastcsError, formatPosition } from "../runtime/errors.ts";
import { copyTree, pathExists } from "../runtime/fs.ts";
import type { ChartInfo } from "../chart/charts.ts";
import { readSubCharts } from "../chart/subcharts.ts";
import { checkPlan } from "../schema/apply.ts";
import { planSchemas } from "../schema/plan.ts";
import { parseYamlSource } from "../chart/yaml_source.ts";
import { findImageProblems } from "./images.ts";
import { renderedImageProblems } from "./rendered_images.ts";
import type { PublishOptions, VersionedChart } from "./model.ts";
import { appVersionFor, devVersion } from "./version.ts";
import { lastLine } from "../runtime/runner.ts";

/** What every step of a publish works with. */
export interface Step {
  ctx: Context;
  helm: Helm;
  options: PublishOptions;
  scratch: string;
  /** The repository's schemas/ folder (links to each chart's schema and service schemas). */
  schemasDir: string;
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
  const { helm, options, scratch } = step;
  const display = step.ctx.display;
  // The staged copies are the sub-charts of one umbrella chart, so that one `helm template` renders them all
  // (see {@link renderAll}); each stays a chart of its own for lint, dependency build and package.
  await Deno.mkdir(join(scratch, RENDER_DIR, "charts"), { recursive: true });
  await Deno.writeTextFile(
    join(scratch, RENDER_DIR, "Chart.yaml"),
    `apiVersion: v2\nname: ${RENDER_DIR}\nversion: 0.0.0\ndescription: every chart of this publish as a sub-chart\n`,
  );
  return await Promise.all(charts.map((chart) =>
    step.limit(async () => {
      const problems: string[] = [];
      const version = release ?? options.devVersion ??
        devVersion(chart.version ?? "", hash, display(join(chart.dir, "Chart.yaml")));
      const appVersion = appVersionFor(options.appVersion, {
        version,
        tagged: release !== undefined,
        hash,
        own: options.appVersion === "keep" ? await ownAppVersion(chart) : undefined,
      });
      // A copy of the chart with its release version and appVersion (templates often default an image's tag
      // to .Chart.AppVersion), where helm dependency build may write: never the working tree.
      const dir = join(scratch, RENDER_DIR, "charts", basename(chart.dir));
      try {
        await copyTree(chart.dir, dir);
        const chartYaml = join(dir, "Chart.yaml");
        const doc = parseDocument(await Deno.readTextFile(chartYaml));
        doc.set("version", version);
        doc.set("appVersion", appVersion);
        await Deno.writeTextFile(chartYaml, doc.toString());
      } catch (error) {
        throw new FastcsError(`cannot copy ${display(chart.dir)}: ${(error as Error).message}`, {
          code: "io.copy",
          exitCode: ExitCode.environment,
          hint: "Check the free space of the temporary folder (TMPDIR).",
        });
      }
      // Dependencies already vendored under charts/ (folders, or the .tgz files a committed
      // `helm dependency build` left) at the versions Chart.lock pins are used as they are: no network, no
      // rebuild (--skip-dependency-build uses whatever is there).
      if (
        chart.dependencies.length > 0 && !options.skipDependencyBuild &&
        !(await dependenciesVendored(chart, dir, display))
      ) {
        // OCI dependencies are fetched like the targets: with --plain-http, --ca-file, ... as given.
        const transport = options.targets.find((t) => t.kind === "oci")?.transport;
        const dep = await helm.dependencyBuild(dir, transport);
        if (dep.code !== 0) {
          problems.push(
            `chart ${chart.name}: helm dependency build failed: ${
              finalHelmError(dep.stderr).trim() || lastLine(dep.stderr)
            }`,
          );
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
  const schemasDir = step.schemasDir;
  const plan = await planSchemas({
    cwd: step.ctx.cwd,
    chartsDir: step.options.chartsDir,
    schemas: await pathExists(schemasDir),
    schemasDir,
    overrides: {},
    only: withSchemas,
    warn: () => {},
    display: step.ctx.display,
    fetchRef: () => Promise.reject(new Error("offline")),
  });
  const stale = await checkPlan(plan);
  if (stale.length === 0) return [];
  const list = stale.map((s) => `${step.ctx.display(s.path)}: ${s.reason}`).join("; ");
  return [
    `schemas are out of date (${list}); run helm fastcs schema and commit, or pass --skip-schema-check`,
  ];
}

/** The dependency versions Chart.lock pins (`helm dependency update` writes it), by name; empty without one. */
async function lockedVersions(chartDir: string): Promise<Map<string, string>> {
  try {
    const lock = parseDocument(await Deno.readTextFile(join(chartDir, "Chart.lock"))).toJS() as {
      dependencies?: { name?: unknown; version?: unknown }[];
    };
    return new Map((lock?.dependencies ?? []).map((d) => [String(d.name), String(d.version)]));
  } catch {
    return new Map();
  }
}

async function ownAppVersion(chart: ChartInfo): Promise<string | undefined> {
  const data = parseDocument(await Deno.readTextFile(join(chart.dir, "Chart.yaml"))).toJS() as Record<
    string,
    unknown
  >;
  return data?.appVersion === undefined ? undefined : String(data.appVersion);
}

/** The umbrella chart (in the scratch folder) whose sub-charts are the staged charts. */
const RENDER_DIR = "helm-fastcs-render";

/**
 * Renders every staged chart with its default values in one `helm template` of the umbrella chart that
 * {@link stageCharts} builds: one helm process instead of one per chart (each costs about 80 ms of CPU).
 * Helm renders a sub-chart with its own values, globals and sub-charts, as it renders the chart alone
 * (a sub-chart's globals reach neither its parent nor its siblings); only `.Release.Name` is shared,
 * `.Chart.IsRoot` is false and `.Values.global` is an empty map where a chart alone has none (a template
 * reading `.Values.global.x` renders here; `helm lint` still reports it).
 *
 * @returns each chart's manifests by chart name (from the `# Source: <umbrella>/charts/<chart>/` lines
 *   Helm prints), or undefined when the umbrella does not render (a chart needs values, a dependency is
 *   missing) or when two charts share a name: the caller then renders chart by chart, which says which
 *   chart fails and why.
 */
async function renderAll(step: Step, staged: VersionedChart[]): Promise<Map<string, string> | undefined> {
  const names = new Set(staged.map((s) => s.chart.name));
  if (names.size !== staged.length) return undefined;
  const r = await step.helm.template(RENDER_DIR, join(step.scratch, RENDER_DIR), []);
  if (r.code !== 0) return undefined;
  const byChart = new Map([...names].map((n) => [n, ""]));
  const prefix = `# Source: ${RENDER_DIR}/charts/`;
  for (const document of r.stdout.split(/^---[ \t]*$/m)) {
    const source = document.split("\n").find((l) => l.startsWith(prefix));
    const name = source?.slice(prefix.length).split("/")[0];
    if (name !== undefined && byChart.has(name)) byChart.set(name, `${byChart.get(name)}---${document}`);
  }
  return byChart;
}

/** The image policy (see {@link imagePolicy}) for every staged chart: the default values of all charts in
 * one render, values files chart by chart, concurrently. */
export async function imageRefusals(step: Step, staged: VersionedChart[]): Promise<string[]> {
  if (step.options.allowLatest) return [];
  const ready = staged.filter((s) => s.problems.length === 0);
  // A chart refused while staging (no dependencies) would fail the umbrella; one chart gains nothing.
  const rendered = ready.length > 1 && ready.length === staged.length
    ? await renderAll(step, ready)
    : undefined;
  const each = await Promise.all(
    ready.map((s) =>
      step.limit(() => imagePolicy(step, s.chart, s.dir, s.appVersion, rendered?.get(s.chart.name)))
    ),
  );
  return each.flat();
}

/**
 * The image policy on what the chart renders (`helm template` with its default values, each `ci/*.yaml`
 * and every `--image-values` file): no container may run an image with `:latest`, or with neither a tag nor
 * a digest. Each problem names the chart, values, resource, container and image, and where the values set
 * it when a values file shows it. A chart that does not render with its defaults (it needs values) is
 * judged on its values files instead, with a warning.
 */
async function imagePolicy(
  step: Step,
  chart: ChartInfo,
  dir: string,
  appVersion: string,
  /** The manifests the chart renders with its default values, when already rendered ({@link renderAll}). */
  defaults?: string,
): Promise<string[]> {
  const { helm, options } = step;
  const display = step.ctx.display;
  const inValues = await valuesImageProblems(chart, appVersion, display);
  const sets: { label: string; files: string[] }[] = [{ label: "default values", files: [] }];
  try {
    for (
      const e of (await Array.fromAsync(Deno.readDir(join(chart.dir, "ci")))).sort((a, b) =>
        a.name.localeCompare(b.name)
      )
    ) {
      if (e.isFile && /\.ya?ml$/.test(e.name)) {
        sets.push({ label: `ci/${e.name}`, files: [join(dir, "ci", e.name)] });
      }
    }
  } catch { /* no ci/ folder */ }
  for (const f of options.imageValues ?? []) sets.push({ label: display(f), files: [f] });
  const problems: string[] = [];
  for (const set of sets) {
    const r = set.files.length === 0 && defaults !== undefined
      ? { code: 0, stdout: defaults, stderr: "" }
      : await helm.template(chart.name, dir, set.files);
    if (r.code !== 0) {
      const why = finalHelmError(r.stderr).trim().split("\n")[0];
      if (set.files.length === 0) {
        // It needs values: its values files stand in for the defaults' render; the other sets still render.
        step.ctx.log.warn(
          `chart ${chart.name} does not render with its default values (${why}): its values files are checked instead`,
        );
        problems.push(...inValues.map((p) => `chart ${chart.name}: ${p.text}`));
      } else step.ctx.log.warn(`chart ${chart.name}: ${set.label} does not render (${why}): skipped`);
      continue;
    }
    for (const p of renderedImageProblems(r.stdout)) {
      const where = inValues.find((v) => v.reference === p.image || `${v.reference}:latest` === p.image);
      problems.push(
        `chart ${chart.name} (${set.label}): ${p.resource} container ${p.container}: image ${p.image} ${p.problem}` +
          `${where ? ` (set at ${where.at})` : ""}; pin a version (or pass --allow-latest)`,
      );
    }
  }
  return [...new Set(problems)];
}

/** Image problems found in the values files of the chart and its vendored sub-charts (`file:line:column`). */
async function valuesImageProblems(
  chart: ChartInfo,
  appVersion: string,
  display: (p: string) => string,
): Promise<{ reference: string; at: string; text: string }[]> {
  const files = [join(chart.dir, "values.yaml")];
  // Unpacked sub-charts bring their own values (named by their place in the working tree).
  try {
    for await (const e of Deno.readDir(join(chart.dir, "charts"))) {
      if (e.isDirectory) files.push(join(chart.dir, "charts", e.name, "values.yaml"));
    }
  } catch { /* no sub-charts */ }
  const found = [];
  for (const file of files) {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch {
      continue;
    }
    for (const p of findImageProblems(parseYamlSource(display(file), text), appVersion)) {
      const at = `${formatPosition(p.position)} ${p.path}`;
      found.push({
        reference: p.reference,
        at,
        text: `${
          formatPosition(p.position)
        }: ${p.path}: image ${p.reference} ${p.problem}; pin a version (or pass --allow-latest)`,
      });
    }
  }
  return found;
}

/** True when every dependency of the chart copy in `dir` is vendored under charts/ at the version Chart.lock pins. */
async function dependenciesVendored(
  chart: ChartInfo,
  dir: string,
  display: (p: string) => string,
): Promise<boolean> {
  const vendored = await readSubCharts(dir, display);
  const locked = await lockedVersions(dir);
  return chart.dependencies.every((d) =>
    vendored.some((v) => v.name === d.name && (!locked.has(d.name) || locked.get(d.name) === v.version))
  );
}

function indent(text: string): string {
  return text.trim().split("\n").map((l) => `    ${l}`).join("\n");
}
