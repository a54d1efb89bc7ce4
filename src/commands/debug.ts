// `helm fastcs debug RELEASE`: flags, output and the foreground wait; the work is in src/debug/.
import { join, resolve } from "node:path";
import { createKubectl, describeTarget, kubeTarget } from "../adapters/kube.ts";
import { type Command, Option } from "../deps/cli.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { findOnPath } from "../runtime/fs.ts";
import { mergeLaunchJson } from "../debug/launch_json.ts";
import { type DebugOptions, prepareDebug, runDebug } from "../debug/session.ts";

function shellQuote(args: string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'"'"'`)}'`)).join(" ");
}

/** Registers `debug` on the program. */
export function registerDebug(program: Command, ctx: Context, setExit: (code: number) => void) {
  program
    .command("debug")
    .description(
      "debug a running fastcs release with debugpy: launch the program under it (autostart: false) or attach to it, forward the port, print a VS Code attach configuration",
    )
    .argument("<release>", "the release (in Helm's namespace and kube context: -n, --kube-context)")
    .option("--port <port>", "local port for the debug adapter (default: a free one)", (v) => Number(v))
    .option("--pid <pid>", "process to attach to when autostart is true", (v) => Number(v), 1)
    .option("--timeout <seconds>", "how long to wait for the pod and for debugpy", (v) => Number(v), 120)
    .option("--container <name>", "the container of the program", "fastcs")
    .option("--values-key <key>", "key of the fastcs values when the release has several fastcs sub-charts")
    .option(
      "--local-root <dir>",
      "local folder of the source, for pathMappings (default: the working directory)",
    )
    .option(
      "--remote-root <dir>",
      "folder of the source in the container (default: /workspaces/<local folder name> when editable, else /)",
    )
    .option(
      "--write-launch [file]",
      "add the attach configuration to a VS Code launch.json (default .vscode/launch.json)",
    )
    .option("--no-mount", "do not mount the editable PVC with pv-mounter")
    .option("--no-editor", "do not open VS Code")
    .option("--dry-run", "find the release and its pod, then print the commands a real run would start")
    .addOption(
      new Option("-o, --output <format>", "output format").choices(["text", "json"] as const).default(
        "text" as const,
      ),
    )
    .helpOption("-h, --help", "show help")
    .action(async (release, opts) => {
      for (
        const [flag, n] of [["--port", opts.port], ["--pid", opts.pid], ["--timeout", opts.timeout]] as const
      ) {
        if (n !== undefined && (!Number.isInteger(n) || n < (flag === "--timeout" ? 1 : 0))) {
          throw new FastcsError(`${flag} takes a whole number`, { code: "usage", exitCode: ExitCode.usage });
        }
      }
      const target = kubeTarget(ctx.env);
      const kubectl = createKubectl(ctx.run, ctx.start, target, ctx.cwd);
      const options: DebugOptions = {
        release,
        valuesKey: opts.valuesKey,
        localPort: opts.port,
        pid: opts.pid,
        timeoutMs: opts.timeout * 1000,
        localRoot: resolve(ctx.cwd, opts.localRoot ?? "."),
        remoteRoot: opts.remoteRoot,
        container: opts.container,
      };
      const plan = await prepareDebug(ctx, kubectl, target, options);
      if (opts.dryRun) {
        if (opts.output === "json") {
          ctx.log.out(JSON.stringify({ ...plan.facts, commands: plan.commands }, null, 2));
        } else for (const c of plan.commands) ctx.log.out(shellQuote(c));
        return;
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
          const pvc = `${release}-develop`;
          if (await findOnPath("pv-mounter")) {
            const dir = await Deno.makeTempDir({ prefix: `${release}-develop-` });
            const r = await ctx.run("pv-mounter", ["mount", target.namespace, pvc, dir], { cwd: ctx.cwd });
            if (r.code === 0) {
              cleanups.push(async () => {
                await ctx.run("pv-mounter", ["clean", target.namespace, pvc, dir], { cwd: ctx.cwd });
              });
              ctx.log.info(`PVC ${pvc} mounted at ${dir}`);
              if (opts.editor && await findOnPath("code")) {
                await ctx.run("code", [join(dir, "workspaces")], { cwd: ctx.cwd });
              }
            } else ctx.log.warn(`pv-mounter could not mount PVC ${pvc}: ${r.stderr.trim()}`);
          } else {
            ctx.log.info(
              `To edit the source in PVC ${pvc} locally, install pv-mounter (kubectl krew install pv-mounter); then rerun.`,
            );
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
        if (opts.output === "json") ctx.log.out(JSON.stringify(facts));
        else {
          ctx.log.out(
            `debugpy is ready: release ${release} in ${
              describeTarget(target)
            }, pod ${facts.pod}, container ${facts.container}, ${facts.mode} mode`,
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
        if (code !== 0) setExit(ExitCode.programFailed);
      } finally {
        unregister();
        await stopAll();
      }
    });
}
