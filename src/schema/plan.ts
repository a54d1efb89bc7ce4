// The whole `helm fastcs schema` job as data: for every chart, the files that should exist (values
// schema, schemas/ link, service schema), then either a check against the disk or an all-or-nothing
// write. Nothing is written until every chart has been generated without error.
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { ExitCode, FastcsError, inputError, type SourcePosition } from "../runtime/errors.ts";
import { pathExists, WriteGuard } from "../runtime/fs.ts";
import { bundleRefs } from "./bundle.ts";
import { expandK8sRef, k8sBaseUrl, k8sSchemaLoader } from "./k8s_schemas.ts";
import { pruneBundle } from "./prune.ts";
import { type ChartInfo, findCharts, readChart, subChartKeys } from "./charts.ts";
import { type LinkMode, loadConfig, readConfigFile, type SchemaConfig } from "./config.ts";
import type { Draft, JsonSchema } from "./drafts.ts";
import { generateSchema } from "./generate.ts";
import { checkSchemaDocument } from "./schema_check.ts";
import { serviceSchema } from "./service.ts";
import { compileSchema, formatProblems, validateLayers } from "./validate.ts";
import { parseYamlSource, readYamlFile, type YamlSource } from "./yaml_source.ts";

/** A file the schema job owns. `link` entries are symlinks (or copies where links cannot be made). */
export interface PlannedFile {
  /** Absolute path. */
  path: string;
  chart: string;
  role: "values-schema" | "values-link" | "service-schema";
  /** The exact bytes a file must hold (for links: the bytes of the link's target). */
  content: string;
  /** For links: the target, relative to the link's folder. */
  linkTarget?: string;
  links?: LinkMode;
}

/** What the job found and would write. */
export interface SchemaPlan {
  repoRoot: string;
  schemasDir?: string;
  charts: { chart: ChartInfo; config: SchemaConfig }[];
  files: PlannedFile[];
  /** Links in schemas/ whose target is gone (left by a removed or renamed chart). */
  dangling: string[];
}

/** Options of {@link planSchemas}. */
export interface PlanOptions {
  cwd: string;
  /** The charts folder (or one chart's folder); undefined with `configFile`, which names the chart. */
  chartsDir?: string;
  /** A helm-values-schema-json config file (`--config`): one schema, its paths relative to `cwd`. */
  configFile?: string;
  /** Unknown config keys are errors instead of warnings. */
  strict?: boolean;
  /** Write links and service schemas (into `schemasDir`). */
  schemas: boolean;
  /** Folder for links and service schemas (default: `schemas/` beside the charts folder, inside the repo). */
  schemasDir?: string;
  /** Overrides of every chart's config (command-line flags win over .schema.yaml). */
  overrides: Partial<SchemaConfig>;
  /** Only these charts (by name); all when empty. */
  only: string[];
  warn: (message: string) => void;
  /** Turns an absolute path into the path shown in messages. */
  display: (path: string) => string;
  /** Loads remote `$ref`s for bundling (network or cache). */
  fetchRef: (url: string) => Promise<string>;
}

/** Serialises a schema as written to disk: fixed key order is the generator's; indent; final newline. */
export function renderJson(value: unknown, indent: number): string {
  return JSON.stringify(value, null, indent) + "\n";
}

/** The repo root: the nearest folder at or above `start` that holds `.git`, else `fallback`. */
export async function findRepoRoot(start: string, fallback: string): Promise<string> {
  let dir = start;
  while (true) {
    try {
      await Deno.stat(join(dir, ".git"));
      return dir;
    } catch { /* keep looking */ }
    const parent = dirname(dir);
    if (parent === dir) return fallback;
    dir = parent;
  }
}

async function readExisting(path: string): Promise<JsonSchema | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch {
    return undefined;
  }
}

/**
 * Generates every chart's schemas in memory.
 *
 * @throws FastcsError (exit code 5) for bad input anywhere: nothing has been written at that point.
 */
