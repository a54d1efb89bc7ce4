// `helm fastcs promote`: flags, the diff shown to people, confirmation, output; the work is in
// src/promote/.
import { dirname, resolve } from "node:path";
import { createHelm } from "../adapters/helm.ts";
import { createReleaseHelm } from "../adapters/helm_release.ts";
import { createKubectl } from "../adapters/kube.ts";
import { type Command, Option } from "../deps/cli.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { displayPath } from "../runtime/fs.ts";
import { type Environment, environment, loadPromoteConfig } from "../promote/config.ts";
import { promotionHistory, rollbackPromotion } from "../promote/history.ts";
import { applyPromotion, planPromotion, type ReleasePlan } from "../promote/promote.ts";
import { commitMessage, planGitops, writeGitops } from "../promote/gitops.ts";

function describePlan(p: ReleasePlan): string[] {
  const count = (c: string) => p.diff.changes.filter((x) => x.change === c).length;
  return [
    `${p.source.env}/${p.source.release} (revision ${p.source.revision}, ${p.source.chart} ${p.source.version}) -> ` +
    `${p.target.env}/${p.target.release} in namespace ${p.target.namespace}, kube context ${
      p.target.kubeContext ?? "current"
    } ` +
    `(${p.target.revision ? `revision ${p.target.revision}` : "new release"})`,
    `  chart ${p.contentDigest}; promoted keys: ${p.promotedKeys.join(", ") || "none"}`,
    `  ${count("added")} added, ${count("changed")} changed, ${
      count("removed")
    } removed, ${p.diff.unchanged} unchanged`,
  ];
}

