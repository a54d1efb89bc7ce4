// `helm fastcs __complete WORDS...` (hidden): what plugin.complete prints for Helm's shell completion. It
// never fails loudly: whatever goes wrong (no cluster, a broken project file), it offers nothing and exits 0.
import type { Command } from "../deps/cli.ts";
import { complete, type Completion, Directive, formatCompletion } from "../completion/complete.ts";
import { completionSources } from "../completion/sources.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode } from "../runtime/errors.ts";

/** Prints the completions of `words` (the last one being typed) on stdout; always {@link ExitCode.ok}. */
export async function completeCommand(
  program: () => Promise<Command>,
  words: string[],
  ctx: Context,
): Promise<number> {
  let result: Completion;
  try {
    result = await complete(
      await program(),
      words,
      completionSources(ctx),
      (kind, error) => ctx.log.debug(`completion: no ${kind}: ${(error as Error)?.message ?? error}`),
    );
  } catch (error) {
    ctx.log.debug(`completion of ${JSON.stringify(words)}: ${(error as Error)?.message ?? error}`);
    result = { candidates: [], directive: Directive.noFileComp };
  }
  ctx.log.out(formatCompletion(result));
  return ExitCode.ok;
}
