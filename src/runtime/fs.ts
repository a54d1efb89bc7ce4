// Small file-system questions asked in several places, and how paths are shown to people.
import { delimiter, dirname, join, relative, resolve } from "node:path";

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

/**
 * The executable `name` would run as, looked up in `path` (a PATH value: ":"-separated, ";" on Windows,
 * where the PATHEXT extensions are tried too, as cmd.exe does), or undefined. On Linux and macOS only
 * files with an execute bit count. No shell is involved.
 */
export async function findOnPath(
  name: string,
  path = Deno.env.get("PATH") ?? "",
  windows = Deno.build.os === "windows",
): Promise<string | undefined> {
  const extensions = windows
    ? ["", ...(Deno.env.get("PATHEXT") ?? ".COM;.EXE;.BAT;.CMD").split(";").filter(Boolean)]
    : [""];
  for (const dir of path.split(windows ? ";" : delimiter)) {
    if (!dir) continue;
    for (const ext of extensions) {
      const candidate = join(dir, name + ext);
      try {
        const info = await Deno.stat(candidate);
        if (info.isFile && (windows || ((info.mode ?? 0) & 0o111) !== 0)) return candidate;
      } catch { /* not here */ }
    }
  }
  return undefined;
}

/**
 * The bytes of `path`, following what git writes for a symbolic link where it makes none
 * (core.symlinks=false, the default of Git for Windows): a small file holding only the target's relative
 * path. Such a file is read through when that target exists; any other file is returned as it is.
 *
 * @throws Deno.errors.NotFound when `path` does not exist.
 */
export async function readThroughLink(path: string): Promise<Uint8Array> {
  const bytes = await Deno.readFile(path);
  if (bytes.length > 0 && bytes.length < 1024) {
    const text = new TextDecoder().decode(bytes);
    if (!/[\n\r\0{]/.test(text) && !text.startsWith("/")) {
      const target = resolve(dirname(path), text.replaceAll("\\", "/"));
      try {
        if ((await Deno.stat(target)).isFile) return await Deno.readFile(target);
      } catch { /* not a link placeholder */ }
    }
  }
  return bytes;
}
