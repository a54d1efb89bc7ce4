// What every command file uses to wire itself to the program: the action wrapper that carries an action's
// exit code back to main (commander drops what an action returns), and the one `-o text|json` option.
import { type Command, Option } from "../deps/cli.ts";
import { ExitCode } from "../runtime/errors.ts";

/** What an action returns: one of the documented exit codes ({@link ExitCode}). */
export type ActionResult = Promise<number>;

const exitCodes = new WeakMap<object, number>();

/**
 * Wraps an action that returns its exit code into the handler commander expects. Commander calls the handler
 * with `this` bound to the (sub)command; the code is kept for the root program, where {@link exitCodeOf}
 * reads it after `parseAsync`.
 */
export function action<A extends unknown[]>(
  run: (...args: A) => ActionResult,
): (this: { parent: unknown }, ...args: A) => Promise<void> {
  return async function (this: { parent: unknown }, ...args: A) {
    exitCodes.set(rootOf(this), await run(...args));
  };
}

function rootOf(command: { parent: unknown }): object {
  return command.parent ? rootOf(command.parent as { parent: unknown }) : command;
}

/** The exit code the action run by `program` returned ({@link ExitCode.ok} when none ran, e.g. `--help`). */
export function exitCodeOf(program: Command): number {
  return exitCodes.get(program) ?? ExitCode.ok;
}

/** The `-o, --output text|json` option every command offers; under json stdout holds one JSON document. */
export function outputOption() {
  return new Option("-o, --output <format>", "output format: text, or json (one JSON document on stdout)")
    .choices(["text", "json"] as const).default("text" as const);
}
