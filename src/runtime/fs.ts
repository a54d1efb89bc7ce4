// Small file-system questions asked in several places, and how paths are shown to people.
import { relative } from "node:path";

/** True when something (file, folder, link target) exists at `path`. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Path as shown to people: relative to the working directory when inside it. */
export function displayPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel === "" ? "." : rel.startsWith("..") ? path : rel;
}
