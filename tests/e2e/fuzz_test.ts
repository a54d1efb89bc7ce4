// A seeded fuzz test of `helm fastcs schema` on mutants of real values files (../shared/corpus): deleted,
// duplicated and re-indented lines, random `# @schema` lines, truncation. Every mutant must give either a
// schema that accepts the mutant's own values as Helm reads them, or a typed error with a documented exit
// code: never another exception, never a run over its time bound. Bounded by count and by time.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ExitCode, FastcsError } from "../../src/runtime/errors.ts";
import { gen } from "../../src/schema/test_support.ts";
import { compileSchema, validateSource } from "../../src/chart/validate.ts";
import { parseYamlSource } from "../../src/chart/yaml_source.ts";
import { corpusDir } from "../support/corpus.ts";
import { prng } from "../support/values_corpus.ts";

const SEED = Number(Deno.env.get("FASTCS_FUZZ_SEED") ?? 20261121);
const MUTANTS = 400;
const PER_MUTANT_MS = 5_000;
const TOTAL_MS = 120_000;

const ANNOTATIONS = [
  "# @schema type: string",
  "# @schema type: [integer, null]",
  "# @schema pattern: ^[a-z]+$",
  "# @schema pattern: '[unclosed'",
  "# @schema enum: [a, b, 1]",
  "# @schema minimum: 0; maximum: 10",
  "# @schema additionalProperties: false",
  "# @schema required: true",
  "# @schema hidden: true",
  "# @schema $ref: '#/properties/nowhere'",
  "# @schema itemProperties: {a: {type: string}}",
  "# @schema unknownKeyword: 1",
  "# @schema type: nonsense",
  "# @schema default: {a: [1, 2]}",
  "# @schema mergeProperties: true",
];

async function corpusValues(): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const path = join(dir, e.name);
      if (e.isDirectory) await walk(path);
      else if (e.name === "values.yaml" || (dir.endsWith("/ci") && /\.ya?ml$/.test(e.name))) found.push(path);
    }
  };
  await walk(corpusDir());
  return found.sort();
}

function mutate(text: string, random: () => number): string {
  let lines = text.split("\n");
  const pick = () => Math.floor(random() * lines.length);
  const edits = 1 + Math.floor(random() * 4);
  for (let e = 0; e < edits && lines.length > 0; e++) {
    const i = pick();
    switch (Math.floor(random() * 6)) {
      case 0:
        lines.splice(i, 1);
        break;
      case 1:
        lines.splice(i, 0, lines[i]);
        break;
      case 2:
        lines[i] = " ".repeat(1 + Math.floor(random() * 3)) + lines[i];
        break;
      case 3:
        lines[i] = lines[i].replace(/^ {1,2}/, "");
        break;
      case 4: {
        const indent = /^\s*/.exec(lines[i])![0];
        lines.splice(i, 0, indent + ANNOTATIONS[Math.floor(random() * ANNOTATIONS.length)]);
        break;
      }
      default:
        lines = lines.slice(0, Math.max(1, i));
    }
  }
  return lines.join("\n");
}

const DOCUMENTED = new Set<number>([ExitCode.input]);

Deno.test(`fuzz: ${MUTANTS} mutants of the corpus's values files (seed ${SEED}) give a valid schema or a typed error`, async () => {
  const files = await corpusValues();
  assert.ok(files.length >= 20, `only ${files.length} corpus values files found`);
  const random = prng(SEED);
  const started = performance.now();
  const outcomes = { schema: 0, error: 0 };
  let tried = 0;
  for (; tried < MUTANTS && performance.now() - started < TOTAL_MS; tried++) {
    const file = files[Math.floor(random() * files.length)];
    const text = mutate(await Deno.readTextFile(file), random);
    const closed = random() < 0.5;
    const where = `mutant ${tried} of ${file} (seed ${SEED}, closed=${closed})`;
    const t0 = performance.now();
    try {
      const schema = gen(text, { noAdditionalProperties: closed });
      const validate = await compileSchema(schema, "generated", "file:///");
      const problems = validateSource(parseYamlSource("values.yaml", text), validate);
      if (problems.length > 0) {
        // Kept for reproduction: the path is in the failure message.
        const kept = await Deno.makeTempFile({ prefix: "fastcs-fuzz-", suffix: ".yaml" });
        await Deno.writeTextFile(kept, text);
        assert.fail(
          `${where}: the schema rejects its own values (mutant kept in ${kept}):\n${
            JSON.stringify(problems)
          }`,
        );
      }
      outcomes.schema++;
    } catch (error) {
      if (error instanceof assert.AssertionError) throw error;
      assert.ok(error instanceof FastcsError, `${where}: ${error}\n${(error as Error).stack}\n---\n${text}`);
      assert.ok(DOCUMENTED.has(error.exitCode), `${where}: exit ${error.exitCode}: ${error.message}`);
      outcomes.error++;
    }
    assert.ok(
      performance.now() - t0 < PER_MUTANT_MS,
      `${where} took ${Math.round(performance.now() - t0)} ms`,
    );
  }
  assert.ok(tried >= 200, `only ${tried} mutants in ${TOTAL_MS} ms`);
  // Both outcomes must occur, or the mutations are not exercising anything.
  assert.ok(outcomes.schema > 0 && outcomes.error > 0, JSON.stringify(outcomes));
});
