// `helm fastcs promote` and its `history` and `rollback` subcommands, wiring only: flags parsed, a flow of
// src/promote/flows.ts called, its lines (src/promote/report.ts) or its one JSON document printed, and the
// exit code it comes to.
import { resolve } from "node:path";
import { type Command, Option } from "../deps/cli.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { type Environment, environment, loadPromoteConfig, type PromoteConfig } from "../promote/config.ts";
import { confirmIn } from "../promote/confirm.ts";
import {
  environmentHistory,
  folderServices,
  promoteClusters,
  promoteFolders,
  type PromotionMode,
  rollbackEnvironment,
} from "../promote/flows.ts";
import {
  anyFailed,
  clusterDocument,
  countResults,
  deletionLine,
  folderDocument,
  folderLines,
  orderLines,
  planLines,
  recoveredLine,
  resultLine,
  stuckLine,
} from "../promote/report.ts";
import { type ReleaseScope, scopeOf } from "../promote/scope.ts";
import type { SignatureCheck } from "../promote/signature.ts";
import { action, outputOption } from "./wiring.ts";
import { keyReference } from "../adapters/cosign.ts";
import { durationMs } from "../runtime/duration.ts";

type Output = "text" | "json";

/** `--test-*` and `--on-test-failure`, parsed. */
type PromotionTests = Parameters<typeof promoteClusters>[4]["tests"];

/** The milliseconds of a Go duration flag (Helm's format, e.g. 1m30s); exit 2 when it is not one. */
function goDuration(flag: string, text: string): number {
  const ms = durationMs(text);
  if (ms === undefined) {
    throw new FastcsError(
      `${flag} takes a duration such as 30s, 2m or 1m30s (Helm's format), not "${text}"`,
      {
        code: "usage",
        exitCode: ExitCode.usage,
      },
    );
  }
  return ms;
}

