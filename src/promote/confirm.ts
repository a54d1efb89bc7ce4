// The confirmation a promotion asks for before it changes an environment: `yes`, or the environment's name
// when it is protected; without a terminal only `--yes` confirms.
import type { Context } from "../runtime/context.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import type { Environment } from "./config.ts";

/**
 * Asks on stderr whether to act on `env` (`yes`, or its name typed when it is protected); false: declined,
 * and `not promoted` (or the word `doing` gives) is said. `question` is the sentence before the environment,
 * e.g. "Promote 2 release(s) to"; `doing` names the act in messages ("promoting to"). `yes` (`--yes`) answers
 * without asking.
 *
 * @throws FastcsError exit 8 when there is no terminal to ask on and `yes` is not given
 */
export async function confirmIn(
  ctx: Context,
  env: Environment,
  question: string,
  yes: boolean,
  doing = "promoting to",
): Promise<boolean> {
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
