// The real cosign for tests (built by scripts/setup-cosign.sh): key pairs made by `cosign generate-key-pair`,
// an environment that keeps cosign offline and out of the user's home, and `cosign verify` of a digest.
import { join } from "node:path";
import { run, type RunResult, tool } from "../helpers.ts";
import { tempDir } from "./files.ts";

/** A cosign key pair in a folder of its own, and the password its private key is encrypted with; the folder
 * is removed when disposed (`await using keys = await cosignKeyPair()`). */
export interface CosignKeys extends AsyncDisposable {
  key: string;
  pub: string;
  password: string;
}

/** Generates a key pair with the real cosign (COSIGN_PASSWORD set, as in CI). */
export async function cosignKeyPair(password: string = crypto.randomUUID()): Promise<CosignKeys> {
  await using stack = new AsyncDisposableStack();
  const dir = stack.use(await tempDir("fastcs-cosign-keys-")).path;
  const r = await run(tool("cosign"), ["generate-key-pair"], {
    cwd: dir,
    env: { ...(await cosignEnv()), COSIGN_PASSWORD: password },
  });
  if (r.code !== 0) throw new Error(`cosign generate-key-pair: ${r.stderr}`);
  const resources = stack.move();
  return {
    key: join(dir, "cosign.key"),
    pub: join(dir, "cosign.pub"),
    password,
    [Symbol.asyncDispose]: () => resources.disposeAsync(),
  };
}

/**
 * Environment for cosign in tests: its TUF cache in a folder of its own (not ~/.sigstore), and the public
 * Sigstore services made unreachable through a proxy that does not exist, so a test never uploads to
 * Rekor, also on a machine with internet (Go never proxies loopback addresses: the local registry is
 * reached directly; NO_PROXY says the same for Deno's fetch).
 */
export async function cosignEnv(): Promise<Record<string, string>> {
  return {
    TUF_ROOT: await Deno.makeTempDir({ prefix: "fastcs-tuf-" }),
    HTTPS_PROXY: "http://127.0.0.1:9",
    NO_PROXY: "127.0.0.1,localhost",
  };
}

/**
 * `cosign verify --key PUB` of `reference` (`host/path@sha256:…`) over plain HTTP, without the log; with
 * `login`, as that user of the registry (a docker config of its own).
 */
export async function cosignVerify(
  reference: string,
  pub: string,
  login?: { username: string; password: string },
): Promise<RunResult> {
  const env = await cosignEnv();
  await using folder = await tempDir("fastcs-docker-config-");
  if (login) {
    const dir = folder.path;
    const auth = btoa(`${login.username}:${login.password}`);
    await Deno.writeTextFile(
      join(dir, "config.json"),
      JSON.stringify({ auths: { [reference.split("/")[0]]: { auth } } }),
    );
    env.DOCKER_CONFIG = dir;
  }
  return await run(tool("cosign"), [
    "verify",
    "--key",
    pub,
    "--allow-http-registry",
    "--insecure-ignore-tlog=true",
    reference,
  ], { env });
}

/** `cosign sign --key KEY` of `reference` over plain HTTP, without the log (the test's own signing). */
export async function cosignSign(reference: string, keys: CosignKeys): Promise<RunResult> {
  return await run(tool("cosign"), [
    "sign",
    "--key",
    keys.key,
    "--allow-http-registry",
    "--tlog-upload=false",
    "--yes",
    reference,
  ], { env: { ...(await cosignEnv()), COSIGN_PASSWORD: keys.password } });
}
