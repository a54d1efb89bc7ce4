// `helm fastcs schema` on the world's charts (../shared/corpus): a generated schema never rejects a values
// file that the chart's maintainers ship and that renders without it, under the real Helm 3 and Helm 4,
// and never breaks `helm lint`. Charts whose dependencies come from remote repositories cannot be built
// offline and are counted, not checked.
import assert from "node:assert/strict";
import { checkCorpus, corpusDir } from "../support/corpus.ts";

Deno.test("corpus: every maintainer's override that renders without our schema renders with it (Helm 3 and 4)", async () => {
  try {
    await Deno.stat(corpusDir());
  } catch {
    throw new Error(`the chart corpus is missing at ${corpusDir()} (set FASTCS_CORPUS to its folder)`);
  }
  const charts = await checkCorpus();
  const checked = charts.filter((c) => !c.skipped);
  // The corpus is real data: make sure the test is not passing on an empty or unreadable one.
  assert.ok(checked.length >= 10, `only ${checked.length} corpus charts could be checked`);
  const rendered = checked.reduce((n, c) => n + (c.helm.helm4?.renderedWithout.length ?? 0), 0);
  assert.ok(rendered >= 30, `only ${rendered} values files rendered without a schema`);
  const problems: string[] = [];
  for (const c of checked) {
    if (c.generated.code !== 0) {
      problems.push(`${c.id}: generation exit ${c.generated.code}: ${c.generated.stderr}`);
    }
    for (const [helm, r] of Object.entries(c.helm)) {
      for (const f of r.failedWith) problems.push(`${helm} ${c.id} ${f.file}: ${f.error}`);
    }
    for (const [helm, error] of Object.entries(c.lintBroken)) {
      if (error !== undefined) problems.push(`${helm} lint ${c.id}: ${error}`);
    }
  }
  assert.deepEqual(problems, []);
});