/** Registers `promote` on the program. */
export function registerPromote(program: Command, ctx: Context, setExit: (code: number) => void) {
  program
    .command("promote")
    .description(
      "promote what runs in one environment to another: the same chart and digest, the target's own values plus the promoted keys, a diff first, confirmation, rollback on failure, a record",
    )
    .argument("[source]", "environment to promote from (as named in the project file)")
    .argument("[target]", "environment to promote to")
    .argument("[releases...]", "releases of the source environment (default: all of them)")
    .option("--config <file>", "project file declaring the environments", "fastcs.yaml")
    .option("--diff-only", "show the diff and stop; exit 10 when there are changes, 0 when none")
    .option("--dry-run", "show the diff and what would run; change nothing")
    .option("-y, --yes", "do not ask for confirmation (needed without a terminal)")
    .option(
      "--force",
      "promote even when the source is not deployed, failed its last test, or its chart renders differently",
    )
    .option("--show-secrets", "show Secret values in the diff (redacted by default)")
    .option("--plain-http", "pull charts from the registry over HTTP")
    .option("--commit", "GitOps mode: commit the rewritten files with a message recording the promotion")
    .option("--history <env>", "list the promotions recorded in an environment's releases")
    .option(
      "--rollback <env>",
      "return the environment's releases (or those named) to their previous promoted revision",
    )
    .addOption(
      new Option("-o, --output <format>", "output format").choices(["text", "json"] as const).default(
        "text" as const,
      ),
    )
    .helpOption("-h, --help", "show help")
    .action(async (source, target, releases, opts) => {
      const display = (p: string) => displayPath(ctx.cwd, p);
      const config = await loadPromoteConfig(resolve(ctx.cwd, opts.config), display);
      const helmBin = ctx.env.helmBin;
      const helm = createHelm(ctx.run, helmBin, ctx.cwd);
      // Helm's -n and --kube-context (HELM_NAMESPACE, HELM_KUBECONTEXT) override the environment acted on.
      const targetOf = (env: Environment) => ({
        context: ctx.env.kubeContext ?? env.kubeContext,
        namespace: ctx.env.namespace ?? env.namespace,
        kubeconfig: ctx.env.kubeconfig,
      });
      // Cluster mode only: GitOps mode needs no helm at all.
      const releaseHelm = async (env: Environment, overrides: boolean) =>
        createReleaseHelm(
          ctx.run,
          helmBin,
          ctx.cwd,
          overrides
            ? targetOf(env)
            : { context: env.kubeContext, namespace: env.namespace, kubeconfig: ctx.env.kubeconfig },
          (await helm.version()).major,
        );

      if (opts.history) {
        const env = environment(config, opts.history, display);
        const records = await promotionHistory(await releaseHelm(env, true), env);
        if (opts.output === "json") ctx.log.out(JSON.stringify(records, null, 2));
        else {
          if (records.length === 0) ctx.log.info(`no promotions recorded in ${env.name}`);
          for (const r of records) {
            ctx.log.out(`${r.release}  revision ${r.revision}  ${r.updated}  ${r.status}  ${r.description}`);
          }
        }
        return;
      }
      if (opts.rollback) {
        const env = environment(config, opts.rollback, display);
        const helmEnv = await releaseHelm(env, true);
        const names = [source, target, ...releases].filter((x): x is string => !!x);
        const all = names.length > 0
          ? names
          : (await promotionHistory(helmEnv, env)).map((r) => r.release).filter((r, i, a) =>
            a.indexOf(r) === i
          );
        const rolledBack = [];
        for (const release of all) {
          const revision = await rollbackPromotion(helmEnv, release, config.timeout);
          rolledBack.push({ release, revision });
          if (opts.output !== "json") ctx.log.out(`${release}: rolled back to revision ${revision}`);
        }
        if (opts.output === "json") ctx.log.out(JSON.stringify({ rolledBack }, null, 2));
        return;
      }
      if (!source || !target) {
        throw new FastcsError("promote needs a source and a target environment", {
          code: "usage",
          exitCode: ExitCode.usage,
          hint: `e.g. helm fastcs promote staging prod (environments in ${display(config.file)}: ${
            [...config.environments.keys()].join(", ")
          })`,
        });
      }
      const from = environment(config, source, display);
      const to = environment(config, target, display);
      if (from.path || to.path) {
        if (!from.path || !to.path) {
          throw new FastcsError(
            `environments ${from.name} and ${to.name} must both be folders (GitOps) or both clusters`,
            {
              code: "promote.mode",
              exitCode: ExitCode.input,
            },
          );
        }
        await promoteGitops(
          ctx,
          from,
          to,
          releases,
          config.keys,
          opts,
          display,
          dirname(config.file),
          setExit,
        );
        return;
      }
      const scratch = await Deno.makeTempDir({ prefix: "helm-fastcs-promote-" });
      try {
        const targetHelm = await releaseHelm(to, true);
        const plans = await planPromotion(
          { ctx, helm, config, scratch },
          { env: from, helm: await releaseHelm(from, false) },
          { env: to, helm: targetHelm },
          {
            releases,
            force: opts.force ?? false,
            showSecrets: opts.showSecrets ?? false,
            transport: { plainHttp: opts.plainHttp },
          },
        );
        const changed = plans.filter((p) => p.diff.changes.length > 0);
        // Under -o json, stdout holds one JSON document: the plans alone when nothing is applied, else the
        // plans and the results together at the end.
        const plansJson = plans.map((p) => ({ ...p, chartFile: undefined }));
        if (opts.output === "json") {
          if (opts.diffOnly || opts.dryRun || changed.length === 0) {
            ctx.log.out(JSON.stringify(plansJson, null, 2));
          }
        } else {
          for (const p of plans) {
            for (const line of describePlan(p)) ctx.log.out(line);
            for (const c of p.diff.changes) ctx.log.out(c.patch.trimEnd());
          }
        }
        if (changed.length === 0) {
          ctx.log.info(`no changes: ${to.name} already runs what ${from.name} runs`);
          return;
        }
        if (opts.diffOnly) {
          setExit(ExitCode.changes);
          return;
        }
        if (opts.dryRun) {
          ctx.log.info(
            `dry run: ${changed.length} release(s) would be promoted to ${to.name}; nothing changed`,
          );
          return;
        }
        if (!opts.yes) {
          if (!ctx.interactive) {
            throw new FastcsError(
              `promoting to ${to.name} needs confirmation, and there is no terminal to ask on`,
              {
                code: "promote.confirm",
                exitCode: ExitCode.refused,
                hint: "Pass --yes (after reviewing the diff, e.g. with --diff-only).",
              },
            );
          }
          const expected = to.protected ? to.name : "yes";
          const answer = await ctx.confirm(
            `Promote ${changed.length} release(s) to ${to.name}${
              to.protected ? " (protected)" : ""
            }? Type "${expected}" to go on:`,
          );
          if (answer?.trim() !== expected) {
            if (opts.output === "json") ctx.log.out(JSON.stringify(plansJson, null, 2));
            ctx.log.info("not promoted");
            setExit(ExitCode.refused);
            return;
          }
        }
        // Helm's --atomic/--rollback-on-failure must finish: Ctrl+C waits for it rather than cutting it.
        let applying: Promise<unknown> = Promise.resolve();
        const unregister = ctx.onInterrupt(async () => {
          ctx.log.info("waiting for helm to finish (it rolls back on failure); Ctrl+C again to stop at once");
          await applying.catch(() => {});
        });
        try {
          applying = applyPromotion(
            ctx,
            targetHelm,
            createKubectl(ctx.run, ctx.start, targetHelm.target, ctx.cwd),
            plans,
            config.timeout,
          );
          const results = await applying as Awaited<ReturnType<typeof applyPromotion>>;
          if (opts.output === "json") ctx.log.out(JSON.stringify({ plans: plansJson, results }, null, 2));
          else {for (const r of results) {
              ctx.log.out(
                `${r.release}: ${r.status}${r.revision ? ` (revision ${r.revision})` : ""}${
                  r.error ? `: ${r.error}` : ""
                }`,
              );
            }}
          if (results.some((r) => r.status === "failed" || r.status === "rolled back")) {
            setExit(ExitCode.promoteFailed);
          }
        } finally {
          unregister();
        }
      } finally {
        await Deno.remove(scratch, { recursive: true }).catch(() => {});
      }
    });
}

