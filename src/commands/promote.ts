// `helm fastcs promote` and its `history` and `rollback` subcommands: flags, the diff shown to people,
// confirmation, output; the flows are in src/promote/flows.ts.
import { resolve } from "node:path";
import { type Command, Option } from "../deps/cli.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { type Environment, environment, loadPromoteConfig, type PromoteConfig } from "../promote/config.ts";
import {
  environmentHistory,
  promoteClusters,
  promoteFolders,
  type PromotionMode,
  rollbackEnvironment,
} from "../promote/flows.ts";
import type { FolderPlan } from "../promote/gitops.ts";
import type { ReleasePlan, SignatureCheck } from "../promote/promote.ts";
import { action, outputOption } from "./wiring.ts";
import { keyReference } from "../adapters/cosign.ts";

type Output = "text" | "json";

function describePlan(p: ReleasePlan): string[] {
  const count = (c: string) => p.diff.changes.filter((x) => x.change === c).length;
  return [
    `${p.source.env}/${p.source.release} (revision ${p.source.revision}, ${p.source.chart} ${p.source.version}) -> ` +
    `${p.target.env}/${p.target.release} in namespace ${p.target.namespace}, kube context ${
      p.target.kubeContext ?? "current"
    } ` +
    `(${p.target.revision ? `revision ${p.target.revision}` : "new release"})`,
    `  chart ${p.contentDigest}; promoted keys: ${p.promotedKeys.join(", ") || "none"}`,
    ...(p.verifiedWith
      ? [`  signed: the cosign signature of ${p.digest} verifies with ${p.verifiedWith}`]
      : []),
    `  ${count("added")} added, ${count("changed")} changed, ${
      count("removed")
    } removed, ${p.diff.unchanged} unchanged`,
  ];
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
    .argument("[releases...]", "releases of the source environment (default: all of them)")
    .option(...configOption)
    .option("--diff-only", "show the diff and stop; exit 10 when there are changes, 0 when none")
    .option("--dry-run", "show the diff and what would run; change nothing")
    .option("-y, --yes", "do not ask for confirmation (needed without a terminal)")
    .option(
      "--force",
      "promote even when the source is not deployed, failed its last test, or its chart renders differently",
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
      const from = environment(config, source, ctx.display);
      const to = environment(config, target, ctx.display);
      const mode: PromotionMode = opts.diffOnly ? "diff" : opts.dryRun ? "dry-run" : "apply";
      if (from.path || to.path) {
        if (!from.path || !to.path) {
          throw new FastcsError(
            `environments ${from.name} and ${to.name} must both be folders (GitOps) or both clusters`,
            { code: "promote.mode", exitCode: ExitCode.input },
          );
        }
        if (opts.cosignVerify) {
          throw new FastcsError(
            "--cosign-verify checks the charts a cluster promotion pulls; GitOps folders pull none",
            {
              code: "usage",
              exitCode: ExitCode.usage,
              hint:
                "Verify in the pipeline that deploys the folders (e.g. cosign verify on the chart digests).",
            },
          );
        }
        return await promoteGitops(ctx, config, from, to, releases, {
          mode,
          commit: opts.commit ?? false,
          yes: opts.yes ?? false,
          output: opts.output,
        });
      }
      return await promoteCluster(ctx, config, from, to, releases, {
        mode,
        yes: opts.yes ?? false,
        force: opts.force ?? false,
        showSecrets: opts.showSecrets ?? false,
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

/** Asks for confirmation on stderr (typed environment name for a protected one); false: declined. */
async function confirmPromotion(ctx: Context, to: Environment, count: number, what: string, yes: boolean) {
  if (yes) return true;
  if (!ctx.interactive) {
    throw new FastcsError(`promoting to ${to.name} needs confirmation, and there is no terminal to ask on`, {
      code: "promote.confirm",
      exitCode: ExitCode.refused,
      hint: "Pass --yes (after reviewing the diff, e.g. with --diff-only).",
    });
  }
  const expected = to.protected ? to.name : "yes";
  const answer = await ctx.confirm(
    `Promote ${count} ${what} to ${to.name}${
      to.protected ? " (protected)" : ""
    }? Type "${expected}" to go on:`,
  );
  if (answer?.trim() === expected) return true;
  ctx.log.info("not promoted");
  return false;
}

async function promoteCluster(
  ctx: Context,
  config: PromoteConfig,
  from: Environment,
  to: Environment,
  releases: string[],
  o: {
    mode: PromotionMode;
    yes: boolean;
    force: boolean;
    showSecrets: boolean;
    plainHttp?: boolean;
    verify?: SignatureCheck;
    output: Output;
  },
) {
  const done = await promoteClusters(ctx, config, from, to, {
    releases,
    mode: o.mode,
    force: o.force,
    showSecrets: o.showSecrets,
    transport: { plainHttp: o.plainHttp },
    verify: o.verify,
  }, {
    show: (plans) => {
      if (o.output === "json") return;
      for (const p of plans) {
        for (const line of describePlan(p)) ctx.log.out(line);
        for (const c of p.diff.changes) ctx.log.out(c.patch.trimEnd());
      }
    },
    confirm: (changed) => confirmPromotion(ctx, to, changed.length, "release(s)", o.yes),
  });
  // Under -o json, stdout holds one JSON document: the plans alone when nothing was applied, else the
  // plans and the results together.
  const plans = done.plans.map((p) => ({ ...p, chartFile: undefined }));
  if (o.output === "json") ctx.log.emit(done.results ? { plans, results: done.results } : plans);
  const changed = done.plans.filter((p) => p.diff.changes.length > 0).length;
  switch (done.stage) {
    case "unchanged":
      ctx.log.info(`no changes: ${to.name} already runs what ${from.name} runs`);
      return ExitCode.ok;
    case "diff":
      return ExitCode.changes;
    case "dry-run":
      ctx.log.info(`dry run: ${changed} release(s) would be promoted to ${to.name}; nothing changed`);
      return ExitCode.ok;
    case "declined":
      return ExitCode.refused;
  }
  const results = done.results ?? [];
  if (o.output !== "json") {
    for (const r of results) {
      ctx.log.out(
        `${r.release}: ${r.status}${r.revision ? ` (revision ${r.revision})` : ""}${
          r.error ? `: ${r.error}` : ""
        }`,
      );
    }
  }
  return results.some((r) => r.status === "failed" || r.status === "rolled back")
    ? ExitCode.promoteFailed
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
  const changedOf = (plans: FolderPlan[]) => plans.filter((p) => p.files.length > 0);
  const done = await promoteFolders(ctx, config, from, to, { services, mode: o.mode, commit: o.commit }, {
    show: (plans) => {
      if (o.output === "json") {
        return ctx.log.emit(
          plans.map((p) => ({
            ...p,
            files: p.files.map((f) => ({ path: ctx.display(f.path), patch: f.patch })),
          })),
        );
      }
      for (const p of changedOf(plans)) {
        ctx.log.out(
          `${from.name}/${p.service} -> ${to.name}/${p.service}: ${
            [...p.dependencies, ...p.promotedKeys].join(", ")
          }`,
        );
        for (const f of p.files) ctx.log.out(f.patch.trimEnd());
      }
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
          changedOf(done.plans).length
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
