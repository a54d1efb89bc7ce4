// `helm fastcs debug RELEASE` and its `list` and `clean` subcommands: flags, output, the foreground wait
// and the session record's lifetime; the work is in src/debug/.
import { resolve } from "node:path";
import { adaptersOf } from "../adapters/factory.ts";
import { describeTarget, kubeTarget } from "../adapters/kube.ts";
import type { Command } from "../deps/cli.ts";
import { action, outputOption } from "./wiring.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { mergeLaunchJson, withPathMapping } from "../debug/launch_json.ts";
import { prepareDebug } from "../debug/plan.ts";
import { type DebugOptions, runDebug } from "../debug/session.ts";
import { runDebugWorkers } from "../debug/workers.ts";
import { mountWorkspace } from "../debug/workspace.ts";
import { restoreLivenessProbe } from "../debug/liveness.ts";
import { openRecord, processIdentity, sessionsDir } from "../debug/session_record.ts";
import { type CleanReport, cleanSession, type ListedSession, listSessions } from "../debug/clean.ts";

function shellQuote(args: string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'"'"'`)}'`)).join(" ");
}

/**
 * The argv of `--command`: a JSON list of strings, else the text split at whitespace.
 *
 * @throws FastcsError (exit code 2) when it is empty or a JSON list of something else
 */
function commandLine(text: string): string[] {
  let argv: unknown = text.trim().split(/\s+/).filter(Boolean);
  if (text.trim().startsWith("[")) {
    try {
      argv = JSON.parse(text);
    } catch {
      argv = undefined;
    }
  }
  if (!Array.isArray(argv) || argv.length === 0 || argv.some((a) => typeof a !== "string")) {
    throw new FastcsError(
      `--command takes a command line or a JSON list of strings, not ${JSON.stringify(text)}`,
      {
        code: "usage",
        exitCode: ExitCode.usage,
        hint: `e.g. --command 'python -m mypkg --flag' or --command '["python", "-m", "mypkg", "a b"]'`,
      },
    );
  }
  return argv as string[];
}

