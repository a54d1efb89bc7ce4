// Subcommands that are registered so that `helm fastcs --help` shows the whole tool, but are not
// available in this version: they say so and exit with code 7, never with a fake success.
import type { Command } from "../deps.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";

const PLANNED: Record<string, string> = {
  promote: "promote the releases verified in one environment to another",
};

/** Registers `promote` as a command that fails with exit code 7. */
export function registerUnavailable(program: Command) {
  for (const [name, summary] of Object.entries(PLANNED)) {
    program
      .command(name)
      .description(`${summary} (not available in this version)`)
      .allowUnknownOption()
      .allowExcessArguments()
      .helpOption("-h, --help", "show help")
      .action(() => {
        throw new FastcsError(`helm fastcs ${name} is not available in this version`, {
          code: "command.unavailable",
          exitCode: ExitCode.unavailable,
          hint:
            "`helm fastcs schema`, `publish` and `debug` are available so far; see the README for the roadmap.",
        });
      });
  }
}
