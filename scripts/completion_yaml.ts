// Writes completion.yaml (static shell completion, see src/completion/static_tree.ts) from the CLI's
// command tree, or with --check exits 1 when the checked-in file differs from it.
//
//   deno task completion           rewrite completion.yaml
//   deno task completion --check   verify it (CI)
import { join, resolve } from "node:path";
import { buildProgram } from "../src/main.ts";
import { completionYaml } from "../src/completion/static_tree.ts";
import type { Context } from "../src/runtime/context.ts";
import { displayPath } from "../src/runtime/fs.ts";
import { readHelmEnv } from "../src/runtime/helm_env.ts";
import { createLog } from "../src/runtime/log.ts";
import { createRunner } from "../src/runtime/runner.ts";

/** The completion.yaml the CLI's command tree gives (registering the commands runs none of them). */
export async function expectedCompletionYaml(): Promise<string> {
  const log = createLog({ debug: false, color: false });
  const runner = createRunner(log);
  const cwd = Deno.cwd();
  const ctx: Context = {
    env: readHelmEnv({}),
    log,
    cwd,
    display: (p) => displayPath(cwd, p),
    interactive: false,
    confirm: () => Promise.resolve(undefined),
    run: runner.run,
    start: runner.start,
    onInterrupt: () => () => {},
  };
  return completionYaml(await buildProgram(ctx), "fastcs");
}

if (import.meta.main) {
  const file = join(resolve(new URL("..", import.meta.url).pathname), "completion.yaml");
  const expected = await expectedCompletionYaml();
  if (Deno.args.includes("--check")) {
    const actual = await Deno.readTextFile(file).catch(() => "");
    if (actual !== expected) {
      console.error("completion.yaml is not what the CLI's commands give: run `deno task completion`");
      Deno.exit(1);
    }
  } else {
    await Deno.writeTextFile(file, expected);
    console.error(`wrote ${file}`);
  }
}