/** Registers `debug` with its `list` and `clean` subcommands on the program. */
export function registerDebug(program: Command, ctx: Context) {
  const debug = program
    .command("debug")
    .description(
      "debug a Python program of a Helm release with debugpy: attach to its running process (or launch it: the fastcs chart with autostart: false, or --command), forward the port, print a VS Code attach configuration",
    )
    .argument("[release]", "the release (in Helm's namespace and kube context: -n, --kube-context)")
    .option("--release <name>", "the release, when it is named list or clean (which name the subcommands)")
    .option("--port <port>", "local port for the debug adapter (default: a free one)", (v) => Number(v))
    .option(
      "--pid <pid>",
      "the process to attach to (default: the only Python process in the container; several are listed)",
      (v) => Number(v),
    )
    .option(
      "--command <command>",
      "launch this program under debugpy in the container instead of attaching, in any release: a command line such as 'python -m mypkg --flag' (split at spaces) or a JSON list; the container's own processes keep running",
    )
    .option(
      "--all-workers",
      "attach to every worker of a multi-process server (the Python children of a Python parent, e.g. gunicorn's): one debugpy each, on the remote port + 0, 1, …, each with its own port-forward; prints a configuration per worker and a compound one",
    )
    .option(
      "--workload <kind/name>",
      "the workload, when the release has several (StatefulSet/NAME, Deployment/NAME, DaemonSet/NAME, Job/NAME)",
    )
    .option(
      "--remote-port <port>",
      "port of the debug adapter in the pod (default: the fastcs chart's debugPort, else 5678)",
      (v) => Number(v),
    )
    .option("--timeout <seconds>", "how long to wait for the pod and for debugpy", (v) => Number(v), 120)
    .option(
      "--container <name>",
      "the container of the program (default: the pod's default-container annotation, else its only container)",
    )
    .option("--pod <name>", "the pod, when the release has several (default: the first Ready one)")
    .option("--values-key <key>", "key of the fastcs values when the release has several fastcs sub-charts")
    .option(
      "--local-root <dir>",
      "local folder of the source, for pathMappings; for an installed package its src/<package> or <package> folder when it has one (default: the mounted editable PVC's project folder, else the working directory)",
    )
    .option(
      "--remote-root <dir>",
      "folder of the source in the container (default: the installed package's folder in site-packages, or /workspaces/<project>, found from the process; else /workspaces/<local folder name> when editable, /workspaces with the PVC mounted, else the working folder of the process)",
    )
    .option(
      "--write-launch [file]",
      "add the attach configuration to a VS Code launch.json (default .vscode/launch.json)",
    )
    .option(
      "--lift-liveness-probe",
      "take the container's liveness probe out of its workload for the session, so a paused program is not restarted (costs a rollout at the start and at the end)",
    )
    .option("--no-mount", "do not mount the editable PVC with pv-mounter")
    .option("--no-editor", "do not open VS Code")
    .option("--dry-run", "find the release and its pod, then print the commands a real run would start")
    .addOption(outputOption())
    .helpOption("-h, --help", "show help")
    // Options after `list`/`clean` are theirs (their own -o), not debug's.
    .enablePositionalOptions()
    .action(action(async (positional, opts) => {
      const release = opts.release ?? positional;
      if (release === undefined || (opts.release !== undefined && positional !== undefined)) {
        throw new FastcsError(
          release === undefined ? "debug needs a release" : "give the release once: as argument or --release",
          {
            code: "usage",
            exitCode: ExitCode.usage,
            hint:
              "helm fastcs debug RELEASE (--release NAME for a release named list or clean); helm fastcs debug list; helm fastcs debug clean [RELEASE]",
          },
        );
      }
      for (
        const [flag, n] of [
          ["--port", opts.port],
          ["--remote-port", opts.remotePort],
          ["--pid", opts.pid],
          ["--timeout", opts.timeout],
        ] as const
      ) {
        if (n !== undefined && (!Number.isInteger(n) || n < (flag === "--timeout" ? 1 : 0))) {
          throw new FastcsError(`${flag} takes a whole number`, { code: "usage", exitCode: ExitCode.usage });
        }
      }
      const target = kubeTarget(ctx.env);
      const adapters = adaptersOf(ctx);
      const kubectl = adapters.kubectl(target);
      // The session's record under Helm's cache home: written as things start, removed once all is ended.
      const self = await processIdentity(ctx.run, Deno.pid);
      const record = openRecord(sessionsDir(ctx.env), {
        release,
        namespace: target.namespace,
        ...(target.context ? { kubeContext: target.context } : {}),
        ...(target.kubeconfig ? { kubeconfig: target.kubeconfig } : {}),
        plugin: {
          pid: Deno.pid,
          argv: !self
            ? []
            : "argv" in self
            ? self.argv
            : "line" in self
            ? self.line.split(" ")
            : [self.image],
        },
      });
      const cleanups: (() => Promise<void>)[] = [];
      let failed = false;
      const stopAll = async () => {
        for (const c of cleanups.splice(0).reverse()) {
          await c().catch((e) => {
            failed = true;
            ctx.log.error(String(e?.message ?? e));
          });
        }
        if (!failed) await record.remove();
        else ctx.log.info(`the session's record is kept: helm fastcs debug clean ${release} tries again`);
      };
      const unregister = ctx.onInterrupt(async () => {
        ctx.log.info("stopping: port-forward, debugpy, mounts, lifted probe...");
        await stopAll();
      });
      const options: DebugOptions = {
        release,
        valuesKey: opts.valuesKey,
        workload: opts.workload,
        localPort: opts.port,
        remotePort: opts.remotePort,
        pid: opts.pid,
        allWorkers: opts.allWorkers,
        command: opts.command === undefined ? undefined : commandLine(opts.command),
        timeoutMs: opts.timeout * 1000,
        localRoot: resolve(ctx.cwd, opts.localRoot ?? "."),
        remoteRoot: opts.remoteRoot,
        container: opts.container,
        pod: opts.pod,
        lift: opts.liftLivenessProbe
          ? {
            dryRun: opts.dryRun ?? false,
            lifting: async (lifted) => {
              await record.update({ liftedLivenessProbe: lifted });
              cleanups.push(async () => {
                const done = await restoreLivenessProbe(kubectl, lifted);
                ctx.log.info(
                  done === "restored"
                    ? `liveness probe of container ${lifted.container} restored in ${lifted.workload} (it rolls out new pods)`
                    : done === "already"
                    ? `${lifted.workload} has a liveness probe again (a helm upgrade?): left as it is`
                    : `${lifted.workload} is gone: no liveness probe to restore`,
                );
              });
            },
          }
          : undefined,
        record: (patch) => record.update(patch),
      };
      try {
        const plan = await prepareDebug(ctx, adapters.releaseHelm(target), kubectl, options);
        if (opts.dryRun) {
          await plan.mapped;
          if (opts.output === "json") {
            ctx.log.emit({ ...plan.facts, commands: plan.commands });
          } else for (const c of plan.commands) ctx.log.out(shellQuote(c));
          return ExitCode.ok;
        }
        const session = plan.facts.workers
          ? await runDebugWorkers(ctx, kubectl, plan, options)
          : await runDebug(ctx, kubectl, plan, options);
        cleanups.push(session.stop);
        const { facts } = session;
        if (facts.editable && opts.mount) {
          const workspace = await mountWorkspace(ctx, adapters, target, release, {
            editor: opts.editor,
            // Recorded before pv-mounter starts: a plugin killed while it mounts leaves what debug clean needs.
            recording: (mount) => record.update({ mount }),
          });
          if (workspace) {
            cleanups.push(workspace.unmount);
            // The PVC's workspaces folder is what the container mounts over /workspaces: map one onto the other.
            if (opts.localRoot === undefined && opts.remoteRoot === undefined) {
              facts.attachConfiguration = withPathMapping(
                facts.attachConfiguration,
                workspace.projectRoot,
                "/workspaces",
              );
            }
          }
        }
        if (opts.writeLaunch) {
          const file = resolve(
            ctx.cwd,
            typeof opts.writeLaunch === "string" ? opts.writeLaunch : ".vscode/launch.json",
          );
          await mergeLaunchJson(
            file,
            facts.workers ? facts.workers.map((w) => w.attachConfiguration) : facts.attachConfiguration,
            facts.compound,
          );
          ctx.log.info(`attach configuration written to ${file}`);
        }
        if (opts.output === "json") ctx.log.emit(facts);
        else {
          ctx.log.out(
            `debugpy is ready: release ${release} in ${
              describeTarget(target)
            }, ${facts.workload}, pod ${facts.pod}, ` +
              `container ${facts.container}, ${facts.mode} mode${
                facts.workers
                  ? ` (${facts.workers.length} workers)`
                  : facts.pid !== undefined
                  ? ` (PID ${facts.pid})`
                  : ""
              }`,
          );
          if (facts.workers) {
            for (const w of facts.workers) {
              ctx.log.out(
                `worker PID ${w.pid}: attach to 127.0.0.1:${w.localPort} (port ${w.remotePort} in the pod)`,
              );
            }
            ctx.log.out("with these VS Code configurations and their compound (launch.json):");
            ctx.log.out(
              JSON.stringify(
                {
                  configurations: facts.workers.map((w) => w.attachConfiguration),
                  compounds: [facts.compound],
                },
                null,
                2,
              ),
            );
          } else {
            ctx.log.out(
              `attach to 127.0.0.1:${facts.localPort} with this VS Code configuration (launch.json):`,
            );
            ctx.log.out(JSON.stringify(facts.attachConfiguration, null, 2));
          }
          ctx.log.info(
            facts.mode === "launch"
              ? "The program starts when the debugger attaches. Ctrl+C ends the session."
              : "Ctrl+C ends the session.",
          );
        }
        const code = await session.ended;
        ctx.log.info(`the program ended (exit code ${code})`);
        // The program's own code would read as one of ours (5 looks like "bad input"): one code says it failed.
        return code === 0 ? ExitCode.ok : ExitCode.programFailed;
      } finally {
        unregister();
        await stopAll();
      }
    }));

  debug
    .command("list")
    .description(
      "list the recorded debug sessions: live ones, and stale ones (their plugin process is gone) with what they left",
    )
    .addOption(outputOption())
    .helpOption("-h, --help", "show help")
    .action(action(async (opts) => {
      const sessions = await listSessions(ctx);
      if (opts.output === "json") ctx.log.emit(sessions.map(sessionJson));
      else {
        if (sessions.length === 0) ctx.log.info("no debug sessions recorded");
        for (const s of sessions) for (const line of describeSession(s)) ctx.log.out(line);
      }
      return ExitCode.ok;
    }));

  debug
    .command("clean")
    .description(
      "end what stale debug sessions (all, or RELEASE's) left: local port-forwards, the launched debugpy in the pod, pv-mounter mounts, lifted liveness probes; never a live session's, never anything not recorded",
    )
    .argument("[release]", "only the sessions of this release")
    .addOption(outputOption())
    .helpOption("-h, --help", "show help")
    .action(action(async (release, opts) => {
      const sessions = await listSessions(ctx, release);
      const adapters = adaptersOf(ctx);
      const reports: CleanReport[] = [];
      for (const s of sessions) {
        if (s.state === "live") {
          ctx.log.info(
            `session ${s.record.id} is live (PID ${s.record.plugin.pid}): left alone; Ctrl+C in its terminal ends it`,
          );
          continue;
        }
        const report = await cleanSession(ctx, adapters, s.record);
        reports.push(report);
        if (opts.output !== "json") {
          ctx.log.out(`${report.id}: ${report.removed ? "cleaned" : "not all cleaned (record kept)"}`);
          for (const step of report.steps) {
            ctx.log.out(`  ${step.what}: ${step.result}${step.detail ? ` (${step.detail})` : ""}`);
          }
        }
      }
      if (opts.output === "json") ctx.log.emit({ cleaned: reports });
      else if (reports.length === 0) {
        ctx.log.info(`no stale debug sessions${release ? ` of release ${release}` : ""}`);
      }
      return reports.every((r) => r.removed) ? ExitCode.ok : ExitCode.environment;
    }));
}

