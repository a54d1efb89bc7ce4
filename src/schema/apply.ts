// Bringing the disk in line with a schema plan: comparing (`--check`) and writing, all or nothing. Every
// new file content is staged beside its destination and renamed into place only when all are staged.
import { basename, dirname, join } from "node:path";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { pathExists, readTextIfReadable } from "../runtime/fs.ts";
import type { PlannedFile, SchemaPlan } from "./plan.ts";

/** A file on disk that differs from the plan. */
export interface StaleFile {
  path: string;
  chart?: string;
  reason: "missing" | "content differs" | "link points elsewhere" | "dangling link";
}

/**
 * Compares the plan with the disk without writing anything. In place of a link, two things are accepted:
 * a copy with the same bytes (systems that cannot make links), and the small text file holding just the
 * link's target that git checks a link out as where it makes no links (core.symlinks=false, the default
 * of Git for Windows).
 */
export async function checkPlan(plan: SchemaPlan): Promise<StaleFile[]> {
  const stale: StaleFile[] = [];
  for (const file of plan.files) {
    let info: Deno.FileInfo | undefined;
    try {
      info = await Deno.lstat(file.path);
    } catch {
      stale.push({ path: file.path, chart: file.chart, reason: "missing" });
      continue;
    }
    if (file.linkTarget !== undefined && info.isSymlink) {
      if (await Deno.readLink(file.path) !== file.linkTarget) {
        stale.push({ path: file.path, chart: file.chart, reason: "link points elsewhere" });
      }
      continue;
    }
    // A checkout with core.autocrlf=true (Git for Windows' default) has CRLF line ends: the same content.
    const text = (await readTextIfReadable(file.path))?.replaceAll("\r\n", "\n");
    if (file.linkTarget !== undefined && text !== undefined && info.size < 4096 && text !== file.content) {
      const slashes = (p: string) => p.replaceAll("\\", "/");
      if (slashes(text) === slashes(file.linkTarget)) continue;
      if (!text.includes("\n") && text.endsWith(".json")) {
        stale.push({ path: file.path, chart: file.chart, reason: "link points elsewhere" });
        continue;
      }
    }
    if (text !== file.content) {
      stale.push({ path: file.path, chart: file.chart, reason: "content differs" });
    }
  }
  for (const path of plan.dangling) stale.push({ path, reason: "dangling link" });
  return stale;
}

/** What {@link applyPlan} did to one file. */
export interface WrittenFile {
  path: string;
  chart?: string;
  action: "written" | "linked" | "copied" | "unchanged" | "removed";
}

/** Options of {@link applyPlan}. */
export interface ApplyOptions {
  /** True once the user asked to stop (Ctrl+C): staging stops, staged files are removed, nothing changes. */
  stopRequested?: () => boolean;
}

/** A file written next to its destination, to be renamed over it once every file is staged. */
interface Staged {
  file: PlannedFile;
  temp: string;
  action: WrittenFile["action"];
}

// Hidden and named for us, in the destination's folder so that the rename is atomic.
function tempName(path: string): string {
  const random = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  return join(dirname(path), `.${basename(path)}.fastcs-${Deno.pid}-${random}.tmp`);
}

/** How old a temporary file of a dead process must be before a later run removes it (ms). */
const LEFTOVER_AGE_DEAD_MS = 60_000;
/** How old any temporary file of ours must be before a later run removes it (ms): no staging lasts this long. */
const LEFTOVER_AGE_ANY_MS = 3_600_000;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** True unless the process is known to be gone: only Linux's /proc says so; elsewhere it is assumed alive. */
async function processMayBeAlive(pid: number): Promise<boolean> {
  if (pid === Deno.pid) return true;
  if (Deno.build.os !== "linux") return true;
  return await pathExists(`/proc/${pid}`);
}

/**
 * Finds the hidden temporary files that a run killed while staging (SIGKILL, power loss) left beside the
 * planned files, named as {@link tempName} names them. One is a leftover when its process is gone (Linux)
 * and it is older than a minute, or when it is older than an hour (a staging takes milliseconds), so a run
 * going on at the same time keeps its own.
 *
 * @param paths the planned files' absolute paths
 * @returns absolute paths of the leftovers, sorted
 */
async function findLeftovers(paths: string[]): Promise<string[]> {
  const now = Date.now();
  const byFolder = new Map<string, Set<string>>();
  for (const path of paths) {
    const names = byFolder.get(dirname(path)) ?? new Set<string>();
    names.add(basename(path));
    byFolder.set(dirname(path), names);
  }
  const found: string[] = [];
  for (const [folder, names] of byFolder) {
    const pattern = new RegExp(
      `^\\.(${[...names].map(escapeRegExp).join("|")})\\.fastcs-(\\d+)-[0-9a-z]+\\.tmp$`,
    );
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(folder));
    } catch {
      continue; // a folder yet to be made holds nothing
    }
    for (const entry of entries) {
      const match = entry.isFile || entry.isSymlink ? pattern.exec(entry.name) : null;
      if (!match) continue;
      const path = join(folder, entry.name);
      const info = await Deno.lstat(path).catch(() => undefined);
      const age = now - (info?.mtime?.getTime() ?? now);
      if (
        age > LEFTOVER_AGE_ANY_MS || (age > LEFTOVER_AGE_DEAD_MS && !(await processMayBeAlive(+match[2])))
      ) {
        found.push(path);
      }
    }
  }
  return found.sort();
}

