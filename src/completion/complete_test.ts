// Dynamic completion over the real command tree (buildProgram), with the outside world as in-memory
// sources (the real ones, charts on disk, the project file and releases through Helm, are exercised
// through `helm __complete` in tests/e2e/completion_test.ts), and completion.yaml kept in step.
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildProgram } from "../main.ts";
import { expectedCompletionYaml } from "../../scripts/completion_yaml.ts";
import type { Context } from "../runtime/context.ts";
import { createLog } from "../runtime/log.ts";
import { readHelmEnv } from "../runtime/helm_env.ts";
import { complete, type CompletionSources, Directive, DYNAMIC_VALUES, formatCompletion } from "./complete.ts";
import { environmentCandidates, groupCandidates } from "./sources.ts";
import type { Command, Option } from "../deps/cli.ts";
import { parseDocument } from "../deps/yaml.ts";

const ctx = {
  env: readHelmEnv({}),
  log: createLog({ debug: false, color: false, writeOut: () => {}, writeErr: () => {} }),
  cwd: "/",
  display: (p: string) => p,
} as unknown as Context; // registering commands runs none of them: nothing else of the context is used
const program = await buildProgram(ctx);

/** In-memory sources that record what they were asked. */
function sources() {
  const asked: string[] = [];
  const s: CompletionSources = {
    charts: (
      dir,
    ) => (asked.push(`charts ${dir ?? "-"}`), Promise.resolve([{ value: "alpha" }, { value: "beta" }])),
    environments: (
      file,
    ) => (asked.push(`environments ${file}`),
      Promise.resolve([{ value: "staging", description: "namespace staging" }, { value: "prod" }])),
    groups: (
      file,
    ) => (asked.push(`groups ${file}`), Promise.resolve([{ value: "core", description: "db, api" }])),
    releases:
      () => (asked.push("releases"), Promise.resolve([{ value: "web", description: "fastcs-1.0.0" }])),
  };
  return { s, asked };
}

async function values(words: string[]) {
  const { s, asked } = sources();
  const c = await complete(program, words, s);
  return { values: c.candidates.map((x) => x.value), directive: c.directive, asked };
}

Deno.test("every dynamic value names a real option or argument of the CLI", () => {
  for (const key of Object.keys(DYNAMIC_VALUES)) {
    const words = key.split(" ");
    const last = words.pop()!;
    let cmd: Command = program;
    for (const w of words) cmd = (cmd.commands as Command[]).find((c) => c.name() === w)!;
    assert.ok(cmd, key);
    if (last.startsWith("--")) {
      assert.ok((cmd.options as readonly Option[]).some((o) => o.long === last), key);
    } else {
      assert.ok(cmd.registeredArguments.some((a) => `<${a.name()}>` === last), key);
    }
  }
});

Deno.test("completion.yaml is what the CLI's command tree gives (deno task completion)", async () => {
  const file = join(new URL("../..", import.meta.url).pathname, "completion.yaml");
  const text = await Deno.readTextFile(file);
  assert.equal(text, await expectedCompletionYaml());
  // Helm reads YAML 1.1, where an unquoted `yes` is a boolean: two of them made Helm 3 panic.
  const tree = parseDocument(text, { version: "1.1" }).toJS() as { commands: { flags: unknown[] }[] };
  for (const c of tree.commands) for (const f of c.flags) assert.equal(typeof f, "string", String(f));
});

Deno.test("schema: subcommands, then chart names for --chart (also as schema's default generate), choices", async () => {
  assert.deepEqual((await values(["schema", ""])).values, ["generate", "validate"]);
  assert.deepEqual((await values(["schema", "v"])).values, ["validate"]);
  const chart = await values(["schema", "--chart", ""]);
  assert.deepEqual([chart.values, chart.directive, chart.asked], [["alpha", "beta"], Directive.noFileComp, [
    "charts -",
  ]]);
  // --chart is variadic: the next word is a chart too, not one already given; --charts-dir is honoured.
  const more = await values(["schema", "generate", "--charts-dir", "Charts", "--chart", "alpha", ""]);
  assert.deepEqual([more.values, more.asked], [["beta"], ["charts Charts"]]);
  assert.deepEqual((await values(["schema", "--chart=b"])).values, ["--chart=beta"]);
  assert.deepEqual((await values(["schema", "-o", ""])).values, ["text", "json"]);
  assert.deepEqual((await values(["schema", "--links", "c"])).values, ["copy"]);
  // After an option without a value, a new word is no chart: generate takes no arguments.
  assert.deepEqual((await values(["schema", "--chart", "alpha", "--check", ""])).values, []);
});

