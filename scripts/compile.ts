// Builds the per-platform release archives with `deno compile`:
//   dist/helm-fastcs-<os>-<arch>.tar.gz (zip for Windows), each holding bin/helm-fastcs[.exe], and
//   dist/SHA256SUMS. Names follow Go's os/arch, as install-binary.sh expects.
//
//   deno task compile                     every target (needs Deno's runtime download, dl.deno.land)
//   deno task compile --only linux-amd64  one target
//   deno task compile --list              print the plan, build nothing
//
// `deno compile` starts from a small runtime (denort) that it downloads per target. Where that host is
// not reachable, DENORT_BIN names a local denort of the same Deno version for the one target built
// (with --only). Without either, this fails and says so.
import { join, resolve } from "node:path";

interface Target {
  os: string;
  arch: string;
  /** Rust target triple `deno compile --target` takes. */
  triple: string;
}

/** Every platform a release ships. */
export const TARGETS: Target[] = [
  { os: "linux", arch: "amd64", triple: "x86_64-unknown-linux-gnu" },
  { os: "linux", arch: "arm64", triple: "aarch64-unknown-linux-gnu" },
  { os: "darwin", arch: "amd64", triple: "x86_64-apple-darwin" },
  { os: "darwin", arch: "arm64", triple: "aarch64-apple-darwin" },
  { os: "windows", arch: "amd64", triple: "x86_64-pc-windows-msvc" },
];

/** The archive name of a target. */
export function archiveName(t: Target): string {
  return `helm-fastcs-${t.os}-${t.arch}.${t.os === "windows" ? "zip" : "tar.gz"}`;
}

const repo = resolve(new URL("..", import.meta.url).pathname);

async function sh(cmd: string, args: string[], cwd = repo): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "inherit", stderr: "piped" }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function die(message: string): never {
  console.error(`compile: error: ${message}`);
  Deno.exit(1);
}

if (import.meta.main) {
  const args = [...Deno.args];
  const flag = (name: string) => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const value = args[i + 1];
    args.splice(i, 2);
    return value;
  };
  const list = args.includes("--list");
  const only = flag("--only");
  const out = resolve(flag("--out") ?? join(repo, "dist"));
  const targets = only ? TARGETS.filter((t) => `${t.os}-${t.arch}` === only) : TARGETS;
  if (targets.length === 0) {
    die(`unknown target ${only}; targets: ${TARGETS.map((t) => `${t.os}-${t.arch}`).join(", ")}`);
  }
  if (list) {
    for (const t of targets) console.log(`${t.os}-${t.arch}\t${t.triple}\t${archiveName(t)}`);
    Deno.exit(0);
  }
  const denort = Deno.env.get("DENORT_BIN");
  if (denort) {
    try {
      Deno.statSync(denort);
    } catch {
      die(`DENORT_BIN=${denort} does not exist`);
    }
    if (targets.length > 1) {
      die("DENORT_BIN is the runtime of one target: build that one with --only <os>-<arch>");
    }
  }
  await Deno.mkdir(out, { recursive: true });
  const sums: string[] = [];
  for (const t of targets) {
    const stage = await Deno.makeTempDir();
    const exe = join(stage, "bin", t.os === "windows" ? "helm-fastcs.exe" : "helm-fastcs");
    console.error(`compile: ${t.os}-${t.arch} (${t.triple})`);
    const r = await sh(Deno.execPath(), [
      "compile",
      "--frozen",
      "--target",
      t.triple,
      "--output",
      exe,
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-run",
      "--allow-net",
      "--allow-sys",
      "--config",
      join(repo, "deno.json"),
      join(repo, "src/main.ts"),
    ]);
    if (r.code !== 0) {
      die(
        `deno compile for ${t.triple} failed: ${r.stderr.trim().split("\n").pop()}\n` +
          (denort
            ? "  Check that DENORT_BIN is a denort of this Deno version for that target."
            : "  deno compile downloads the Deno runtime (denort) for each target; where that download is not " +
              "reachable, set DENORT_BIN to a local denort binary and build one target with --only."),
      );
    }
    const archive = join(out, archiveName(t));
    await Deno.remove(archive).catch(() => {});
    const packed = t.os === "windows"
      ? await sh("zip", ["-qr", archive, "bin"], stage)
      : await sh("tar", ["-czf", archive, "-C", stage, "bin"]);
    if (packed.code !== 0) die(`packing ${archive} failed: ${packed.stderr}`);
    sums.push(`${await sha256(archive)}  ${archiveName(t)}`);
    await Deno.remove(stage, { recursive: true });
  }
  await Deno.writeTextFile(join(out, "SHA256SUMS"), sums.join("\n") + "\n");
  console.error(`compile: ${targets.length} archive(s) and SHA256SUMS in ${out}`);
}
