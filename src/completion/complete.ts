// Dynamic shell completion (`helm fastcs __complete WORDS...`, run by the plugin's `plugin.complete`): from
// the words typed after `helm fastcs`, the last being the one to complete, the values that fit there. The
// command tree is read from the commander program itself, so options and arguments stay in step with the
// CLI; the values that need the outside world (charts on disk, environments of the project file, releases
// in the cluster) come from {@link CompletionSources}.
//
// Protocol (Helm's `pluginDynamicComp`, helm/helm pkg/cmd/load_plugins.go, the same in Helm 3 and 4): one
// completion a line, optionally "value<TAB>description", and a last line `:<directive>` with cobra's
// ShellCompDirective bits.
import type { Command, Option } from "../deps/cli.ts";

/** Cobra's ShellCompDirective bits (spf13/cobra completions.go), as Helm passes them to the shell. */
export const Directive = {
  /** Let the shell complete file names when no value is offered. */
  default: 0,
  noSpace: 2,
  /** Never fall back to file names. */
  noFileComp: 4,
  /** Complete directory names only. */
  filterDirs: 16,
} as const;

/** A value to offer, with an optional description the shell may show beside it. */
export interface Candidate {
  value: string;
  description?: string;
}

/** Where the values that are not in the command tree come from. Each may throw: completion then offers
 * nothing for that word. */
export interface CompletionSources {
  /** The charts under `chartsDir` (the `--charts-dir` typed so far), else under the default charts folder. */
  charts(chartsDir: string | undefined): Promise<Candidate[]>;
  /** The environments of the promotion project file `file` (as typed, or the `--config` default). */
  environments(file: string): Promise<Candidate[]>;
  /** The service groups (`groups:`) of the promotion project file `file`. */
  groups(file: string): Promise<Candidate[]>;
  /** The releases in Helm's namespace and kube context (HELM_NAMESPACE, HELM_KUBECONTEXT). */
  releases(): Promise<Candidate[]>;
}

/** What to print: the candidates (already filtered by the typed prefix) and the directive. */
export interface Completion {
  candidates: Candidate[];
  directive: number;
}

type Kind = "charts" | "environments" | "groups" | "releases";

/**
 * The options and arguments whose values come from {@link CompletionSources}, keyed by the command path
 * below the program and `--option` or `<argument>`. A unit test checks that each names a real option or
 * argument, so a renamed flag cannot silently lose its completion.
 */
export const DYNAMIC_VALUES: Record<string, Kind> = {
  "schema generate --chart": "charts",
  "debug <release>": "releases",
  "debug --release": "releases",
  "debug clean <release>": "releases",
  "promote <source>": "environments",
  "promote <target>": "environments",
  "promote --history": "environments",
  "promote --rollback": "environments",
  "promote --group": "groups",
  "promote history <env>": "environments",
  "promote rollback <env>": "environments",
};

function pathOf(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent as Command | null) names.unshift(c.name());
  return names.join(" ");
}

function takesValue(option: Option): boolean {
  return option.required || option.optional;
}

/** `<file>` of `--config <file>`: the kind of value the option's help names. */
function placeholder(option: Option): string | undefined {
  return /[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1].replace(/\.\.\.$/, "");
}

/** The option `name` (`--x`, `-x`) of `cmd`, else of one of its subcommands: `schema --chart` is an option
 * of `schema generate`, the default subcommand. */
function findOption(cmd: Command, name: string): { option: Option; owner: Command } | undefined {
  for (const c of [cmd, ...cmd.commands as Command[]]) {
    const option = (c.options as readonly Option[]).find((o) => o.long === name || o.short === name);
    if (option) return { option, owner: c };
  }
  return undefined;
}

/** Where the word being completed stands, after reading the words before it as commander would. */
interface Position {
  cmd: Command;
  positionals: string[];
  /** The option whose value is being typed (the word after `--chart`, or the next of a variadic option). */
  pending?: { option: Option; owner: Command };
  /** Values given so far, by option long name. */
  given: Map<string, string[]>;
  afterDoubleDash: boolean;
  /** An option was given to `cmd`: a subcommand name can no longer follow. */
  optionGiven: boolean;
}

function locate(program: Command, words: string[]): Position {
  const p: Position = {
    cmd: program,
    positionals: [],
    given: new Map(),
    afterDoubleDash: false,
    optionGiven: false,
  };
  let variadic: Position["pending"];
  const record = (o: Option, value: string) => {
    const key = o.long ?? o.short ?? "";
    p.given.set(key, [...p.given.get(key) ?? [], value]);
  };
  for (const word of words) {
    if (p.pending) {
      record(p.pending.option, word);
      variadic = p.pending.option.variadic ? p.pending : undefined;
      p.pending = undefined;
      continue;
    }
    if (!p.afterDoubleDash && word === "--") {
      p.afterDoubleDash = true;
      variadic = undefined;
      continue;
    }
    if (!p.afterDoubleDash && word.startsWith("-") && word.length > 1) {
      variadic = undefined;
      p.optionGiven = true;
      const eq = word.indexOf("=");
      const found = findOption(p.cmd, eq > 0 ? word.slice(0, eq) : word);
      if (found && takesValue(found.option)) {
        if (eq > 0) record(found.option, word.slice(eq + 1));
        else p.pending = found;
      }
      continue;
    }
    if (variadic) {
      record(variadic.option, word);
      continue;
    }
    const sub = p.positionals.length === 0 && !p.optionGiven
      ? (p.cmd.commands as Command[]).find((c) => c.name() === word || c.aliases().includes(word))
      : undefined;
    if (sub) {
      p.cmd = sub;
      p.optionGiven = false;
      continue;
    }
    p.positionals.push(word);
  }
  if (variadic && !p.pending) p.pending = variadic;
  return p;
}

