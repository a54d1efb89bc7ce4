// Small file-system questions asked in several places, and how paths are shown to people.
import { basename, delimiter, dirname, isAbsolute, join, relative, resolve } from "node:path";

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
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return path; // a URL or an OCI reference
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

/** `path` with every symbolic link in its existing part resolved (the rest appended as written). */
export async function resolveLinks(path: string): Promise<string> {
  const absolute = resolve(path);
  let existing = absolute;
  const rest: string[] = [];
  while (true) {
    try {
      return join(await Deno.realPath(existing), ...rest);
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return absolute;
      rest.unshift(basename(existing));
      existing = parent;
    }
  }
}

/** Why a path may not be written: outside the allowed folder, inside its `.git` folder, one of the run's
 * inputs, or an existing folder. */
export type WriteRefusal = "outside" | "git" | "input" | "folder";

/**
 * The one rule every file the plugin writes follows: it must resolve (symbolic links followed, in its
 * folders and, when it exists, itself) inside `root`, and must not be one of the run's inputs. Links are
 * resolved once per path, so checking many files against many inputs stays linear.
 */
export class WriteGuard {
  #root: Promise<string>;
  #inputs = new Set<string>();

  /** @param root the folder every write must stay in (the repository, or a folder the user named) */
  constructor(root: string) {
    this.#root = resolveLinks(root);
  }

  /** Adds files the run reads; a write to any of them is refused. */
  async addInputs(paths: string[]) {
    for (const p of await Promise.all(paths.map((i) => resolveLinks(i)))) this.#inputs.add(p);
  }

  /** Undefined when `path` may be written, else why not. */
  async refusal(path: string): Promise<WriteRefusal | undefined> {
    const root = await this.#root;
    const target = join(await resolveLinks(dirname(path)), basename(path));
    const itself = await resolveLinks(target);
    for (const p of [target, itself]) {
      const rel = relative(root, p);
      if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return "outside";
      if (rel.split(/[\\/]/)[0] === ".git") return "git";
    }
    if (this.#inputs.has(target) || this.#inputs.has(itself)) return "input";
    return (await Deno.lstat(path).then((i) => i.isDirectory, () => false)) ? "folder" : undefined;
  }
}

/**
 * Copies the folder `from` to `to` (which must not exist): files with their permissions, symbolic links as
 * links, folders recursively. No shell or `cp` (a stock Windows machine has none).
 *
 * @throws the file system's error for the first entry that cannot be copied
 */
export async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isSymlink) await Deno.symlink(await Deno.readLink(source), target);
    else if (entry.isDirectory) await copyTree(source, target);
    else await Deno.copyFile(source, target);
  }
}

/**
 * Writes `dest` so that it is never seen half-written: `fill` writes a hidden temporary file beside it
 * (`.<name>.fastcs-<pid>.tmp`, same folder so the rename is atomic), which is then renamed over `dest`.
 *
 * @throws what `fill` or the rename threw, after removing the temporary file
 */
export async function writeThroughTemp(dest: string, fill: (temp: string) => Promise<void>): Promise<void> {
  const temp = join(dirname(dest), `.${basename(dest)}.fastcs-${Deno.pid}.tmp`);
  try {
    await fill(temp);
    await Deno.rename(temp, dest);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/** Copies a file so that `dest` is never seen half-written ({@link writeThroughTemp}). */
export async function copyThroughTemp(from: string, dest: string): Promise<void> {
  await writeThroughTemp(dest, (temp) => Deno.copyFile(from, temp));
}

/** A file's text, or undefined when it cannot be read (missing, a folder, no permission). */
export async function readTextIfReadable(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
}
