// `helm fastcs debug RELEASE`: flags, output and the foreground wait; the work is in src/debug/.
import { resolve } from "node:path";
import { adaptersOf } from "../adapters/factory.ts";
import { describeTarget, kubeTarget } from "../adapters/kube.ts";
import type { Command } from "../deps/cli.ts";
import { action, outputOption } from "./wiring.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { mergeLaunchJson, withPathMapping } from "../debug/launch_json.ts";
import { type DebugOptions, prepareDebug, runDebug } from "../debug/session.ts";
import { mountWorkspace } from "../debug/workspace.ts";

function shellQuote(args: string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'"'"'`)}'`)).join(" ");
}

/** Registers `debug` on the program. */
export function registerDebug(program: Command, ctx: Context) {
  program
    .command("debug")
    .description(
      "debug a Python program of a Helm release with debugpy: attach to its running process (or launch it, fastcs chart with autostart: false), forward the port, print a VS Code attach configuration",
    )
    .argument("<release>", "the release (in Helm's namespace and kube context: -n, --kube-context)")
    .option("--port <port>", "local port for the debug adapter (default: a free one)", (v) => Number(v))
    .option(
      "--pid <pid>",
      "the process to attach to (default: the only Python process in the container; several are listed)",
      (v) => Number(v),
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
      "local folder of the source, for pathMappings (default: the mounted editable PVC's project folder, else the working directory)",
    )
    .option(
      "--remote-root <dir>",
      "folder of the source in the container (default: /workspaces/<local folder name> when editable, /workspaces with the PVC mounted, else the working folder of the process)",
    )
    .option(
      "--write-launch [file]",
      "add the attach configuration to a VS Code launch.json (default .vscode/launch.json)",
    )
    .option("--no-mount", "do not mount the editable PVC with pv-mounter")
    .option("--no-editor", "do not open VS Code")
    .option("--dry-run", "find the release and its pod, then print the commands a real run would start")
    .addOption(outputOption())
    .helpOption("-h, --help", "show help")
    .action(action(async (release, opts) => {
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
      const options: DebugOptions = {
        release,
        valuesKey: opts.valuesKey,
        workload: opts.workload,
        localPort: opts.port,
        remotePort: opts.remotePort,
        pid: opts.pid,
        timeoutMs: opts.timeout * 1000,
        localRoot: resolve(ctx.cwd, opts.localRoot ?? "."),
        remoteRoot: opts.remoteRoot,
        container: opts.container,
        pod: opts.pod,
      };
      const plan = await prepareDebug(ctx, adapters.releaseHelm(target), kubectl, options);
      if (opts.dryRun) {
        if (opts.output === "json") {
          ctx.log.emit({ ...plan.facts, commands: plan.commands });
        } else for (const c of plan.commands) ctx.log.out(shellQuote(c));
        return ExitCode.ok;
      }
      const session = await runDebug(ctx, kubectl, plan, options);
      const cleanups: (() => Promise<void>)[] = [session.stop];
      const stopAll = async () => {
        for (const c of cleanups.reverse()) await c().catch((e) => ctx.log.error(String(e)));
      };
      const unregister = ctx.onInterrupt(async () => {
        ctx.log.info("stopping: port-forward, debugpy, mounts...");
        await stopAll();
      });
      try {
        const { facts } = session;
        if (facts.editable && opts.mount) {
          const workspace = await mountWorkspace(ctx, adapters, target, release, { editor: opts.editor });
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
          await mergeLaunchJson(file, facts.attachConfiguration);
          ctx.log.info(`attach configuration written to ${file}`);
        }
        if (opts.output === "json") ctx.log.emit(facts);
        else {
          ctx.log.out(
            `debugpy is ready: release ${release} in ${
              describeTarget(target)
            }, ${facts.workload}, pod ${facts.pod}, ` +
              `container ${facts.container}, ${facts.mode} mode${
                facts.pid !== undefined ? ` (PID ${facts.pid})` : ""
              }`,
          );
          ctx.log.out(
            `attach to 127.0.0.1:${facts.localPort} with this VS Code configuration (launch.json):`,
          );
          ctx.log.out(JSON.stringify(facts.attachConfiguration, null, 2));
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
}