/** Registers `promote` with its `history` and `rollback` subcommands on the program. */
export function registerPromote(program: Command, ctx: Context) {
  const configOption = ["--config <file>", "project file declaring the environments", "fastcs.yaml"] as const;
  const promote = program
    .command("promote")
    .description(
      "promote what runs in one environment to another: the same chart and digest, the target's own values plus the promoted keys, a diff first, confirmation, rollback on failure, a record",
    )
    .argument("[source]", "environment to promote from (as named in the project file)")
    .argument("[target]", "environment to promote to")
    .argument(
      "[releases...]",
      "releases of the source environment, promoted in this order (default: all of them)",
    )
    .option(...configOption)
    .option("--all", "every release of the source environment, by name (what naming none means too)")
    .option("--group <name>", "the releases of a group of the project file (groups:), in the group's order")
    .option(
      "-l, --selector <selector>",
      "the releases whose labels match (label selector: team=core, tier!=db, team in (a,b)), by name",
    )
    .option("--stop-on-failure", "after a release fails (and is rolled back), promote none of the next ones")
    .option("--diff-only", "show the diff and stop; exit 10 when there are changes, 0 when none")
    .option("--dry-run", "show the diff and what would run; change nothing")
    .option("-y, --yes", "do not ask for confirmation (needed without a terminal)")
    .option(
      "--force",
      "promote even when the source is not deployed, failed its last test, or its chart renders differently",
    )
    .option(
      "--recover",
      "recover target releases stuck in pending-install/-upgrade/-rollback by an interrupted helm (after confirmation): roll back to the last deployed revision, or uninstall when none was deployed; then promote",
    )
    .option(
      "--test-retries <n>",
      "run helm test again up to N times when it fails after the upgrade",
      "0",
    )
    .option("--test-retry-delay <duration>", "wait between helm test runs (Go duration, e.g. 30s)", "10s")
    .option("--test-timeout <duration>", "helm test's --timeout (default: the project's promote.timeout)")
    .addOption(
      new Option(
        "--on-test-failure <policy>",
        "when helm test still fails: roll back to the previous revision, or keep the new one and report (exit 11 either way)",
      ).choices(["rollback", "keep"] as const).default("rollback" as const),
    )
    .option(
      "--delete-source",
      "after a successful promotion, delete the source releases (asks; history kept, recording where they went)",
    )
    .option("--show-secrets", "show Secret values in the diff (redacted by default)")
    .option("--plain-http", "pull charts from the registry over HTTP")
    .option(
      "--cosign-verify <key>",
      "promote only charts whose pulled digest carries a cosign signature this public key verifies (a file or KMS URI)",
    )
    .addOption(
      new Option(
        "--cosign-tlog <check>",
        "with --cosign-verify, require the transparency log's proof, as cosign does; false for charts signed with --cosign-tlog=false",
      ).choices(["true", "false"] as const).default("true" as const),
    )
    .option("--commit", "GitOps mode: commit the rewritten files with a message recording the promotion")
    .option("--history <env>", "the same as `promote history ENV` (kept for scripts)")
    .option("--rollback <env>", "the same as `promote rollback ENV [RELEASE...]` (kept for scripts)")
    .addOption(outputOption())
    .helpOption("-h, --help", "show help")
    // Options after `history`/`rollback` are theirs (e.g. their own --config and -o), not promote's.
    .enablePositionalOptions()
    .action(action(async (source, target, releases, opts) => {
      const config = await loadPromoteConfig(resolve(ctx.cwd, opts.config), ctx.display);
      if (opts.history) return await showHistory(ctx, config, opts.history, opts.output);
      if (opts.rollback) {
        const names = [source, target, ...releases].filter((x): x is string => !!x);
        return await rollback(ctx, config, opts.rollback, names, opts.output);
      }
      if (!source || !target) {
        throw new FastcsError("promote needs a source and a target environment", {
          code: "usage",
          exitCode: ExitCode.usage,
          hint: `e.g. helm fastcs promote staging prod (environments in ${ctx.display(config.file)}: ${
            [...config.environments.keys()].join(", ")
          }); helm fastcs promote history ENV lists what was promoted`,
        });
      }
      const retries = Number(opts.testRetries);
      if (!/^\d+$/.test(opts.testRetries) || retries > 100) {
        throw new FastcsError(
          `--test-retries takes a whole number from 0 to 100, not "${opts.testRetries}"`,
          {
            code: "usage",
            exitCode: ExitCode.usage,
          },
        );
      }
      const retryDelayMs = goDuration("--test-retry-delay", opts.testRetryDelay);
      if (opts.testTimeout !== undefined) goDuration("--test-timeout", opts.testTimeout);
      const from = environment(config, source, ctx.display);
      const to = environment(config, target, ctx.display);
      const scope = scopeOf(config, releases, opts, ctx.display);
      const mode: PromotionMode = opts.diffOnly ? "diff" : opts.dryRun ? "dry-run" : "apply";
      const services = folderServices(from, to, scope, !!opts.cosignVerify);
      if (services) {
        return await promoteGitops(ctx, config, from, to, services, {
          mode,
          commit: opts.commit ?? false,
          yes: opts.yes ?? false,
          output: opts.output,
        });
      }
      return await promoteCluster(ctx, config, from, to, scope, {
        mode,
        stopOnFailure: opts.stopOnFailure ?? false,
        yes: opts.yes ?? false,
        force: opts.force ?? false,
        showSecrets: opts.showSecrets ?? false,
        recover: opts.recover ?? false,
        deleteSource: opts.deleteSource ?? false,
        tests: {
          retries,
          retryDelayMs,
          timeout: opts.testTimeout,
          onFailure: opts.onTestFailure,
        },
        plainHttp: opts.plainHttp,
        verify: opts.cosignVerify
          ? {
            publicKey: keyReference(opts.cosignVerify, ctx.cwd),
            shown: opts.cosignVerify,
            tlog: opts.cosignTlog === "true",
          }
          : undefined,
        output: opts.output,
      });
    }));

  // `promote --config F history ENV`: options given before the subcommand are promote's, and count for
  // the subcommand unless it has its own.
  function inherited<K extends "config" | "output">(
    sub: { getOptionValueSource(key: string): string | undefined; getOptionValue(key: string): unknown },
    key: K,
  ): K extends "output" ? Output : string {
    return (sub.getOptionValueSource(key) === "cli"
      ? sub.getOptionValue(key)
      : promote.getOptionValue(key)) as K extends "output" ? Output : string;
  }

  promote
    .command("history")
    .description("list the promotions recorded in an environment's releases (their Helm history)")
    .argument("<env>", "the environment (as named in the project file)")
    .option(...configOption)
    .addOption(outputOption())
    .helpOption("-h, --help", "show help")
    .action(action(async (env, _opts, history) => {
      const config = await loadPromoteConfig(resolve(ctx.cwd, inherited(history, "config")), ctx.display);
      return await showHistory(ctx, config, env, inherited(history, "output"));
    }));

  promote
    .command("rollback")
    .description("return an environment's releases (all, or those named) to their previous promoted revision")
    .argument("<env>", "the environment (as named in the project file)")
    .argument("[releases...]", "releases of the environment (default: every release with a promotion)")
    .option(...configOption)
    .addOption(outputOption())
    .helpOption("-h, --help", "show help")
    .action(action(async (env, releases, _opts, rollbackCommand) => {
      const config = await loadPromoteConfig(
        resolve(ctx.cwd, inherited(rollbackCommand, "config")),
        ctx.display,
      );
      return await rollback(ctx, config, env, releases, inherited(rollbackCommand, "output"));
    }));
}

