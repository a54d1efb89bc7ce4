// A real OCI registry for tests: Debian's docker-registry (distribution 2.8) on 127.0.0.1 with its own
// storage, optionally behind htpasswd authentication and/or TLS with a self-signed certificate.
import { join } from "node:path";
import { freePort, run } from "../helpers.ts";
import { waitFor } from "./wait.ts";

/**
 * A running registry. `stop()` kills it; `start()` brings it back on the same port and storage;
 * `await using registry = await startRegistry()` stops it and removes its folder at the end of the scope.
 */
export interface TestRegistry {
  /** `host:port` */
  host: string;
  /** `oci://host:port/charts` */
  base: string;
  /** CA certificate to trust, with TLS. */
  caFile?: string;
  username?: string;
  password?: string;
  storage: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Tags the registry holds for a repository (via the storage folder). */
  tags(repository: string): Promise<string[]>;
  /** Stops it and removes its storage, configuration and certificates. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts a registry. Options: `auth` (htpasswd user `ci` with a random password), `tls`. */
export async function startRegistry(options: { auth?: boolean; tls?: boolean } = {}): Promise<TestRegistry> {
  const dir = await Deno.makeTempDir({ prefix: "fastcs-registry-" });
  const port = freePort();
  const host = `127.0.0.1:${port}`;
  const storage = join(dir, "data");
  const lines = [
    "version: 0.1",
    "log:",
    "  level: error",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${storage}`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: ${host}`,
  ];
  let username: string | undefined, password: string | undefined, caFile: string | undefined;
  if (options.tls) {
    caFile = join(dir, "cert.pem");
    const key = join(dir, "key.pem");
    const r = await run("openssl", [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      caFile,
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ]);
    if (r.code !== 0) throw new Error(`openssl: ${r.stderr}`);
    lines.push("  tls:", `    certificate: ${caFile}`, `    key: ${key}`);
  }
  if (options.auth) {
    username = "ci";
    password = crypto.randomUUID();
    const htpasswd = join(dir, "htpasswd");
    const r = await run("htpasswd", ["-Bbn", username, password]);
    if (r.code !== 0) throw new Error(`htpasswd: ${r.stderr}`);
    await Deno.writeTextFile(htpasswd, r.stdout);
    lines.push("auth:", "  htpasswd:", "    realm: fastcs-test", `    path: ${htpasswd}`);
  }
  await Deno.writeTextFile(join(dir, "config.yml"), lines.join("\n") + "\n");
  let child: Deno.ChildProcess | undefined;
  const registry: TestRegistry = {
    host,
    base: `oci://${host}/charts`,
    caFile,
    username,
    password,
    storage,
    async start() {
      child = new Deno.Command("docker-registry", {
        args: ["serve", join(dir, "config.yml")],
        stdout: "null",
        stderr: "null",
      }).spawn();
      await waitFor(`docker-registry to listen on ${host}`, async () => {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        return true;
      }, { timeoutMs: 5_000, intervalMs: 50 });
    },
    async stop() {
      if (!child) return;
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
      child = undefined;
    },
    async [Symbol.asyncDispose]() {
      await this.stop();
      await Deno.remove(dir, { recursive: true });
    },
    async tags(repository: string) {
      try {
        return (await Array.fromAsync(
          Deno.readDir(join(storage, "docker/registry/v2/repositories", repository, "_manifests/tags")),
        )).map((e) => e.name).sort();
      } catch {
        return [];
      }
    },
  };
  await registry.start();
  return registry;
}
