// Entry point of `helm fastcs`: parses argv, builds the context, dispatches to a command and maps errors
// to exit codes. This is the only place that exits the process.
import denoJson from "../deno.json" with { type: "json" };
import { Command, CommanderError } from "./deps/cli.ts";
import type { Context } from "./runtime/context.ts";
import { EXIT_CODE_SUMMARY, ExitCode, FastcsError } from "./runtime/errors.ts";
import { readHelmEnv } from "./runtime/helm_env.ts";
import { askOnStderr, createLog } from "./runtime/log.ts";
import { createRunner } from "./runtime/runner.ts";
import { displayPath } from "./runtime/fs.ts";
import { exitCodeOf } from "./commands/wiring.ts";

type Register = (program: Command, ctx: Context) => void;

/** The subcommands, in the order help lists them, each loaded on demand. */
const COMMANDS = {
  schema: async (): Promise<Register> => (await import("./commands/schema.ts")).registerSchema,
  publish: async (): Promise<Register> => (await import("./commands/publish.ts")).registerPublish,
  debug: async (): Promise<Register> => (await import("./commands/debug.ts")).registerDebug,
  promote: async (): Promise<Register> => (await import("./commands/promote.ts")).registerPromote,
};

/** The plugin's version (deno.json and plugin.yaml carry the same one; a test checks it). */
export const VERSION: string = denoJson.version;

/**
 * The program with the subcommands `names` registered (every one by default), in the order help lists
 * them; its output goes through `ctx.log`. Commander errors are thrown (exitOverride), never exited on.
 */
export async function buildProgram(ctx: Context, names: string[] = Object.keys(COMMANDS)): Promise<Command> {
  const program = new Command()
    .name("helm fastcs")
    .description("Chart schemas, releases, promotion and in-cluster debugging for Helm-based service repos.")
    .version(VERSION, "--version", "print the version")
    .helpOption("-h, --help", "show help")
    .showHelpAfterError("(run with --help for usage)")
    // A command's options are its own wherever they stand: they are never read as the program's (and
    // `promote history --config F` gives F to history, not to promote).
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.log.out(s.replace(/\n$/, "")),
      writeErr: (s) => ctx.log.info(s.replace(/\n$/, "")),
      outputError: (s, write) => write(s.replace(/^error: /, "error: ")),
    });
  program.addHelpText(
    "after",
    `\nExit codes: ${Object.entries(EXIT_CODE_SUMMARY).map(([code, text]) => `${code} ${text}`).join(", ")}.`,
  );
  for (const name of names) {
    const register = await COMMANDS[name as keyof typeof COMMANDS]();
    register(program, ctx);
  }
  for (const sub of program.commands) sub.exitOverride();
  for (const sub of program.commands.flatMap((c) => c.commands)) sub.exitOverride();
  return program;
}

/** The hidden subcommand plugin.complete runs for dynamic shell completion (see src/completion/). */
export const COMPLETE_COMMAND = "__complete";

/**
 * Runs the CLI with `argv` (the arguments after `helm fastcs`) and returns the exit code.
 * Never throws: every failure becomes a message on stderr and a documented exit code.
 */
export async function main(argv: string[], ctx: Context): Promise<number> {
  if (argv.length === 1 && argv[0] === "--version") {
    ctx.log.out(VERSION); // what the install hook asks: answered without loading any command
    return ExitCode.ok;
  }
  if (argv[0] === COMPLETE_COMMAND) {
    const { completeCommand } = await import("./commands/complete.ts");
    return await completeCommand(() => buildProgram(ctx), argv.slice(1), ctx);
  }
  // Only the command asked for is loaded (with the libraries it uses): `helm fastcs debug` never evaluates
  // the schema generator, Ajv or tar. Help and unknown commands load them all, to list them.
  const asked = argv.find((a) => !a.startsWith("-"));
  const program = await buildProgram(ctx, asked !== undefined && asked in COMMANDS ? [asked] : undefined);

  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCodeOf(program);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === "commander.helpDisplayed" || error.code === "commander.version" ||
        error.code === "commander.help"
      ) return ExitCode.ok;
      return ExitCode.usage;
    }
    if (error instanceof FastcsError) {
      ctx.log.error(error.message);
      for (const line of error.details) ctx.log.info(`  ${line}`);
      if (error.hint) ctx.log.info(`hint: ${error.hint}`);
      if (ctx.env.debug && error.cause) ctx.log.debug(String((error.cause as Error).stack ?? error.cause));
      return error.exitCode;
    }
    const e = error as Error;
    ctx.log.error(`internal error: ${e?.message ?? String(error)}`);
    ctx.log.info(
      ctx.env.debug
        ? String(e?.stack)
        : "This is a bug: please report it on the helm-fastcs issue tracker, with the output of --debug.",
    );
    return ExitCode.internal;
  }
}

/**
 * The signals that interrupt a command: Ctrl+C and termination. Deno on Windows can only listen for
 * SIGINT and SIGBREAK (Ctrl+Break); asking for SIGTERM there throws.
 */
export function interruptSignals(os: typeof Deno.build.os): Deno.Signal[] {
  return os === "windows" ? ["SIGINT", "SIGBREAK"] : ["SIGINT", "SIGTERM"];
}

if (import.meta.main) {
  const env = readHelmEnv(Deno.env.toObject());
  const log = createLog({ debug: env.debug, color: !env.noColor && Deno.stderr.isTerminal() });
  const runner = createRunner(log);
  const cwd = Deno.cwd();
  const cleanups = new Set<() => Promise<void> | void>();
  const ctx: Context = {
    env,
    log,
    cwd,
    display: (path) => displayPath(cwd, path),
    interactive: Deno.stdin.isTerminal(),
    confirm: (question) => askOnStderr(question),
    run: runner.run,
    start: runner.start,
    onInterrupt: (handler) => {
      cleanups.add(handler);
      return () => cleanups.delete(handler);
    },
  };
  log.debug(
    `helm fastcs ${VERSION}: helm=${env.helmBin} namespace=${env.namespace ?? "-"} kube-context=${
      env.kubeContext ?? "-"
    }`,
  );
  // On the first interrupt the registered clean-ups run, then the process exits 130 once both they and
  // the command (stopped by them, saying what it left, e.g. "interrupted: nothing was written") are done;
  // a command that does not end within 5 s of its clean-up is not waited for.
  let cleaning: Promise<void> | undefined;
  let finished: Promise<number> = new Promise(() => {});
  for (const signal of interruptSignals(Deno.build.os)) {
    Deno.addSignalListener(signal, () => {
      // A second interrupt, or one with nothing to clean up, ends the process at once.
      if (cleaning || cleanups.size === 0) {
        runner.killAll();
        Deno.exit(ExitCode.interrupted);
      }
      cleaning = (async () => {
        const deadline = setTimeout(() => (runner.killAll(), Deno.exit(ExitCode.interrupted)), 600_000);
        for (const cleanup of [...cleanups]) {
          await Promise.resolve(cleanup()).catch((e) => log.error(`clean-up failed: ${e}`));
        }
        clearTimeout(deadline);
      })();
      cleaning.then(() => Promise.race([finished, new Promise((r) => setTimeout(r, 5_000))])).then(() => {
        runner.killAll();
        Deno.exit(ExitCode.interrupted);
      });
    });
  }
  finished = main(Deno.args, ctx);
  const code = await finished;
  if (cleaning) {
    await cleaning;
    runner.killAll();
    Deno.exit(ExitCode.interrupted);
  }
  Deno.exit(code);
}
