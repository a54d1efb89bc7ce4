// Release artifacts of a publish: the packages, the schemas (links resolved), SHA256SUMS and a manifest
// of what was published, in one folder a CI job can attach to a release.
import { basename, join, resolve } from "node:path";
import type { Prepared } from "./checks.ts";
import { readThroughLink } from "../runtime/fs.ts";
import { fileSha256 } from "./content_digest.ts";
import type { PublishReport } from "./publish.ts";

/**
 * Collects the artifacts into `dir`.
 *
 * @returns `dir`
 */
export async function collectArtifacts(
  dir: string,
  prepared: Prepared[],
  report: PublishReport,
  chartsDir: string,
): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const names: string[] = [];
  for (const p of prepared) {
    for (const suffix of ["", ".prov"]) {
      try {
        await Deno.copyFile(p.tgz + suffix, join(dir, basename(p.tgz) + suffix));
        names.push(basename(p.tgz) + suffix);
      } catch { /* no .prov */ }
    }
  }
  const schemas = resolve(chartsDir, "..", "schemas");
  try {
    for await (const e of Deno.readDir(schemas)) {
      if (!e.isFile && !e.isSymlink) continue;
      // Links are resolved (also as git writes them without symlinks): the release carries the schema.
      await Deno.writeFile(join(dir, e.name), await readThroughLink(join(schemas, e.name)));
      names.push(e.name);
    }
  } catch { /* no schemas folder */ }
  names.sort();
  const sums = [];
  for (const n of names) sums.push(`${await fileSha256(join(dir, n))}  ${n}`);
  await Deno.writeTextFile(join(dir, "SHA256SUMS"), sums.join("\n") + "\n");
  await Deno.writeTextFile(
    join(dir, "publish-manifest.json"),
    JSON.stringify({ ...report, artifacts: undefined, files: names }, null, 2) + "\n",
  );
  return dir;
}
