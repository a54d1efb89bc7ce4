// The static half of shell completion: completion.yaml, the command tree and flag names Helm completes
// by itself (helm/helm pkg/cmd/load_plugins.go, `pluginCommand`: name, validArgs, flags, commands; the
// same in Helm 3 and 4). It is generated from the commander program, and a test keeps the checked-in
// file equal to it (`deno task completion` rewrites it).
//
// Helm calls plugin.complete only for a leaf of this tree that has no validArgs, so the top-level
// commands are leaves: `schema`'s and `promote`'s subcommands are offered by plugin.complete (with the
// chart and environment names that may stand at the same place), and a leaf lists the flags of the
// command and of its subcommands.
import type { Command, Option } from "../deps/cli.ts";
import { stringifyYaml } from "../deps/yaml.ts";

/** One node of completion.yaml. */
export interface CompletionNode {
  name: string;
  flags: string[];
  commands?: CompletionNode[];
}

function flagNames(cmd: Command): string[] {
  const names: string[] = [];
  for (const o of cmd.options as readonly Option[]) {
    if (o.hidden) continue;
    if (o.long) names.push(o.long.replace(/^--/, ""));
  }
  return names;
}

const visible = (cmd: Command) =>
  (cmd.commands as Command[]).filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);

/**
 * The tree of `program` (the plugin named `plugin`), long flag names only: Helm pairs the short names with
 * long ones by position (`f.BoolP(longs[i], shorts[i])`), which would show `-o` as another flag's short
 * form, and cobra adds `--help`/`-h` by itself.
 */
export function completionTree(program: Command, plugin: string): CompletionNode {
  const leaf = (cmd: Command): CompletionNode => {
    const flags = new Set([...flagNames(cmd), ...visible(cmd).flatMap(flagNames)]);
    return { name: cmd.name(), flags: [...flags].sort() };
  };
  return { name: plugin, flags: flagNames(program).sort(), commands: visible(program).map(leaf) };
}

/** completion.yaml's text: a header saying where it comes from, then the tree. */
export function completionYaml(program: Command, plugin: string): string {
  return [
    "# Static shell completion of helm fastcs, read by Helm (helm __complete fastcs ...). Generated from the",
    "# CLI by `deno task completion`; do not edit. Subcommands of schema and promote, chart, environment",
    "# and release names come from plugin.complete (dynamic completion).",
    // Helm reads it with sigs.k8s.io/yaml (YAML 1.1): `yes` unquoted would be the boolean true.
    stringifyYaml(completionTree(program, plugin), { lineWidth: 0, version: "1.1" }).trimEnd(),
    "",
  ].join("\n");
}