export async function planSchemas(options: PlanOptions): Promise<SchemaPlan> {
  const { display } = options;
  // The same warning from a shared config file is said once, not once per chart.
  const said = new Set<string>();
  const warn = (m: string) => {
    if (!said.has(m)) options.warn(m);
    said.add(m);
  };
  const loading = { display, warn, strict: options.strict };
  let fixed: SchemaConfig | undefined;
  let chartsDir = options.chartsDir;
  let charts: ChartInfo[];
  if (options.configFile) {
    fixed = await readConfigFile(options.configFile, options.cwd, loading, true);
    const chartDir = dirname(
      await chartHolding(resolve(options.cwd, fixed.values[0]), options.configFile, display),
    );
    charts = [await readChart(chartDir, display)];
    chartsDir ??= dirname(chartDir);
  } else if (chartsDir !== undefined) charts = await findCharts(chartsDir, display);
  else throw new Error("planSchemas needs chartsDir or configFile");
  const repoRoot = await findRepoRoot(chartsDir, options.cwd);
  if (options.only.length > 0) {
    const missing = options.only.filter((n) => !charts.some((c) => c.name === n));
    if (missing.length > 0) {
      throw new FastcsError(`no chart named ${missing.join(", ")} under ${display(chartsDir)}`, {
        code: "charts.unknown",
        exitCode: ExitCode.input,
        hint: `Charts found: ${charts.map((c) => c.name).join(", ")}.`,
      });
    }
    charts = charts.filter((c) => options.only.includes(c.name));
  }
  const schemasDir = options.schemas
    ? options.schemasDir ?? defaultSchemasDir(chartsDir, repoRoot)
    : undefined;
  if (schemasDir && (await Deno.stat(schemasDir).then((i) => !i.isDirectory, () => false))) {
    throw new FastcsError(`${display(schemasDir)} is a file, not a folder for schema links`, {
      code: "schemas.not-folder",
      exitCode: ExitCode.input,
      hint: "Move the file away, name another folder with --schemas-dir, or pass --no-schemas.",
    });
  }
  const plan: SchemaPlan = { repoRoot, schemasDir, charts: [], files: [], dangling: [] };
  const guard = new WriteGuard(repoRoot);
  const outputs: { path: string; at?: SourcePosition }[] = [];
  for (const chart of charts) {
    const loaded = fixed ?? await loadConfig(chart.dir, repoRoot, loading);
    if (loaded.describedElsewhere) continue;
    const config = { ...loaded, ...definedOnly(options.overrides) };
    if (config.k8sSchemaDir) config.bundle = true; // a local folder of Kubernetes schemas is for bundling
    const inputs = [join(chart.dir, "Chart.yaml"), ...(config.file ? [config.file] : [])];
    const sources = [];
    for (const file of config.values) {
      const path = resolve(config.baseDir, file);
      inputs.push(path);
      let text: string;
      try {
        text = await readYamlFile(path, display);
      } catch (error) {
        const missing = error instanceof FastcsError && error.code === "io.missing";
        if (missing && !config.file && options.overrides.values === undefined) {
          // A chart without values (CRDs only, a library chart) has nothing to describe.
          warn(`chart ${chart.name}: no ${display(path)}, so no values schema (skipped)`);
          break;
        }
        if (!missing) throw error;
        throw new FastcsError(`chart ${chart.name}: values file ${display(path)} does not exist`, {
          code: "values.missing",
          exitCode: ExitCode.input,
          hint: "List existing files under `values` in .schema.yaml, or create the file.",
        });
      }
      sources.push(parseYamlSource(display(path), text));
    }
    if (sources.length < config.values.length) continue;
    plan.charts.push({ chart, config });
    const folderOf = new Map(config.values.map((v) => {
      const path = resolve(config.baseDir, v);
      return [display(path), dirname(path)];
    }));
    let schema = generateSchema(sources, {
      ...config,
      subCharts: await subChartKeys(chart),
      rebaseRef: (ref, file) => {
        const folder = folderOf.get(file);
        if (folder === undefined || folder === chart.dir) return ref;
        const hash = ref.indexOf("#");
        const path = hash < 0 ? ref : ref.slice(0, hash);
        return relative(chart.dir, resolve(folder, path)).replaceAll("\\", "/") +
          (hash < 0 ? "" : ref.slice(hash));
      },
    });
    const output = resolve(config.baseDir, config.output);
    await guard.addInputs(inputs);
    outputs.push({ path: output, at: config.outputAt });
    if (config.bundle) {
      const bundleRoot = resolve(config.baseDir, config.bundleRoot ?? ".");
      const local = config.k8sSchemaDir && config.k8sSchemaVersion
        ? k8sSchemaLoader(
          resolve(config.baseDir, config.k8sSchemaDir),
          k8sBaseUrl(config.k8sSchemaURL, config.k8sSchemaVersion),
          config.k8sSchemaVersion,
        )
        : undefined;
      schema = await bundleRefs(schema, {
        draft: config.draft,
        baseDir: chart.dir,
        bundleRoot,
        withoutId: config.bundleWithoutID,
        previous: await readExisting(output),
        fetchRef: async (url) => (await local?.(url)) ?? await options.fetchRef(url),
        expandRef: (ref) => expandK8sRef(ref, config.k8sSchemaURL, config.k8sSchemaVersion),
        display,
      });
      schema = pruneBundle(schema, config.draft === "7" ? "definitions" : "$defs");
    }
    if (config.bundle) checkSchemaDocument(schema, config.draft, display(output));
    await refuseSchemaRejectingDefaults(schema, sources, chart.name, display(output));
    const content = renderJson(schema, config.indent);
    plan.files.push({ path: output, chart: chart.name, role: "values-schema", content });
    if (schemasDir && config.serviceSchema) {
      const dir = schemasDir;
      const link = join(dir, `${chart.name}-values.schema.json`);
      plan.files.push({
        path: link,
        chart: chart.name,
        role: "values-link",
        content,
        linkTarget: relative(dir, output),
        links: config.links,
      });
      const aliases = [...config.aliases];
      const service = serviceSchema(chart.name, schema, aliases, config.draft as Draft);
      const servicePath = join(dir, `${chart.name}-service.schema.json`);
      checkSchemaDocument(service, config.draft, display(servicePath));
      plan.files.push({
        path: servicePath,
        chart: chart.name,
        role: "service-schema",
        content: renderJson(service, config.indent),
      });
    }
  }
  // Checked once every input is known: no output may replace any chart's input, or another output.
  for (const file of plan.files.filter((f) => f.role !== "values-schema")) outputs.push({ path: file.path });
  const owners = new Map<string, string>();
  for (const file of plan.files) {
    const other = owners.get(file.path);
    if (other !== undefined) {
      const at = outputs.find((o) => o.path === file.path && o.at)?.at;
      const message = `${
        display(file.path)
      } would be written twice (${other} and ${file.role} of chart ${file.chart})`;
      const extra = { code: "write.twice", hint: "Give each chart's output a path of its own." };
      if (at) throw inputError(at, message, extra);
      throw new FastcsError(message, { ...extra, exitCode: ExitCode.input });
    }
    owners.set(file.path, `${file.role} of chart ${file.chart}`);
  }
  for (const { path, at } of outputs) await refuseWrite(guard, path, repoRoot, display, at);
  if (schemasDir) plan.dangling = await danglingLinks(schemasDir, repoRoot, display);
  return plan;
}

