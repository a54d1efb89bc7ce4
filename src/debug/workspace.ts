// The editable workspace of a debug session: the release's `<release>-develop` PVC mounted on a local
// folder with pv-mounter, and VS Code opened on it. Both are optional extras: what is missing is said,
// never fatal.
import { join } from "node:path";
import type { Adapters } from "../adapters/factory.ts";
import type { KubeTarget } from "../adapters/kube.ts";
import type { Context } from "../runtime/context.ts";
import { findOnPath } from "../runtime/fs.ts";

/** A mounted workspace: the local folder and how to unmount it. */
export interface Workspace {
  /** The local folder the PVC is mounted on (a fresh temporary folder). */
  dir: string;
  /** The project folder inside the mount (`<dir>/workspaces`), the local root of the source. */
  projectRoot: string;
  /** Unmounts (pv-mounter clean) and removes the folder; never throws. */
  unmount(): Promise<void>;
}

/**
 * Mounts the PVC `<release>-develop` of `target`'s namespace with pv-mounter (when it is on PATH) and,
 * with `editor`, opens VS Code on the project folder (the `code` the PATH lookup finds: `code.cmd` on
 * Windows). Returns undefined, having said why, when pv-mounter is missing or the mount fails.
 *
 * `o.recording` is told of the mount before pv-mounter starts (so that a plugin killed while it mounts leaves
 * a session record that `debug clean` acts on) and told `undefined` when the mount failed.
 */
export async function mountWorkspace(
  ctx: Context,
  adapters: Adapters,
  target: KubeTarget,
  release: string,
  o: { editor: boolean; recording?: (mount: { pvc: string; dir: string } | undefined) => Promise<void> },
): Promise<Workspace | undefined> {
  const pvc = `${release}-develop`;
  const bin = await findOnPath("pv-mounter");
  if (!bin) {
    ctx.log.info(
      `To edit the source in PVC ${pvc} locally, install pv-mounter (kubectl krew install pv-mounter); then rerun.`,
    );
    return undefined;
  }
  const pvMounter = adapters.pvMounter(bin, target);
  const dir = await Deno.makeTempDir({ prefix: `${release}-develop-` });
  await o.recording?.({ pvc, dir });
  const mounted = await pvMounter.mount(pvc, dir);
  if (mounted.code !== 0) {
    ctx.log.warn(`pv-mounter could not mount PVC ${pvc}: ${mounted.stderr.trim()}`);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await o.recording?.(undefined);
    return undefined;
  }
  ctx.log.info(`PVC ${pvc} mounted at ${dir}`);
  const projectRoot = join(dir, "workspaces");
  if (o.editor) {
    const code = await findOnPath("code");
    if (code) await ctx.run(code, [projectRoot], { cwd: ctx.cwd });
  }
  return {
    dir,
    projectRoot,
    unmount: async () => {
      const r = await pvMounter.clean(pvc, dir).catch((e) => ({ code: 1, stderr: String(e) }));
      if (r.code !== 0) ctx.log.warn(`pv-mounter could not unmount ${dir}: ${r.stderr.trim()}`);
      else await Deno.remove(dir).catch(() => {});
    },
  };
}
