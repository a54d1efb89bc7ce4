// What "the same chart" means when deciding whether a version is already published: the same files with
// the same bytes. The .tgz bytes are no good for that: Helm 3 writes the packaging time into the archive,
// so the same chart packaged twice gives two digests.
import { Buffer } from "node:buffer";
import { tarExtract } from "../deps/tar.ts";
import { sha256Hex } from "../runtime/digest.ts";

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
  const compressed = await Deno.readFile(tgzPath);
  const tar = new Uint8Array(
    await new Response(new Blob([compressed]).stream().pipeThrough(new DecompressionStream("gzip")))
      .arrayBuffer(),
  );
  const extract = tarExtract();
  const lines: string[] = [];
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      if (entry.header.type === "file") {
        let bytes: Uint8Array | string = Buffer.concat(chunks);
        // `helm dependency build` stamps Chart.lock with the time it ran: no part of the chart's content.
        if (entry.header.name.endsWith("/Chart.lock")) {
          bytes = new TextDecoder().decode(bytes).replace(/^generated: .*$/m, "");
        }
        lines.push(`${entry.header.name}\0${await sha256Hex(bytes)}`);
      }
    }
  })();
  extract.end(Buffer.from(tar));
  await done;
  return `sha256:${await sha256Hex(lines.sort().join("\n"))}`;
}