async function showHistory(ctx: Context, config: PromoteConfig, name: string, output: Output) {
  const env = environment(config, name, ctx.display);
  const records = await environmentHistory(ctx, env);
  if (output === "json") ctx.log.emit(records);
  else {
    if (records.length === 0) ctx.log.info(`no promotions recorded in ${env.name}`);
    for (const r of records) {
      ctx.log.out(`${r.release}  revision ${r.revision}  ${r.updated}  ${r.status}  ${r.description}`);
    }
  }
  return ExitCode.ok;
}

async function rollback(
  ctx: Context,
  config: PromoteConfig,
  name: string,
  releases: string[],
  output: Output,
) {
  const env = environment(config, name, ctx.display);
  const rolledBack = await rollbackEnvironment(ctx, env, releases, config.timeout, (release, revision) => {
    if (output !== "json") ctx.log.out(`${release}: rolled back to revision ${revision}`);
  });
  if (output === "json") ctx.log.emit({ rolledBack });
  return ExitCode.ok;
}

async function promoteCluster(
  ctx: Context,
  config: PromoteConfig,
  from: Environment,
  to: Environment,
  scope: ReleaseScope,
  o: {
    mode: PromotionMode;
    stopOnFailure: boolean;
    yes: boolean;
    force: boolean;
    showSecrets: boolean;
    recover: boolean;
    deleteSource: boolean;
    tests: PromotionTests;
    plainHttp?: boolean;
    verify?: SignatureCheck;
    output: Output;
  },
) {
  const done = await promoteClusters(ctx, config, from, to, {
    scope,
    mode: o.mode,
    stopOnFailure: o.stopOnFailure,
    force: o.force,
    showSecrets: o.showSecrets,
    recover: o.recover,
    deleteSource: o.deleteSource,
    tests: o.tests,
    transport: { plainHttp: o.plainHttp },
    verify: o.verify,
  }, {
    show: (plans, chosen) => {
      if (o.output === "json") return;
      for (const p of plans) for (const line of planLines(p, o.deleteSource)) ctx.log.out(line);
      // Several releases: the order they go in, last before the question.
      if (chosen) { for (const line of orderLines(plans, chosen, o.stopOnFailure)) ctx.log.out(line); }
    },
    confirmDeletion: (promoted) =>
      confirmIn(
        ctx,
        from,
        `${to.name} runs them now: delete ${promoted.length} source release(s) (${
          promoted.map((p) => p.source.release).join(", ")
        }) from`,
        o.yes,
        "deleting releases in",
      ),
    confirm: (changed) => {
      const installs = changed.filter((p) => p.action === "install").length;
      return confirmIn(
        ctx,
        to,
        `Promote ${changed.length} release(s)${
          installs > 0 ? ` (${installs} of them a first install)` : ""
        } to`,
        o.yes,
      );
    },
    confirmRecovery: (stuck) => {
      if (o.output !== "json") { for (const st of stuck) ctx.log.out(stuckLine(to.name, st)); }
      return confirmIn(
        ctx,
        to,
        `Recover ${stuck.length} stuck release(s) (no helm may still be working on them) in`,
        o.yes,
        "recovering releases in",
      );
    },
  });
  // Under -o json, stdout holds one JSON document (see clusterDocument); the text says the same in lines.
  if (o.output === "json") ctx.log.emit(clusterDocument(done));
  else {
    for (const r of done.recovered) ctx.log.out(recoveredLine(r));
    for (const d of done.deletedSources) ctx.log.out(deletionLine(d));
  }
  const deletionFailed = done.deletedSources.some((d) => !d.deleted);
  const changed = done.plans.filter((p) => p.diff.changes.length > 0).length;
  switch (done.stage) {
    case "unchanged":
      ctx.log.info(`no changes: ${to.name} already runs what ${from.name} runs`);
      return deletionFailed ? ExitCode.environment : ExitCode.ok;
    case "diff":
      return ExitCode.changes;
    case "dry-run":
      ctx.log.info(
        `dry run: ${changed} release(s) would be promoted to ${to.name}${
          o.deleteSource ? ` and then deleted from ${from.name} (after a question)` : ""
        }; nothing changed`,
      );
      return ExitCode.ok;
    case "declined":
      return ExitCode.refused;
  }
  const results = done.results ?? [];
  if (o.output !== "json") { for (const r of results) ctx.log.out(resultLine(r)); }
  if (results.length > 1) ctx.log.info(`${to.name}: ${countResults(results)}`);
  return anyFailed(results)
    ? ExitCode.promoteFailed
    : done.interrupted
    ? ExitCode.interrupted
    : deletionFailed
    ? ExitCode.environment
    : ExitCode.ok;
}