/**
 * Helm validates the chart's own values on every install: a schema whose annotations reject them would
 * break every install. Inferred types always accept their defaults (the fuzz test checks that), so only a
 * chart with annotations is validated here; documents not embedded stand in as "anything".
 *
 * @throws FastcsError (exit code 5) listing each rejected value at its file:line:column
 */
async function refuseSchemaRejectingDefaults(
  schema: JsonSchema,
  sources: YamlSource[],
  chart: string,
  where: string,
) {
  if (!sources.some((s) => /#.*@schema/.test(s.text))) return;
  const validate = await compileSchema(schema, where, "file:///", () => Promise.resolve({}));
  const problems = validateLayers(sources, validate);
  if (problems.length === 0) return;
  throw new FastcsError(`chart ${chart}: the generated schema rejects the chart's own values`, {
    code: "schema.rejects-defaults",
    exitCode: ExitCode.input,
    details: formatProblems(problems),
    hint:
      "Helm validates these values on every install: change the annotations of those keys, or the values.",
  });
}

// `schemas/` beside the charts folder, or in the repo root where beside it would be outside the repository
// (`--charts-dir .`).
function defaultSchemasDir(chartsDir: string, repoRoot: string): string {
  const beside = dirname(chartsDir);
  const rel = relative(repoRoot, beside);
  return join(rel.startsWith("..") || isAbsolute(rel) ? repoRoot : beside, "schemas");
}

/** The `Chart.yaml` of the chart holding `file`, looking upwards from its folder. */
async function chartHolding(
  file: string,
  configFile: string,
  display: (p: string) => string,
): Promise<string> {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    if (await pathExists(join(dir, "Chart.yaml"))) return join(dir, "Chart.yaml");
  }
  throw new FastcsError(`${display(configFile)}: its values file ${display(file)} is not inside a chart`, {
    code: "config.no-chart",
    exitCode: ExitCode.input,
    hint: "List the chart's values file first under `values` (paths are relative to the working directory).",
  });
}

/** Applies the one write rule (inside the repository, never over an input) to a file the plan writes. */
async function refuseWrite(
  guard: WriteGuard,
  path: string,
  repoRoot: string,
  display: (p: string) => string,
  at?: SourcePosition,
) {
  const refusal = await guard.refusal(path);
  if (!refusal) return;
  const why = {
    outside: `it is outside the repository ${display(repoRoot) || "."}`,
    git: "it is inside the repository's .git folder",
    input: "it is one of the files this run reads",
    folder: "a folder is there",
  }[refusal];
  const message = `refusing to write ${display(path)}: ${why}`;
  const extra = {
    code: `write.${refusal}`,
    hint: {
      outside:
        "Generated files stay inside the repository: choose an output (or schemas folder) below its root.",
      git: "Choose an output outside .git (git's own files would be replaced).",
      input: "Choose an output file that is not a values file, Chart.yaml or the config file.",
      folder: "Name a file path, or move the folder away.",
    }[refusal],
  };
  if (at) throw inputError(at, message, extra);
  throw new FastcsError(message, { ...extra, exitCode: ExitCode.input });
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

async function danglingLinks(
  schemasDir: string,
  repoRoot: string,
  display: (p: string) => string,
): Promise<string[]> {
  const dangling: string[] = [];
  let entries: Deno.DirEntry[] = [];
  try {
    entries = await Array.fromAsync(Deno.readDir(schemasDir));
  } catch {
    return dangling;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isSymlink) continue;
    const path = join(schemasDir, entry.name);
    const target = await Deno.readLink(path);
    const absolute = isAbsolute(target) ? target : resolve(schemasDir, target);
    const rel = relative(repoRoot, absolute);
    if (rel.startsWith("..") || isAbsolute(rel)) {
      throw new FastcsError(
        `${display(path)} links to ${target}, outside the repository ${display(repoRoot) || "."}`,
        {
          code: "schemas.link-outside",
          exitCode: ExitCode.input,
          hint:
            "Published schemas must come from the repo: remove the link, then run helm fastcs schema to recreate the links.",
        },
      );
    }
    try {
      await Deno.stat(absolute);
    } catch {
      dangling.push(path);
    }
  }
  return dangling;
}

/** A file on disk that differs from the plan. */
export interface StaleFile {
  path: string;
  chart?: string;
  reason: "missing" | "content differs" | "link points elsewhere" | "dangling link";
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
}

/**
 * Compares the plan with the disk without writing anything. In place of a link, two things are accepted:
 * a copy with the same bytes (systems that cannot make links), and the small text file holding just the
 * link's target that git checks a link out as where it makes no links (core.symlinks=false, the default
 * of Git for Windows).
 */
export async function checkPlan(plan: SchemaPlan): Promise<StaleFile[]> {
  const stale: StaleFile[] = [];
  for (const file of plan.files) {
    let info: Deno.FileInfo | undefined;
    try {
      info = await Deno.lstat(file.path);
    } catch {
      stale.push({ path: file.path, chart: file.chart, reason: "missing" });
      continue;
    }
    if (file.linkTarget !== undefined && info.isSymlink) {
      if (await Deno.readLink(file.path) !== file.linkTarget) {
        stale.push({ path: file.path, chart: file.chart, reason: "link points elsewhere" });
      }
      continue;
    }
    // A checkout with core.autocrlf=true (Git for Windows' default) has CRLF line ends: the same content.
    const text = (await readText(file.path))?.replaceAll("\r\n", "\n");
    if (file.linkTarget !== undefined && text !== undefined && info.size < 4096 && text !== file.content) {
      const slashes = (p: string) => p.replaceAll("\\", "/");
      if (slashes(text) === slashes(file.linkTarget)) continue;
      if (!text.includes("\n") && text.endsWith(".json")) {
        stale.push({ path: file.path, chart: file.chart, reason: "link points elsewhere" });
        continue;
      }
    }
    if (text !== file.content) {
      stale.push({ path: file.path, chart: file.chart, reason: "content differs" });
    }
  }
  for (const path of plan.dangling) stale.push({ path, reason: "dangling link" });
  return stale;
}

/** What {@link applyPlan} did to one file. */
export interface WrittenFile {
  path: string;
  chart?: string;
  action: "written" | "linked" | "copied" | "unchanged" | "removed";
}

/** Options of {@link applyPlan}. */
export interface ApplyOptions {
  /** True once the user asked to stop (Ctrl+C): staging stops, staged files are removed, nothing changes. */
  stopRequested?: () => boolean;
}

/** A file written next to its destination, to be renamed over it once every file is staged. */
interface Staged {
  file: PlannedFile;
  temp: string;
  action: WrittenFile["action"];
}

// Hidden and named for us, in the destination's folder so that the rename is atomic.
function tempName(path: string): string {
  const random = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  return join(dirname(path), `.${basename(path)}.fastcs-${Deno.pid}-${random}.tmp`);
}

async function removeAll(paths: string[]) {
  await Promise.all(paths.map((p) => Deno.remove(p).catch(() => {})));
}

function writeError(path: string, error: unknown, staged: boolean, done: string[]): FastcsError {
  if (error instanceof FastcsError) return error;
  const state = staged
    ? `Nothing was changed.`
    : `Written before the failure: ${done.length === 0 ? "none" : done.join(", ")}; the rest is unchanged.`;
  return new FastcsError(`cannot write ${path}: ${(error as Error).message}`, {
    code: "io.write",
    exitCode: ExitCode.environment,
    hint: `${state} Fix the cause (permissions, free space) and run again.`,
    cause: error,
  });
}

/**
 * Writes what differs, all or nothing: every new file content (schemas, service schemas, copies) is first
 * staged in a hidden temporary file beside its destination; only when all are staged are they renamed into
 * place, then links are made and dangling links removed. A failure or an interrupt while staging removes the
 * staged files and changes nothing; a failure after that names what was written.
 *
 * @throws FastcsError exit code 6 naming the file that could not be written; 130 when interrupted while
 *   staging (nothing written)
 */
export async function applyPlan(plan: SchemaPlan, options: ApplyOptions = {}): Promise<WrittenFile[]> {
  const stale = new Map((await checkPlan(plan)).map((s) => [s.path, s]));
  const staged: Staged[] = [];
  const links: PlannedFile[] = [];
  const done: WrittenFile[] = [];
  for (const file of plan.files) {
    if (!stale.has(file.path)) done.push({ path: file.path, chart: file.chart, action: "unchanged" });
    else if (file.linkTarget !== undefined && file.links !== "copy") links.push(file);
    else {staged.push({
        file,
        temp: tempName(file.path),
        action: file.linkTarget === undefined ? "written" : "copied",
      });}
  }
  // Stage. Folders made for the new files are removed again if the run stops here.
  const madeFolders: string[] = [];
  const abandon = async (upTo: number) => {
    await removeAll(staged.slice(0, upTo).map((x) => x.temp));
    for (const dir of madeFolders) await Deno.remove(dir).catch(() => {}); // deepest first
  };
  for (const [i, s] of staged.entries()) {
    try {
      for (let dir = dirname(s.file.path); !(await pathExists(dir)); dir = dirname(dir)) {
        madeFolders.push(dir);
      }
      await Deno.mkdir(dirname(s.file.path), { recursive: true });
      await Deno.writeTextFile(s.temp, s.file.content, { createNew: true });
    } catch (error) {
      await abandon(i + 1);
      throw writeError(s.file.path, error, true, []);
    }
    if (options.stopRequested?.()) {
      await abandon(staged.length);
      throw new FastcsError("interrupted: nothing was written", {
        code: "interrupted",
        exitCode: ExitCode.interrupted,
      });
    }
  }
  // Commit: renames are atomic per file and do not fail for lack of space.
  const written: string[] = [];
  for (const [i, s] of staged.entries()) {
    try {
      await Deno.rename(s.temp, s.file.path);
    } catch (error) {
      await removeAll(staged.slice(i).map((x) => x.temp));
      throw writeError(s.file.path, error, false, written);
    }
    written.push(s.file.path);
    done.push({ path: s.file.path, chart: s.file.chart, action: s.action });
  }
  for (const file of links) {
    try {
      await Deno.mkdir(dirname(file.path), { recursive: true });
      const temp = tempName(file.path);
      try {
        await Deno.symlink(file.linkTarget!, temp);
        await Deno.rename(temp, file.path);
      } catch (error) {
        await removeAll([temp]);
        throw error;
      }
      done.push({ path: file.path, chart: file.chart, action: "linked" });
    } catch (error) {
      if (file.links === "link") {
        throw new FastcsError(`cannot create link ${file.path}: ${(error as Error).message}`, {
          code: "io.link",
          exitCode: ExitCode.environment,
          hint:
            "Set links: copy (or auto) in .schema.yaml where links cannot be made (Windows without link " +
            `rights). Written before: ${written.length === 0 ? "none" : written.join(", ")}.`,
          cause: error,
        });
      }
      // auto: a copy where links cannot be made.
      const temp = tempName(file.path);
      try {
        await Deno.writeTextFile(temp, file.content, { createNew: true });
        await Deno.remove(file.path).catch(() => {});
        await Deno.rename(temp, file.path);
      } catch (copyError) {
        await removeAll([temp]);
        throw writeError(file.path, copyError, false, written);
      }
      done.push({ path: file.path, chart: file.chart, action: "copied" });
    }
    written.push(file.path);
  }
  for (const path of plan.dangling) {
    await Deno.remove(path);
    done.push({ path, action: "removed" });
  }
  const order = new Map(plan.files.map((f, i) => [f.path, i]));
  return done.sort((a, b) => (order.get(a.path) ?? Infinity) - (order.get(b.path) ?? Infinity));
}
