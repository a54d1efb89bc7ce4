// `helm fastcs promote` and its `history` and `rollback` subcommands: flags, the diff shown to people,
// confirmation, output; the flows are in src/promote/flows.ts.
import { resolve } from "node:path";
import { type Command, Option } from "../deps/cli.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import {
  type Environment,
  environment,
  group,
  loadPromoteConfig,
  type PromoteConfig,
} from "../promote/config.ts";
import {
  environmentHistory,
  promoteClusters,
  promoteFolders,
  type PromotionMode,
  rollbackEnvironment,
} from "../promote/flows.ts";
import type { FolderPlan } from "../promote/gitops.ts";
import { FAILED, type PromoteResult } from "../promote/apply.ts";
import type { ReleasePlan } from "../promote/plan.ts";
import type { SignatureCheck } from "../promote/signature.ts";
import type { ReleaseScope } from "../promote/scope.ts";
import { recoveryOf } from "../promote/stuck.ts";
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

function describePlan(p: ReleasePlan): string[] {
  const count = (c: string) => p.diff.changes.filter((x) => x.change === c).length;
  return [
    `${p.source.env}/${p.source.release} (revision ${p.source.revision}, ${p.source.chart} ${p.source.version}) -> ` +
    `${p.target.env}/${p.target.release} in namespace ${p.target.namespace}, kube context ${
      p.target.kubeContext ?? "current"
    }: ` +
    (p.action === "install"
      ? `install (no release ${p.target.release} there yet${
        p.createNamespace ? `; namespace ${p.target.namespace} does not exist: helm creates it` : ""
      })`
      : `upgrade of revision ${p.target.revision}`),
    `  chart ${p.contentDigest}; promoted keys: ${p.promotedKeys.join(", ") || "none"}`,
    ...(p.serverSideRender
      ? [
        "  the chart calls lookup: rendered against each environment's cluster (helm template --dry-run=server)",
      ]
      : []),
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
    .argument(
      "[releases...]",
      "releases of the source environment, promoted in this order (default: all of them)",
    )
    .option(...configOption)
    .option("--all", "every release of the source environment, by name (what naming none means too)")
    .option("--group <name>", "the releases of a group of the project file (groups:), in the group's order")
    .option(
      "-l, --selector <selector>",
      "the releases whose Helm labels match (label selector: team=core, tier!=db, team in (a,b)), by name",
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
        if (scope.kind === "selector") {
          throw new FastcsError("--selector matches the Helm labels of releases; GitOps folders have none", {
            code: "usage",
            exitCode: ExitCode.usage,
            hint: "Name the services, or a --group of the project file.",
          });
        }
        const services = scope.kind === "group"
          ? scope.services
          : scope.kind === "named"
          ? scope.releases
          : [];
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

/**
 * What a promotion covers: the releases named, `--all`, `--group NAME` or `--selector SEL`, at most one of
 * them (exit 2 otherwise); nothing given is all releases, as before `--all` existed.
 *
 * @throws FastcsError exit 2 (more than one given), 5 (an unknown group)
 */
function scopeOf(
  config: PromoteConfig,
  releases: string[],
  opts: { all?: boolean; group?: string; selector?: string },
  display: (p: string) => string,
): ReleaseScope {
  const given = [
    ...(releases.length > 0 ? [`release names (${releases.join(" ")})`] : []),
    ...(opts.all ? ["--all"] : []),
    ...(opts.group !== undefined ? ["--group"] : []),
    ...(opts.selector !== undefined ? ["--selector"] : []),
  ];
  if (given.length > 1) {
    throw new FastcsError(`${given.join(" and ")} each choose the releases to promote: give one of them`, {
      code: "usage",
      exitCode: ExitCode.usage,
      hint: "Name the releases, or --group NAME, or --selector SELECTOR, or --all.",
    });
  }
  if (opts.group !== undefined) {
    return {
      kind: "group",
      name: opts.group,
      services: group(config, opts.group, display),
      file: display(config.file),
    };
  }
  if (opts.selector !== undefined) {
    if (opts.selector.trim() === "") {
      throw new FastcsError("--selector needs a label selector such as team=core", {
        code: "usage",
        exitCode: ExitCode.usage,
      });
    }
    return { kind: "selector", selector: opts.selector };
  }
  return releases.length > 0 ? { kind: "named", releases } : { kind: "all" };
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

/**
 * Asks for confirmation on stderr (typed environment name for a protected one); false: declined.
 * `question` is the sentence before the environment, e.g. "Promote 2 release(s)"; `doing` names the act
 * in messages ("promoting to").
 */
async function confirmIn(
  ctx: Context,
  env: Environment,
  question: string,
  yes: boolean,
  doing = "promoting to",
) {
  if (yes) return true;
  if (!ctx.interactive) {
    throw new FastcsError(`${doing} ${env.name} needs confirmation, and there is no terminal to ask on`, {
      code: "promote.confirm",
      exitCode: ExitCode.refused,
      hint: "Pass --yes (after reviewing the diff, e.g. with --diff-only).",
    });
  }
  const expected = env.protected ? env.name : "yes";
  const answer = await ctx.confirm(
    `${question} ${env.name}${env.protected ? " (protected)" : ""}? Type "${expected}" to go on:`,
  );
  if (answer?.trim() === expected) return true;
  ctx.log.info(`not ${doing.split(" ")[0].replace(/ing$/, "ed")}`);
  return false;
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
      for (const p of plans) {
        for (const line of describePlan(p)) ctx.log.out(line);
        if (o.deleteSource) {
          ctx.log.out(
            `  then (--delete-source, asked once ${p.target.env} runs it): delete ${p.source.env}/${p.source.release}, its history kept`,
          );
        }
        for (const c of p.diff.changes) ctx.log.out(c.patch.trimEnd());
      }
      // Several releases: the order they go in, last before the question.
      if (plans.length > 1 && chosen) {
        ctx.log.out(`promotion order (${chosen.scope}, ${chosen.order}):`);
        for (const [i, p] of plans.entries()) {
          ctx.log.out(
            `  ${i + 1}. ${p.source.release} -> ${p.target.release}: ${
              p.diff.changes.length === 0 ? "unchanged, skipped" : p.action
            }`,
          );
        }
        ctx.log.out(
          o.stopOnFailure
            ? "a release that fails is rolled back, and the ones after it are not attempted (--stop-on-failure)"
            : "a release that fails is rolled back, and the next one goes on (--stop-on-failure stops there)",
        );
      }
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
      if (o.output !== "json") {
        for (const s of stuck) {
          ctx.log.out(
            `${to.name}/${s.release} is stuck: revision ${s.revision} is ${s.status} since ${s.updated}; --recover will ${
              recoveryOf(s)
            }`,
          );
        }
      }
      return confirmIn(
        ctx,
        to,
        `Recover ${stuck.length} stuck release(s) (no helm may still be working on them) in`,
        o.yes,
        "recovering releases in",
      );
    },
  });
  if (o.output !== "json") {
    for (const r of done.recovered) {
      ctx.log.out(
        `${r.release}: recovered from ${r.stuck.status} (revision ${r.stuck.revision}): ${
          r.action === "rolled back" ? `rolled back to revision ${r.revision}` : "uninstalled"
        }`,
      );
    }
  }
  // Under -o json, stdout holds one JSON document: the plans alone when nothing was applied or recovered,
  // else the plans, the results and the recoveries together. Each plan carries its place in the order.
  const plans = done.plans.map((p, i) => ({ ...p, chartFile: undefined, order: i + 1 }));
  if (o.output === "json") {
    ctx.log.emit(
      done.results || done.recovered.length > 0 || done.deletedSources.length > 0
        ? {
          plans,
          results: done.results ?? [],
          interrupted: done.interrupted,
          recovered: done.recovered,
          deletedSources: done.deletedSources,
        }
        : plans,
    );
  }
  if (o.output !== "json") {
    for (const d of done.deletedSources) {
      ctx.log.out(
        d.deleted
          ? `${d.release}: deleted from ${d.env} (helm history ${d.release} keeps "${d.description}")`
          : `${d.release}: not deleted from ${d.env}: ${d.error}`,
      );
    }
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
  if (o.output !== "json") {
    for (const r of results) ctx.log.out(describeResult(r));
  }
  if (results.length > 1) ctx.log.info(`${to.name}: ${countResults(results)}`);
  return results.some((r) => FAILED.includes(r.status))
    ? ExitCode.promoteFailed
    : done.interrupted
    ? ExitCode.interrupted
    : deletionFailed
    ? ExitCode.environment
    : ExitCode.ok;
}

/** One line of the summary: `prod-api: rolled back (revision 3): <helm's error>`. */
function describeResult(r: PromoteResult): string {
  const tests = r.tests?.passed
    ? `; helm test passed${r.tests.attempts > 1 ? ` on attempt ${r.tests.attempts}` : ""}`
    : "";
  if (r.status === "not attempted") {
    return `${r.release}: not attempted (${r.reason}); ${
      r.action === "install" ? "still not installed" : `still at revision ${r.revision}`
    }`;
  }
  return `${r.release}: ${r.status}${r.action === "install" && r.status === "promoted" ? ", installed" : ""}${
    r.revision ? ` (revision ${r.revision})` : ""
  }${tests}${r.error ? `: ${r.error}` : ""}`;
}

/** `2 promoted, 1 rolled back, 1 not attempted (of 4 release(s))`, in the order of first appearance. */
function countResults(results: PromoteResult[]): string {
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return `${[...counts].map(([status, n]) => `${n} ${status}`).join(", ")} (of ${results.length} release(s))`;
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