async function removeAll(paths: string[]) {
  await Promise.all(paths.map((p) => Deno.remove(p).catch(() => {})));
}

function writeError(path: string, error: unknown, staged: boolean, done: string[]): FastcsError {
  if (error instanceof FastcsError) return error;
  const state = staged
    ? `Nothing was changed.`
    : `Written before the failure: ${done.length === 0 ? "none" : done.join(", ")}; the rest is unchanged.`;
  return new FastcsError(`cannot write ${path}: ${(error as Error).message}`, {
    code: "io.write",
    exitCode: ExitCode.environment,
    hint: `${state} Fix the cause (permissions, free space) and run again.`,
    cause: error,
  });
}

/**
 * Writes what differs, all or nothing: every new file content (schemas, service schemas, copies) is first
 * staged in a hidden temporary file beside its destination; only when all are staged are they renamed into
 * place, then links are made, dangling links removed and so are the temporary files a killed run left
 * ({@link findLeftovers}). A failure or an interrupt while staging removes the
 * staged files and changes nothing; a failure after that names what was written.
 *
 * @throws FastcsError exit code 6 naming the file that could not be written; 130 when interrupted while
 *   staging (nothing written)
 */
export async function applyPlan(plan: SchemaPlan, options: ApplyOptions = {}): Promise<WrittenFile[]> {
  const stale = new Map((await checkPlan(plan)).map((s) => [s.path, s]));
  const staged: Staged[] = [];
  const links: PlannedFile[] = [];
  const done: WrittenFile[] = [];
  for (const file of plan.files) {
    if (!stale.has(file.path)) done.push({ path: file.path, chart: file.chart, action: "unchanged" });
    else if (file.linkTarget !== undefined && file.links !== "copy") links.push(file);
    else {staged.push({
        file,
        temp: tempName(file.path),
        action: file.linkTarget === undefined ? "written" : "copied",
      });}
  }
  // Stage. Folders made for the new files are removed again if the run stops here.
  const madeFolders: string[] = [];
  const abandon = async (upTo: number) => {
    await removeAll(staged.slice(0, upTo).map((x) => x.temp));
    for (const dir of madeFolders) await Deno.remove(dir).catch(() => {}); // deepest first
  };
  for (const [i, s] of staged.entries()) {
    try {
      for (let dir = dirname(s.file.path); !(await pathExists(dir)); dir = dirname(dir)) {
        madeFolders.push(dir);
      }
      await Deno.mkdir(dirname(s.file.path), { recursive: true });
      await Deno.writeTextFile(s.temp, s.file.content, { createNew: true });
    } catch (error) {
      await abandon(i + 1);
      throw writeError(s.file.path, error, true, []);
    }
    if (options.stopRequested?.()) {
      await abandon(staged.length);
      throw new FastcsError("interrupted: nothing was written", {
        code: "interrupted",
        exitCode: ExitCode.interrupted,
      });
    }
  }
  // Commit: renames are atomic per file and do not fail for lack of space.
  const written: string[] = [];
  for (const [i, s] of staged.entries()) {
    try {
      await Deno.rename(s.temp, s.file.path);
    } catch (error) {
      await removeAll(staged.slice(i).map((x) => x.temp));
      throw writeError(s.file.path, error, false, written);
    }
    written.push(s.file.path);
    done.push({ path: s.file.path, chart: s.file.chart, action: s.action });
  }
  for (const file of links) {
    try {
      await Deno.mkdir(dirname(file.path), { recursive: true });
      const temp = tempName(file.path);
      try {
        await Deno.symlink(file.linkTarget!, temp);
        await Deno.rename(temp, file.path);
      } catch (error) {
        await removeAll([temp]);
        throw error;
      }
      done.push({ path: file.path, chart: file.chart, action: "linked" });
    } catch (error) {
      if (file.links === "link") {
        throw new FastcsError(`cannot create link ${file.path}: ${(error as Error).message}`, {
          code: "io.link",
          exitCode: ExitCode.environment,
          hint:
            "Set links: copy (or auto) in .schema.yaml where links cannot be made (Windows without link " +
            `rights). Written before: ${written.length === 0 ? "none" : written.join(", ")}.`,
          cause: error,
        });
      }
      // auto: a copy where links cannot be made.
      const temp = tempName(file.path);
      try {
        await Deno.writeTextFile(temp, file.content, { createNew: true });
        await Deno.remove(file.path).catch(() => {});
        await Deno.rename(temp, file.path);
      } catch (copyError) {
        await removeAll([temp]);
        throw writeError(file.path, copyError, false, written);
      }
      done.push({ path: file.path, chart: file.chart, action: "copied" });
    }
    written.push(file.path);
  }
  for (const path of plan.dangling) {
    await Deno.remove(path);
    done.push({ path, action: "removed" });
  }
  // What a killed run left behind (said, so nothing disappears unexplained).
  for (const path of await findLeftovers(plan.files.map((f) => f.path))) {
    if (await Deno.remove(path).then(() => true, () => false)) done.push({ path, action: "removed" });
  }
  const order = new Map(plan.files.map((f, i) => [f.path, i]));
  return done.sort((a, b) => (order.get(a.path) ?? Infinity) - (order.get(b.path) ?? Infinity));
}
