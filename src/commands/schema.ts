// `helm fastcs schema` (generate or --check) and `helm fastcs schema validate`: flags, help and output
// only; the work is in src/schema/.
import { join, resolve } from "node:path";
import { type Command, Option } from "../deps/cli.ts";
import { action, outputOption } from "./wiring.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode } from "../runtime/errors.ts";
import { resolveChartsDir } from "../chart/charts.ts";
import type { LinkMode, SchemaConfig } from "../schema/config.ts";
import { parseDraft } from "../schema/drafts.ts";
import { applyPlan, checkPlan } from "../schema/apply.ts";
import { planSchemas } from "../schema/plan.ts";
import { createRefFetcher } from "../schema/ref_fetch.ts";
import { formatProblems } from "../chart/validate.ts";
import { pluginCacheDir } from "../runtime/helm_env.ts";

function refCacheDir(ctx: Context): string {
  return join(pluginCacheDir(ctx.env), "refs");
}

/** Registers `schema` and its `validate` subcommand on the program. */
export function registerSchema(program: Command, ctx: Context) {
  const schema = program
    .command("schema")
    .description(
      "generate values.schema.json for every chart, the schemas/ links and service schemas; validate values files",
    )
    .helpOption("-h, --help", "show help");

  schema
    .command("generate", { isDefault: true })
    .description(
      "generate (or with --check, verify) every chart's values.schema.json, schemas/ links and service schemas",
    )
    .option("--charts-dir <dir>", "folder holding the charts (default: charts/, else Charts/)")
    .option("--chart <name...>", "only these charts (by Chart.yaml name)")
    .option(
      "--schemas-dir <dir>",
      "folder for schema links and service schemas (default: schemas/ beside the charts folder)",
    )
    .option("--no-schemas", "do not write links or service schemas")
    .option(
      "--config <file>",
      "a helm-values-schema-json config file: one chart's schema, every path in it relative to the working directory",
    )
    .option("--strict", "unknown keys in a config file are errors (default: warnings)")
    .option("--check", "write nothing; exit 3 listing every stale or missing file (for pre-commit and CI)")
    .option(
      "--values <file...>",
      "values files to read, merged in order (default: values.yaml, or .schema.yaml's values)",
    )
    .option("--draft <draft>", "JSON Schema draft: 7, 2019 or 2020 (default 2020, or .schema.yaml's draft)")
    .option("--bundle", "embed remote and file $refs under $defs so Helm never fetches them")
    .option("--k8s-schema-version <version>", "Kubernetes version for $ref: $k8s/... (e.g. v1.33.1)")
    .option(
      "--k8s-schema-dir <dir>",
      "bundle $k8s/ documents from this local folder of Kubernetes JSON schemas instead of the network (implies --bundle)",
    )
    .addOption(
      new Option("--links <mode>", "make schemas/ entries as links, copies, or links with copies as fallback")
        .choices(["auto", "link", "copy"] as const),
    )
    .addOption(outputOption())
    .helpOption("-h, --help", "show help")
    .action(action(async (opts) => {
      const chartsDir = opts.config && !opts.chartsDir
        ? undefined
        : await resolveChartsDir(ctx.cwd, opts.chartsDir);
      const display = ctx.display;
      const overrides: Partial<SchemaConfig> = {
        values: opts.values?.map((v) => resolve(ctx.cwd, v)), // flags are relative to the working directory
        draft: opts.draft === undefined ? undefined : parseDraft(opts.draft, "--draft"),
        bundle: opts.bundle,
        k8sSchemaVersion: opts.k8sSchemaVersion,
        k8sSchemaDir: opts.k8sSchemaDir === undefined ? undefined : resolve(ctx.cwd, opts.k8sSchemaDir),
        links: opts.links as LinkMode | undefined,
      };
      const plan = await planSchemas({
        cwd: ctx.cwd,
        chartsDir,
        configFile: opts.config === undefined ? undefined : resolve(ctx.cwd, opts.config),
        strict: opts.strict,
        schemas: opts.schemas !== false,
        schemasDir: opts.schemasDir === undefined ? undefined : resolve(ctx.cwd, opts.schemasDir),
        overrides,
        only: opts.chart ?? [],
        warn: ctx.log.warn,
        display,
        fetchRef: createRefFetcher({ cacheDir: refCacheDir(ctx), debug: ctx.log.debug }),
      });
      if (opts.check) {
        const stale = await checkPlan(plan);
        if (opts.output === "json") {
          ctx.log.emit({
            ok: stale.length === 0,
            stale: stale.map((s) => ({ ...s, path: display(s.path) })),
          });
        }
        if (stale.length > 0) {
          for (const s of stale) {
            ctx.log.error(`${display(s.path)}: ${s.reason}${s.chart ? ` (chart ${s.chart})` : ""}`);
          }
          ctx.log.info(
            `${stale.length} generated file(s) out of date: run \`helm fastcs schema\` and commit the result.`,
          );
          return ExitCode.stale;
        }
        ctx.log.info(`schemas up to date (${plan.charts.length} chart(s), ${plan.files.length} file(s))`);
        return ExitCode.ok;
      }
      // Ctrl+C while files are staged stops and removes them; once renaming has begun, it waits for the end.
      let stop = false;
      const applying = applyPlan(plan, { stopRequested: () => stop });
      const unregister = ctx.onInterrupt(async () => {
        stop = true;
        await applying.catch(() => {});
      });
      let written;
      try {
        written = await applying;
      } finally {
        unregister();
      }
      if (opts.output === "json") {
        ctx.log.emit({ files: written.map((w) => ({ ...w, path: display(w.path) })) });
      } else {
        const width = Math.max(...written.map((w) => display(w.path).length));
        for (const w of written) ctx.log.out(`${display(w.path).padEnd(width)}  ${w.action}`);
      }
      return ExitCode.ok;
    }));

  schema
    .command("validate")
    .description(
      "validate values files as Helm would (coalesced with the chart's defaults and -f files), every error as file:line:column",
    )
    .argument("[files...]", "values files, each validated on its own (default: every chart's values files)")
    .option("-f, --values <file...>", "values files coalesced under each file, in order (as helm -f)")
    .option(
      "--shared <file...>",
      "values shared by every service, coalesced first (default: a services repo's services/values.yaml)",
    )
    .option(
      "--schema <file|url>",
      "the schema (default: the file's yaml-language-server modeline, else its chart's values.schema.json)",
    )
    .option("--charts-dir <dir>", "folder holding the charts, when no files are given")
    .addOption(outputOption())
    .helpOption("-h, --help", "show help")
    .action(action(async (files, opts) => {
      const display = ctx.display;
      const values = opts.values ?? [];
      // Loaded by `schema validate` only: generating and checking schemas never need it.
      const { planValidation, runValidation } = await import("../schema/validate_job.ts");
      const jobs = await planValidation({
        cwd: ctx.cwd,
        files,
        values,
        shared: opts.shared,
        schema: opts.schema,
        chartsDir: files.length === 0 && values.length === 0
          ? await resolveChartsDir(ctx.cwd, opts.chartsDir)
          : undefined,
        display,
        warn: ctx.log.warn,
      });
      const fetchUrl = createRefFetcher({ cacheDir: refCacheDir(ctx), debug: ctx.log.debug });
      const results = await runValidation(jobs, { display, fetchUrl });
      const failed = results.filter((r) => r.problems.length > 0);
      if (opts.output === "json") {
        ctx.log.emit({
          valid: failed.length === 0,
          files: results.map((r) => ({
            file: display(r.job.layers[r.job.layers.length - 1]),
            layers: r.job.layers.map(display),
            schema: display(r.job.schema),
            valid: r.problems.length === 0,
            problems: r.problems.map((p) => ({ ...p.position, path: p.path, message: p.message })),
          })),
        });
      } else {
        for (const r of results) {
          const file = display(r.job.layers[r.job.layers.length - 1]);
          const under = r.job.layers.length > 1
            ? `, over ${r.job.layers.slice(0, -1).map(display).join(", ")}`
            : "";
          if (r.problems.length === 0) ctx.log.out(`${file}: valid (${display(r.job.schema)}${under})`);
          else for (const line of formatProblems(r.problems)) ctx.log.out(line);
        }
      }
      if (failed.length > 0) {
        const count = failed.reduce((n, r) => n + r.problems.length, 0);
        ctx.log.error(`${count} problem(s) in ${failed.length} of ${results.length} file(s)`);
        return ExitCode.invalid;
      }
      return ExitCode.ok;
    }));
}