/** The project file `promote` reads: `--config` as typed so far, else the option's default. */
function configFile(p: Position): string {
  const given = p.given.get("--config")?.at(-1);
  if (given) return given;
  const option = findOption(p.cmd, "--config")?.option;
  return typeof option?.defaultValue === "string" ? option.defaultValue : "fastcs.yaml";
}

async function dynamic(kind: Kind, p: Position, sources: Sources): Promise<Candidate[]> {
  try {
    switch (kind) {
      case "charts":
        return await sources.charts(p.given.get("--charts-dir")?.at(-1));
      case "environments":
        return await sources.environments(configFile(p));
      case "groups":
        return await sources.groups(configFile(p));
      case "releases":
        return await sources.releases();
    }
  } catch (error) {
    sources.failed(kind, error);
    return [];
  }
}

/** The sources, and what to do when one fails (its values are left out; the rest is still offered). */
type Sources = CompletionSources & { failed(kind: Kind, error: unknown): void };

async function optionValues(
  found: { option: Option; owner: Command },
  p: Position,
  sources: Sources,
): Promise<Completion> {
  const { option, owner } = found;
  if (option.argChoices) {
    return { candidates: option.argChoices.map((value) => ({ value })), directive: Directive.noFileComp };
  }
  const kind = DYNAMIC_VALUES[`${pathOf(owner)} ${option.long}`];
  if (kind) {
    const already = new Set(p.given.get(option.long ?? "") ?? []);
    const candidates = (await dynamic(kind, p, sources)).filter((c) => !already.has(c.value));
    return { candidates, directive: Directive.noFileComp };
  }
  const what = placeholder(option);
  if (what === "file") return { candidates: [], directive: Directive.default };
  if (what === "dir") return { candidates: [], directive: Directive.filterDirs };
  return { candidates: [], directive: Directive.noFileComp };
}

async function argumentValues(p: Position, sources: Sources): Promise<Completion> {
  const candidates: Candidate[] = [];
  if (p.positionals.length === 0 && !p.optionGiven) {
    for (const sub of p.cmd.commands as Command[]) {
      if ((sub as unknown as { _hidden?: boolean })._hidden) continue;
      candidates.push({ value: sub.name(), description: sub.summary() || sub.description() });
    }
  }
  const args = p.cmd.registeredArguments;
  const last = args.at(-1);
  const argument = args[p.positionals.length] ?? (last?.variadic ? last : undefined);
  if (!argument) return { candidates, directive: Directive.noFileComp };
  const kind = DYNAMIC_VALUES[`${pathOf(p.cmd)} <${argument.name()}>`];
  if (kind) {
    const already = new Set(p.positionals);
    candidates.push(...(await dynamic(kind, p, sources)).filter((c) => !already.has(c.value)));
    return { candidates, directive: Directive.noFileComp };
  }
  // `schema validate [files...]`: values files, which the shell completes.
  if (argument.name() === "files") return { candidates, directive: Directive.default };
  return { candidates, directive: Directive.noFileComp };
}

/**
 * The completions for `words` (the words after `helm fastcs`; the last one is being typed, "" for a new
 * word). Option names are left to completion.yaml, which Helm completes itself; this offers subcommands,
 * option values (choices, charts, environments) and arguments (releases, environments), or lets the shell
 * complete file or directory names where the option or argument is one.
 *
 * A source that fails gives no values (the subcommands at the same place are still offered) and is
 * reported to `failed` (e.g. for HELM_DEBUG); nothing else throws.
 */
export async function complete(
  program: Command,
  words: string[],
  completionSources: CompletionSources,
  failed: (kind: string, error: unknown) => void = () => {},
): Promise<Completion> {
  const sources: Sources = { ...completionSources, failed };
  const typed = words.at(-1) ?? "";
  const p = locate(program, words.slice(0, -1));
  let result: Completion;
  let prefix = "";
  if (p.pending) {
    result = await optionValues(p.pending, p, sources);
  } else if (!p.afterDoubleDash && typed.startsWith("-")) {
    const eq = typed.indexOf("=");
    const found = eq > 0 ? findOption(p.cmd, typed.slice(0, eq)) : undefined;
    if (!found || !takesValue(found.option)) return { candidates: [], directive: Directive.noFileComp };
    prefix = typed.slice(0, eq + 1);
    result = await optionValues(found, p, sources);
    result = { ...result, candidates: result.candidates.map((c) => ({ ...c, value: prefix + c.value })) };
  } else {
    result = await argumentValues(p, sources);
  }
  return { ...result, candidates: result.candidates.filter((c) => c.value.startsWith(typed)) };
}

/** The lines Helm reads from plugin.complete: `value[\tdescription]` each, then `:<directive>`. Tabs and
 * line breaks inside a description would break the protocol, so they become spaces. */
export function formatCompletion(c: Completion): string {
  const lines = c.candidates.map((x) =>
    x.description ? `${x.value}\t${x.description.replace(/[\t\r\n]+/g, " ")}` : x.value
  );
  return [...lines, `:${c.directive}`].join("\n");
}
