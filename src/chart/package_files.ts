// Reading a packaged chart (.tgz: a gzip-compressed tar, as `helm package` writes it) without unpacking it
// to disk: its regular files, or those a caller picks, as bytes. Within Helm's own limits for loading a
// chart archive, so that a package Helm would refuse (a gzip bomb) cannot fill the memory first.
import { Buffer } from "node:buffer";
import { tarExtract } from "../deps/tar.ts";

/** Helm's limit on the decompressed size of a chart archive's files together, in bytes (100 MiB: Helm
 * 3.17 and 4.1, `loader.MaxDecompressedChartSize`). */
export const MAX_DECOMPRESSED_CHART = 100 * 1024 * 1024;
/** Helm's limit on one decompressed file of a chart archive, in bytes (5 MiB, `loader.MaxDecompressedFileSize`). */
export const MAX_DECOMPRESSED_FILE = 5 * 1024 * 1024;
/** The tar stream around the files (headers, padding) may add this much before reading stops. */
const TAR_OVERHEAD = 16 * 1024 * 1024;

/**
 * The regular files of the chart package `tgz` (a file path, or the package's bytes: a sub-chart's .tgz
 * inside its parent's package) whose archive path `wanted` accepts (all when absent), as a map from
 * archive path (e.g. `fastcs/values.yaml`) to bytes, in archive order. Reading stops, as Helm's does, at a
 * file over {@link MAX_DECOMPRESSED_FILE} or files over {@link MAX_DECOMPRESSED_CHART} together.
 *
 * @throws the read error, the gzip/tar error of a damaged archive, or an Error naming the limit exceeded
 */
export async function packageFiles(
  tgz: string | Uint8Array<ArrayBuffer>,
  wanted: (path: string) => boolean = () => true,
): Promise<Map<string, Uint8Array>> {
  const compressed = typeof tgz === "string" ? await Deno.readFile(tgz) : tgz;
  const tooLarge = (what: string, limit: number) =>
    new Error(`${what} is larger than Helm's limit for a chart archive (${limit / 1024 / 1024} MiB)`);
  const chunks: Uint8Array[] = [];
  let read = 0;
  const reader = new Blob([compressed]).stream().pipeThrough(new DecompressionStream("gzip")).getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    read += r.value.length;
    if (read > MAX_DECOMPRESSED_CHART + TAR_OVERHEAD) {
      await reader.cancel();
      throw tooLarge("the decompressed chart", MAX_DECOMPRESSED_CHART);
    }
    chunks.push(r.value);
  }
  const extract = tarExtract();
  const files = new Map<string, Uint8Array>();
  let total = 0;
  const done = (async () => {
    for await (const entry of extract) {
      if (entry.header.type === "file") {
        const size = entry.header.size ?? 0;
        if (size > MAX_DECOMPRESSED_FILE) {
          throw tooLarge(`the decompressed file ${entry.header.name}`, MAX_DECOMPRESSED_FILE);
        }
        total += size;
        if (total > MAX_DECOMPRESSED_CHART) throw tooLarge("the decompressed chart", MAX_DECOMPRESSED_CHART);
      }
      const parts: Buffer[] = [];
      for await (const chunk of entry) parts.push(chunk as Buffer);
      if (entry.header.type === "file" && wanted(entry.header.name)) {
        files.set(entry.header.name, Buffer.concat(parts));
      }
    }
  })();
  extract.end(Buffer.concat(chunks));
  await done;
  return files;
}
