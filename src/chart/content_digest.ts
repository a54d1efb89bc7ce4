// What "the same chart" means when deciding whether a version is already published: the same files with
// the same bytes. The .tgz bytes are no good for that: Helm 3 writes the packaging time into the archive,
// so the same chart packaged twice gives two digests.
import { sha256Hex } from "../runtime/digest.ts";
import { packageFiles } from "./package_files.ts";

/** sha256 of a file's bytes, as `sha256sum` prints it (hex). */
export async function fileSha256(path: string): Promise<string> {
  return await sha256Hex(await Deno.readFile(path));
}

/**
 * The content digest of a packaged chart: `sha256:` + the SHA-256 of the sorted list of
 * `path NUL sha256(bytes)` lines of its regular files. Equal for equal charts, whatever the archive's
 * timestamps, order or compression, and whatever time Chart.lock's `generated:` records.
 */
export async function chartContentDigest(tgzPath: string): Promise<string> {
  const lines: string[] = [];
  for (const [name, content] of await packageFiles(tgzPath)) {
    let bytes: Uint8Array | string = content;
    // `helm dependency build` stamps Chart.lock with the time it ran: no part of the chart's content.
    if (name.endsWith("/Chart.lock")) bytes = new TextDecoder().decode(bytes).replace(/^generated: .*$/m, "");
    lines.push(`${name}\0${await sha256Hex(bytes)}`);
  }
  return `sha256:${await sha256Hex(lines.sort().join("\n"))}`;
}
