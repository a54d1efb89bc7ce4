// Release artifacts of a publish: the packages, the schemas (links resolved), SHA256SUMS and a manifest
// of what was published, in one folder a CI job can attach to a release.
import { basename, join, relative } from "node:path";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { copyThroughTemp, readThroughLink, resolveLinks, writeThroughTemp } from "../runtime/fs.ts";
import { fileSha256 } from "../chart/content_digest.ts";
import type { PackagedChart, PublishReport } from "./model.ts";

/**
 * Checks, before anything is built or pushed, that the artifacts can be written to `dir`: it is a folder
 * (made if missing) where a file can be created, and it is neither the schemas folder nor inside the charts
 * folder, whose files the artifacts would replace.
 *
 * @throws FastcsError exit code 5 for a file or a forbidden place; 6 when the folder cannot be written
 *   (permissions, a full disk), naming the reason
 */
export async function checkArtifactsDir(
  dir: string,
  chartsDir: string,
  schemasDir: string,
  display: (p: string) => string,
) {
  const info = await Deno.stat(dir).catch(() => undefined);
  if (info && !info.isDirectory) {
    throw new FastcsError(`--artifacts ${display(dir)} is a file, not a folder`, {
      code: "artifacts.not-folder",
      exitCode: ExitCode.input,
      hint: "Name a folder (it is created if missing). Nothing was built or pushed.",
    });
  }
  const real = await resolveLinks(dir);
  const inside = (parent: string) => {
    const rel = relative(parent, real);
    return rel === "" || (!rel.startsWith("..") && !rel.startsWith("/"));
  };
  if (inside(await resolveLinks(chartsDir)) || real === await resolveLinks(schemasDir)) {
    throw new FastcsError(`--artifacts ${display(dir)} is inside the charts or the schemas folder`, {
      code: "artifacts.input",
      exitCode: ExitCode.input,
      hint: "Artifacts would replace the files they are made from: name a folder of their own, e.g. dist/.",
    });
  }
  const probe = join(dir, `.fastcs-write-test-${Deno.pid}`);
  try {
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(probe, "x".repeat(4096));
  } catch (error) {
    throw new FastcsError(`cannot write artifacts to ${display(dir)}: ${(error as Error).message}`, {
      code: "artifacts.write",
      exitCode: ExitCode.environment,
      hint: "Check the folder's permissions and free space. Nothing was built or pushed.",
      cause: error,
    });
  } finally {
    await Deno.remove(probe).catch(() => {});
  }
}

/**
 * Collects the artifacts into `dir`: the packages (with their .prov) and the files of `schemasDir`, each
 * written through a hidden temporary file and renamed, so no half-written artifact is ever seen.
 *
 * @returns `dir`
 */
export async function collectArtifacts(
  dir: string,
  prepared: PackagedChart[],
  report: PublishReport,
  schemasDir: string,
): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const names: string[] = [];
  for (const p of prepared) {
    for (const suffix of ["", ".prov"]) {
      try {
        await Deno.stat(p.tgz + suffix);
      } catch {
        continue; // no .prov
      }
      await copyThroughTemp(p.tgz + suffix, join(dir, basename(p.tgz) + suffix));
      names.push(basename(p.tgz) + suffix);
    }
  }
  const schemas = schemasDir;
  try {
    for await (const e of Deno.readDir(schemas)) {
      if (!e.isFile && !e.isSymlink) continue;
      // Links are resolved (also as git writes them without symlinks): the release carries the schema.
      await writeFileThroughTemp(join(dir, e.name), await readThroughLink(join(schemas, e.name)));
      names.push(e.name);
    }
  } catch { /* no schemas folder */ }
  names.sort();
  const sums = [];
  for (const n of names) sums.push(`${await fileSha256(join(dir, n))}  ${n}`);
  await writeFileThroughTemp(join(dir, "SHA256SUMS"), sums.join("\n") + "\n");
  await writeFileThroughTemp(
    join(dir, "publish-manifest.json"),
    JSON.stringify({ ...report, artifacts: undefined, artifactsError: undefined, files: names }, null, 2) +
      "\n",
  );
  return dir;
}

function writeFileThroughTemp(dest: string, data: Uint8Array | string): Promise<void> {
  return writeThroughTemp(
    dest,
    (temp) => typeof data === "string" ? Deno.writeTextFile(temp, data) : Deno.writeFile(temp, data),
  );
}
