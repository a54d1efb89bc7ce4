// Helpers of the end-to-end tests: the real tools from scripts/setup.sh, subprocesses, throw-away copies
// of the repository.
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of the repository checkout under test. */
export const REPO = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

/** The folder scripts/setup.sh fills: deno, helm3, helm4, kubectl (and scripts/setup-s3.sh: versitygw,
 * scripts/setup-cosign.sh: cosign). */
export function toolsBin(): string {
  const root = Deno.env.get("HELM_FASTCS_TOOLS") ??
    join(Deno.env.get("XDG_CACHE_HOME") ?? join(Deno.env.get("HOME")!, ".cache"), "helm-fastcs", "tools");
  return join(root, "bin");
}

/** Path of a tool installed by scripts/setup.sh (versitygw: scripts/setup-s3.sh, cosign:
 * scripts/setup-cosign.sh); throws with the fix when it is missing. */
export function tool(name: "deno" | "helm3" | "helm4" | "kubectl" | "versitygw" | "cosign"): string {
  const path = join(toolsBin(), name);
  try {
    Deno.statSync(path);
  } catch {
    const script = name === "versitygw"
      ? "scripts/setup-s3.sh"
      : name === "cosign"
      ? "scripts/setup-cosign.sh"
      : "scripts/setup.sh";
    throw new Error(`${path} is missing: run ${script} first (scripts/test.sh does)`);
  }
  return path;
}

/** What a finished subprocess left. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (stdin closed) and captures its output. */
export async function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const out = await new Deno.Command(cmd, { args, cwd: options.cwd, env: options.env, stdin: "null" })
    .output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** `deno` arguments that run `helm fastcs` straight from the sources, as the installed launcher does. */
export const CLI_ARGS = [
  "run",
  "--quiet",
  "--frozen",
  "--cached-only",
  "-A",
  "--config",
  join(REPO, "deno.json"),
  join(REPO, "src/main.ts"),
];

/** Runs `helm fastcs ARGS` straight from the sources (no Helm) to completion. */
export function cli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<RunResult> {
  return run(Deno.execPath(), [...CLI_ARGS, ...args], options);
}

/** Starts `helm fastcs ARGS` from the sources in the background, stdout and stderr piped. */
export function spawnCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [...CLI_ARGS, ...args],
    cwd: options.cwd,
    env: options.env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Ports {@link freePorts} handed out in this process (each only once). */
const handedOut = new Set<number>();

/**
 * `count` consecutive TCP ports free on 127.0.0.1 right now, for a process that a test starts later to
 * listen on (a simulated pod's debugpy, a control plane's component). They are taken below the kernel's
 * ephemeral range (/proc/sys/net/ipv4/ip_local_port_range, 32768-60999 by default), from which the kernel
 * hands out ports for bind(0) and for outgoing connections: a port from inside it could be given to any other
 * process (a `kubectl port-forward :REMOTE`, a connection to the API server) between this check and the
 * listen; below it, only a process that names the port itself can take it. Falls back to ports the kernel
 * chose when the range cannot be read.
 */
export function freePorts(count: number): number[] {
  let low = 0;
  try {
    low = Number(Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range").trim().split(/\s+/)[0]);
  } catch { /* not Linux */ }
  const first = 10_000;
  for (let attempt = 0; low - count > first && attempt < 1000; attempt++) {
    const base = first + Math.floor(Math.random() * (low - count - first));
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if (ports.some((p) => handedOut.has(p)) || !ports.every(canListen)) continue;
    ports.forEach((p) => handedOut.add(p));
    return ports;
  }
  for (;;) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const base = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if (ports.every(canListen)) return ports;
  }
}

/** A TCP port free on 127.0.0.1 right now ({@link freePorts}). */
export function freePort(): number {
  return freePorts(1)[0];
}

function canListen(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}
/** Files of the repository that make up the plugin and its charts (what `helm plugin install` sees). */
const PLUGIN_FILES = [
  "plugin.yaml",
  "install-binary.sh",
  "completion.yaml",
  "plugin.complete",
  "deno.json",
  "deno.lock",
  "src",
  "charts",
  "schemas",
];

/** A throw-away copy of the repository's plugin and charts (links kept), with its own git repo. */
export async function copyRepo(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "helm-fastcs-repo-" });
  const cp = await run("cp", ["-a", ...PLUGIN_FILES.map((f) => join(REPO, f)), dir]);
  if (cp.code !== 0) throw new Error(`copying the repo failed: ${cp.stderr}`);
  await run("git", ["init", "-q", dir]);
  return dir;
}

/** Helm's data, config and cache homes under `home`, so a test's Helm sees no plugin, repo or login of ours. */
export function helmHomes(home: string): Record<string, string> {
  return {
    HELM_DATA_HOME: join(home, "data"),
    HELM_CONFIG_HOME: join(home, "config"),
    HELM_CACHE_HOME: join(home, "cache"),
  };
}

/** Environment for a Helm with its own homes under `home` ({@link helmHomes}) and the tools on PATH. */
export function helmEnv(home: string): Record<string, string> {
  return { ...helmHomes(home), PATH: `${toolsBin()}:${Deno.env.get("PATH")}` };
}

/** Environment for `helm plugin install` of a checkout in source mode: {@link helmEnv}, the tools' Deno and
 * `denoDir` as the plugin's dependency cache. */
export function sourceInstallEnv(home: string, denoDir: string): Record<string, string> {
  return { ...helmEnv(home), HELM_FASTCS_DENO: tool("deno"), HELM_FASTCS_DENO_DIR: denoDir };
}

/**
 * Runs `helm fastcs ARGS` at a terminal: util-linux `script` gives it a pseudo-terminal, `input` is typed
 * into it (and kept open until the command ends). Returns the exit code and what the terminal showed
 * (stdout and stderr together, with "\r\n" line ends).
 */
export async function cliAtTerminal(
  args: string[],
  input: string,
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; screen: string }> {
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const command = [Deno.execPath(), ...CLI_ARGS, ...args].map(quote).join(" ");
  const child = new Deno.Command("script", {
    args: ["--quiet", "--return", "--command", command, "/dev/null"],
    cwd: options.cwd,
    env: options.env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  const screen = new Response(child.stdout).text();
  const errors = new Response(child.stderr).text();
  const { code } = await child.status;
  await writer.close().catch(() => {});
  return { code, screen: (await screen) + (await errors) };
}

/** A folder to use as PATH (`path`): every command of /usr/bin and /bin except `without` (symbolic links);
 * removed on dispose (`await using`). */
export async function pathWithout(without: string): Promise<{ path: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: `fastcs-no-${without}-` });
  for (const from of ["/usr/bin", "/bin"]) {
    for await (const e of Deno.readDir(from)) {
      if (e.name === without) continue;
      await Deno.symlink(join(from, e.name), join(dir, e.name)).catch(() => {}); // /bin may be /usr/bin
    }
  }
  return { path: dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

/** The Kubernetes JSON schemas scripts/setup.sh unpacks (kubernetes-validate's v1.33.0-local folder). */
export function k8sSchemasDir(): string {
  const dir = join(toolsBin(), "..", "k8s-schemas", "1.37.0");
  try {
    Deno.statSync(join(dir, "v1.33.0-local", "_definitions.json"));
  } catch {
    throw new Error(`${dir} is missing: run scripts/setup.sh first (scripts/test.sh does)`);
  }
  return dir;
}
