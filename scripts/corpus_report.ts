// Prints the README's corpus table: for every chart of ../shared/corpus (or FASTCS_CORPUS), how many of the
// maintainers' values files render without a schema and still render with the one `helm fastcs schema`
// generates, under Helm 3 and Helm 4, and whether `helm lint` still passes. Needs scripts/setup.sh's tools.
//
//   deno run -A scripts/corpus_report.ts
import { checkCorpus } from "../tests/support/corpus.ts";

const charts = await checkCorpus();
console.log(
  "| chart | values files | rendered without schema (Helm 3 / 4) | still render with ours | helm lint |",
);
console.log("| --- | --- | --- | --- | --- |");
let files = 0, without = 0, kept = 0;
for (const c of charts) {
  if (c.skipped) {
    console.log(`| ${c.id} | ${c.files.length} | skipped: ${c.skipped} | | |`);
    continue;
  }
  const w3 = c.helm.helm3?.renderedWithout.length ?? 0;
  const w4 = c.helm.helm4?.renderedWithout.length ?? 0;
  const k3 = w3 - (c.helm.helm3?.failedWith.length ?? 0);
  const k4 = w4 - (c.helm.helm4?.failedWith.length ?? 0);
  const lint = Object.values(c.lintBroken).some((e) => e !== undefined) ? "broken" : "ok";
  console.log(`| ${c.id} | ${c.files.length} | ${w3} / ${w4} | ${k3} / ${k4} | ${lint} |`);
  files += c.files.length;
  without += w3 + w4;
  kept += k3 + k4;
}
const checked = charts.filter((c) => !c.skipped).length;
console.log(
  `\n${charts.length} charts, ${checked} checked (${charts.length - checked} need remote dependencies); ` +
    `${files} values files; ${kept} of ${without} renders (Helm 3 + 4) that pass without a schema pass with ours`,
);