Deno.test("files and folders are left to the shell; option names to completion.yaml", async () => {
  assert.equal((await values(["schema", "validate", ""])).directive, Directive.default);
  assert.equal((await values(["schema", "validate", "-f", ""])).directive, Directive.default);
  assert.equal((await values(["publish", "--charts-dir", ""])).directive, Directive.filterDirs);
  assert.equal((await values(["promote", "--config", ""])).directive, Directive.default);
  const flag = await values(["debug", "--p"]);
  assert.deepEqual([flag.values, flag.directive, flag.asked], [[], Directive.noFileComp, []]);
  const port = await values(["debug", "--port", ""]);
  assert.deepEqual([port.values, port.directive, port.asked], [[], Directive.noFileComp, []]);
});

Deno.test("debug: subcommands and release names for the release argument, and only there", async () => {
  const r = await values(["debug", ""]);
  assert.deepEqual([r.values, r.asked], [["list", "clean", "web"], ["releases"]]);
  assert.deepEqual((await values(["debug", "clean", ""])).values, ["web"]);
  assert.deepEqual((await values(["debug", "--release", "w"])).values, ["web"]);
  assert.deepEqual((await values(["debug", "web", ""])).asked, []);
  assert.deepEqual((await values(["debug", "--pod", "p-0", "w"])).values, ["web"]);
});

Deno.test("promote: subcommands and environments, the project file from --config, no environment twice", async () => {
  const first = await values(["promote", ""]);
  assert.deepEqual([first.values, first.asked], [["history", "rollback", "staging", "prod"], [
    "environments fastcs.yaml",
  ]]);
  const second = await values(["promote", "--config", "deploy/envs.yaml", "staging", ""]);
  assert.deepEqual([second.values, second.asked], [["prod"], ["environments deploy/envs.yaml"]]);
  assert.deepEqual((await values(["promote", "staging", "prod", ""])).asked, []); // releases: not offered
  assert.deepEqual((await values(["promote", "history", ""])).values, ["staging", "prod"]);
  assert.deepEqual((await values(["promote", "rollback", "--config=x.yaml", "p"])).asked, [
    "environments x.yaml",
  ]);
  assert.deepEqual((await values(["promote", "--history", ""])).values, ["staging", "prod"]);
  const group = await values(["promote", "staging", "prod", "--config", "envs.yaml", "--group", ""]);
  assert.deepEqual([group.values, group.asked], [["core"], ["groups envs.yaml"]]);
});

Deno.test("the output: value<TAB>description lines, then :directive; a source that fails gives only its values up", async () => {
  assert.equal(
    formatCompletion({
      candidates: [{ value: "a", description: "one\ttwo\nthree" }, { value: "b" }],
      directive: 4,
    }),
    "a\tone two three\nb\n:4",
  );
  const failing: CompletionSources = {
    ...sources().s,
    releases: () => Promise.reject(new Error("cluster unreachable")),
  };
  const failures: string[] = [];
  const none = await complete(program, ["debug", ""], failing, (kind, e) => failures.push(`${kind}: ${e}`));
  assert.deepEqual([none.candidates.map((c) => c.value), failures], [["list", "clean"], [
    "releases: Error: cluster unreachable",
  ]]);
  const noFile: CompletionSources = {
    ...sources().s,
    environments: () => Promise.reject(new Error("broken")),
  };
  assert.deepEqual((await complete(program, ["promote", ""], noFile)).candidates.map((c) => c.value), [
    "history",
    "rollback",
  ]);
  assert.deepEqual((await complete(program, ["nosuch", ""], failing)).candidates, []);
});

Deno.test("environments of a project file: names with where they live; a file without environments gives none", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "fastcs.yaml");
    await Deno.writeTextFile(
      file,
      "environments:\n  staging: {}\n  prod:\n    kubeContext: lab\n    namespace: p\n  review:\n    path: gitops/review\n",
    );
    assert.deepEqual(await environmentCandidates(file), [
      { value: "staging", description: "namespace staging" },
      { value: "prod", description: "namespace p, kube context lab" },
      { value: "review", description: "GitOps folder gitops/review" },
    ]);
    await Deno.writeTextFile(file, "promote: {}\n");
    assert.deepEqual(await environmentCandidates(file), []);
    assert.deepEqual(await groupCandidates(file), []);
    await Deno.writeTextFile(file, "groups:\n  core: [db, api, worker]\n  odd: nope\n");
    assert.deepEqual(await groupCandidates(file), [
      { value: "core", description: "db, api, worker" },
      { value: "odd", description: undefined },
    ]);
    await assert.rejects(environmentCandidates(join(dir, "missing.yaml")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
