// Reading a packaged chart (.tgz: a gzip-compressed tar, as `helm package` writes it) without unpacking it
// to disk: its regular files, or those a caller picks, as bytes.
import { Buffer } from "node:buffer";
import { tarExtract } from "../deps/tar.ts";

/**
 * The regular files of the chart package `tgz` (a file path, or the package's bytes: a sub-chart's .tgz
 * inside its parent's package) whose archive path `wanted` accepts (all when absent), as a map from
 * archive path (e.g. `fastcs/values.yaml`) to bytes, in archive order.
 *
 * @throws the read error, or the gzip/tar error of a damaged archive
 */
export async function packageFiles(
  tgz: string | Uint8Array<ArrayBuffer>,
  wanted: (path: string) => boolean = () => true,
): Promise<Map<string, Uint8Array>> {
  const compressed = typeof tgz === "string" ? await Deno.readFile(tgz) : tgz;
  const tar = new Uint8Array(
    await new Response(new Blob([compressed]).stream().pipeThrough(new DecompressionStream("gzip")))
      .arrayBuffer(),
  );
  const extract = tarExtract();
  const files = new Map<string, Uint8Array>();
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      if (entry.header.type === "file" && wanted(entry.header.name)) {
        files.set(entry.header.name, Buffer.concat(chunks));
      }
    }
  })();
  extract.end(Buffer.from(tar));
  await done;
  return files;
}