/** A listed session as `debug list -o json` prints it: its state and its record. */
function sessionJson(s: ListedSession) {
  return { state: s.state, ...s.record };
}

/** Lines of `debug list` for one session. */
function describeSession(s: ListedSession): string[] {
  const r = s.record;
  const held = [
    r.portForward &&
    `kubectl port-forward PID ${r.portForward.pid} (127.0.0.1:${r.localPort} -> ${r.remotePort})`,
    ...(r.workers ?? []).map((w) =>
      w.portForward &&
      `kubectl port-forward PID ${w.portForward.pid} to worker PID ${w.pid} (127.0.0.1:${w.localPort} -> ${w.remotePort})`
    ),
    r.exec && `kubectl exec PID ${r.exec.pid}`,
    r.debugpy && `debugpy in the pod${r.debugpy.pid ? ` (PID ${r.debugpy.pid} there)` : ""}`,
    r.mount && `PVC ${r.mount.pvc} mounted at ${r.mount.dir}`,
    r.liftedLivenessProbe &&
    `liveness probe of container ${r.liftedLivenessProbe.container} lifted from ${r.liftedLivenessProbe.workload}`,
  ].filter((x): x is string => !!x);
  return [
    `${r.id}  ${s.state}  release ${r.release} in namespace ${r.namespace} (kube context ${
      r.kubeContext ?? "current"
    }), pod ${r.pod ?? "-"}, container ${r.container ?? "-"}, started ${r.startedAt} by PID ${r.plugin.pid}`,
    ...held.map((h) => `  ${h}`),
  ];
}