async function promoteGitops(
  ctx: Context,
  from: Environment,
  to: Environment,
  services: string[],
  keys: string[],
  opts: { diffOnly?: boolean; dryRun?: boolean; commit?: boolean; output: string },
  display: (p: string) => string,
  repo: string,
  setExit: (code: number) => void,
) {
  const plans = await planGitops(from, to, services, keys, display);
  const changed = plans.filter((p) => p.files.length > 0);
  if (opts.output === "json") {
    ctx.log.out(
      JSON.stringify(
        plans.map((p) => ({ ...p, files: p.files.map((f) => ({ path: display(f.path), patch: f.patch })) })),
        null,
        2,
      ),
    );
  } else {
    for (const p of changed) {
      ctx.log.out(
        `${from.name}/${p.service} -> ${to.name}/${p.service}: ${
          [...p.dependencies, ...p.promotedKeys].join(", ")
        }`,
      );
      for (const f of p.files) ctx.log.out(f.patch.trimEnd());
    }
  }
  if (changed.length === 0) {
    ctx.log.info(`no changes: ${to.name} already matches ${from.name}`);
    return;
  }
  if (opts.diffOnly) return setExit(ExitCode.changes);
  if (opts.dryRun) {
    return ctx.log.info(
      `dry run: ${changed.length} service folder(s) of ${to.name} would change; nothing written`,
    );
  }
  const written = await writeGitops(changed);
  for (const p of changed) {
    if (p.staleLock) {
      ctx.log.warn(`${to.name}/${p.service}/Chart.lock is stale: run helm dependency update there`);
    }
  }
  ctx.log.info(`${written.length} file(s) rewritten in ${to.name}`);
  if (opts.commit) {
    const add = await ctx.run("git", ["add", "--", ...written], { cwd: repo });
    const commit = add.code === 0
      ? await ctx.run("git", [
        "commit",
        "-q",
        "-m",
        commitMessage(from.name, to.name, changed),
        "--",
        ...written,
      ], { cwd: repo })
      : add;
    if (commit.code !== 0) {
      throw new FastcsError(`git commit failed in ${display(repo)}: ${commit.stderr.trim()}`, {
        code: "promote.commit",
        exitCode: ExitCode.environment,
        hint: "The files are rewritten; commit them by hand.",
      });
    }
    ctx.log.info(`committed: ${commitMessage(from.name, to.name, changed).split("\n")[0]}`);
  }
}