async function promoteGitops(
  ctx: Context,
  config: PromoteConfig,
  from: Environment,
  to: Environment,
  services: string[],
  o: { mode: PromotionMode; commit: boolean; yes: boolean; output: Output },
) {
  const done = await promoteFolders(ctx, config, from, to, { services, mode: o.mode, commit: o.commit }, {
    show: (plans) => {
      if (o.output === "json") return ctx.log.emit(folderDocument(plans, ctx.display));
      for (const line of folderLines(from.name, to.name, plans)) ctx.log.out(line);
    },
    // Until now GitOps promotions were written without asking (the commit is the review): kept so.
    confirm: () => Promise.resolve(true),
  });
  switch (done.stage) {
    case "unchanged":
      ctx.log.info(`no changes: ${to.name} already matches ${from.name}`);
      return ExitCode.ok;
    case "diff":
      return ExitCode.changes;
    case "dry-run":
      ctx.log.info(
        `dry run: ${
          done.plans.filter((p) => p.files.length > 0).length
        } service folder(s) of ${to.name} would change; nothing written`,
      );
      return ExitCode.ok;
    case "declined":
      return ExitCode.refused;
  }
  ctx.log.info(`${done.written.length} file(s) rewritten in ${to.name}`);
  if (done.committed) ctx.log.info(`committed: ${done.committed}`);
  return ExitCode.ok;
}
