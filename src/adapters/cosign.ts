// Typed wrapper over the real cosign CLI (Sigstore, https://docs.sigstore.dev/cosign/): signing a chart
// pushed to an OCI registry by its manifest digest, verifying such a signature with a public key, and
// deriving the public key of a private key (which proves the key and its password before anything is
// pushed). Every cosign command line is built here. The key's password goes to cosign in its own
// COSIGN_PASSWORD variable, never in argv; registry credentials are Helm's (a docker-style config that
// DOCKER_CONFIG points at). Checked against cosign v2.6.5.
import { basename, dirname, join, resolve } from "node:path";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import type { Runner, RunResult } from "../runtime/runner.ts";
import { classifyRegistryFailure, type RegistryTransport } from "./helm.ts";

/**
 * Why a cosign command failed:
 * - `no signature`: nothing signed that digest (cosign's exit code 10, "no signatures found");
 * - `bad signature`: signatures are there, none verifies with the key (exit code 12, "no matching
 *   signatures");
 * - `bad password`: the private key does not decrypt with the password given;
 * - `no password`: no password was given and there is no terminal to ask on;
 * - `bad key`: the key cannot be read (missing file, not a key of the kind the command needs);
 * - `tlog unreachable`: the transparency log (Rekor) or Sigstore's TUF root cannot be reached;
 * - `unauthorized`, `unreachable`, `not found`: the registry's answers, as for Helm;
 * - `other`: anything else (cosign's message says what).
 */
export type CosignFailure =
  | "no signature"
  | "bad signature"
  | "bad password"
  | "no password"
  | "bad key"
  | "tlog unreachable"
  | "unauthorized"
  | "unreachable"
  | "not found"
  | "other";

/** A finished cosign command: on failure, its kind and cosign's own error line. */
export interface CosignResult extends RunResult {
  /** Undefined when the command succeeded (exit code 0). */
  failure?: CosignFailure;
  /** cosign's final error, without its `Error: ` prefix and warnings ("" on success). */
  reason: string;
}

/** One verified signature's payload (cosign's "simple signing" format, printed by `cosign verify`). */
export interface SignedPayload {
  critical: {
    identity: { "docker-reference": string };
    image: { "docker-manifest-digest": string };
    type: string;
  };
  optional: Record<string, unknown> | null;
}

/** Options shared by the registry commands. */
export interface CosignRegistryOptions {
  /** `--plain-http` becomes `--allow-http-registry`, `--insecure-skip-tls-verify` becomes
   * `--allow-insecure-registry`, `--ca-file` becomes `--registry-cacert`. */
  transport: RegistryTransport;
  /**
   * Use the transparency log (Rekor), as cosign does by default. False for private or offline registries:
   * `sign --tlog-upload=false` (the signature is not published in the public log) and
   * `verify --insecure-ignore-tlog=true` (no inclusion proof is asked for).
   */
  tlog: boolean;
}

/** The cosign CLI. Methods never throw for a failed command: the result says why it failed. */
export interface Cosign {
  /**
   * `cosign public-key --key KEY --outfile FILE`: writes the public key of a private key (a file or a KMS
   * URI). Needs the key's password, so it is the check that the key and password work.
   */
  publicKey(key: string, outfile: string): Promise<CosignResult>;
  /**
   * `cosign sign --key KEY --yes [--tlog-upload=false] REF@sha256:…`: signs a manifest digest and pushes
   * the signature next to it (tag `sha256-<hex>.sig` of the same repository). Signing a digest the key
   * already signed adds nothing (cosign finds the duplicate).
   *
   * @throws Error for a reference that is not by digest (a bug of the caller: a tag can move).
   */
  sign(reference: string, key: string, options: CosignRegistryOptions): Promise<CosignResult>;
  /**
   * `cosign verify --key PUB [--insecure-ignore-tlog=true] REF@sha256:…`: the payloads of the signatures
   * that verify with the public key, each naming `digest`. Empty on failure.
   *
   * @throws Error for a reference that is not by digest.
   */
  verify(
    reference: string,
    publicKey: string,
    options: CosignRegistryOptions,
  ): Promise<CosignResult & { payloads: SignedPayload[] }>;
}

/** Where cosign finds what it needs besides its argv: the key's password and the registry credentials. */
export interface CosignEnvironment {
  /** The private key's password, handed over in COSIGN_PASSWORD (cosign's own variable). */
  password?: string;
  /** A folder holding a docker-style `config.json` with the registry credentials (DOCKER_CONFIG). */
  dockerConfig?: string;
}

/** `host[:port]/path/chart@sha256:<hex>`, the form cosign takes (no `oci://`). */
export function digestReference(ociBase: string, chart: string, digest: string): string {
  return `${ociBase.replace(/^oci:\/\//, "")}/${chart}@${digest}`;
}

/**
 * A key as cosign takes it: a KMS URI (`awskms://…`, `gcpkms://…`, `hashivault://…`, `k8s://…`) as given,
 * a file resolved against `cwd` (cosign runs there too; an absolute path reads better in messages).
 */
export function keyReference(key: string, cwd: string): string {
  return /^[a-z0-9-]+:\/\//.test(key) ? key : resolve(cwd, key);
}

const BY_DIGEST = /^[^@\s]+@sha256:[0-9a-f]{64}$/;

function byDigest(reference: string): string {
  if (!BY_DIGEST.test(reference)) throw new Error(`cosign: ${reference} is no reference by digest`);
  return reference;
}

/**
 * cosign's final error: its `Error: ` line (cosign repeats it as "error during command execution"; a
 * password prompt without a terminal leaves it behind "Enter password for private key: ").
 */
function cosignReason(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l && !/^WARNING: /.test(l));
  for (const line of lines.toReversed()) {
    const error = /(?:^|\s)Error: (.*)$/.exec(line);
    if (error) return error[1];
  }
  return (lines.at(-1) ?? "").replace(/^error during command execution: /, "");
}

/**
 * Classifies a failed cosign command by its exit code (cosign's own: 10 no signatures, 12 no matching
 * signatures; cmd/cosign/errors/exit_codes.go) and its error line (wordings of cosign v2.6.5).
 */
export function classifyCosignFailure(code: number, stderr: string): CosignFailure {
  const reason = cosignReason(stderr);
  if (code === 10 || /no signatures found/i.test(reason)) return "no signature";
  if (code === 12 || /no matching signatures/i.test(reason)) return "bad signature";
  if (/decrypt(ion)?.*failed|decryption failed/i.test(reason)) return "bad password";
  if (/inappropriate ioctl for device|reading password|password required/i.test(reason)) return "no password";
  if (/rekor|tuf[: ]|tuf-repo|transparency log|tlog/i.test(reason)) return "tlog unreachable";
  if (
    /loading public key|reading key|pem|no such file or directory|is a directory|permission denied|unsupported .*key|invalid key/i
      .test(reason)
  ) return "bad key";
  const registry = classifyRegistryFailure(`Error: ${reason}`);
  return registry === "not found" && /MANIFEST_UNKNOWN|NAME_UNKNOWN|not found/i.test(reason)
    ? "not found"
    : registry;
}

/**
 * Creates the wrapper for the cosign executable `bin` (HELM_FASTCS_COSIGN, else `cosign` on PATH), run in
 * `cwd` with the environment `env` describes.
 *
 * @throws FastcsError (exit code 6) from every method when cosign cannot be started.
 */
export function createCosign(run: Runner, bin: string, cwd: string, env: CosignEnvironment = {}): Cosign {
  const vars: Record<string, string> = {};
  if (env.dockerConfig) vars.DOCKER_CONFIG = env.dockerConfig;
  const cosign = async (args: string[], withPassword: boolean): Promise<CosignResult> => {
    const r = await run(bin, args, {
      cwd,
      env: withPassword && env.password !== undefined ? { ...vars, COSIGN_PASSWORD: env.password } : vars,
    });
    if (r.code === 127) {
      throw new FastcsError(`cannot run cosign (${bin}): ${r.stderr.trim()}`, {
        code: "cosign.missing",
        exitCode: ExitCode.environment,
        hint:
          "Install cosign v2 (https://docs.sigstore.dev/cosign/system_config/installation/, or go install github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5) and put it on PATH, or name it in HELM_FASTCS_COSIGN.",
      });
    }
    if (r.code === 0) return { ...r, reason: "" };
    return { ...r, failure: classifyCosignFailure(r.code, r.stderr), reason: cosignReason(r.stderr) };
  };
  const registryFlags = (o: CosignRegistryOptions) => [
    ...(o.transport.plainHttp ? ["--allow-http-registry"] : []),
    ...(o.transport.insecureSkipTlsVerify ? ["--allow-insecure-registry"] : []),
    ...(o.transport.caFile ? ["--registry-cacert", o.transport.caFile] : []),
  ];
  return {
    publicKey: (key, outfile) => cosign(["public-key", "--key", key, "--outfile", outfile], true),
    sign: async (reference, key, o) =>
      await cosign([
        "sign",
        "--key",
        key,
        // Without it cosign asks on the terminal before uploading to the public transparency log.
        "--yes",
        ...(o.tlog ? [] : ["--tlog-upload=false"]),
        ...registryFlags(o),
        byDigest(reference),
      ], true),
    verify: async (reference, publicKey, o) => {
      const r = await cosign([
        "verify",
        "--key",
        publicKey,
        ...(o.tlog ? [] : ["--insecure-ignore-tlog=true"]),
        ...registryFlags(o),
        byDigest(reference),
      ], false);
      if (r.failure) return { ...r, payloads: [] };
      const digest = reference.slice(reference.lastIndexOf("@") + 1);
      let payloads: SignedPayload[];
      try {
        payloads = JSON.parse(r.stdout.trim() || "[]");
      } catch {
        payloads = [];
      }
      // cosign checks this itself; a payload for another digest is no signature of this one.
      payloads = payloads.filter((p) => p?.critical?.image?.["docker-manifest-digest"] === digest);
      if (payloads.length > 0) return { ...r, payloads };
      return { ...r, failure: "other", reason: `cosign verify printed no signature of ${digest}`, payloads };
    },
  };
}

/**
 * The DOCKER_CONFIG folder that gives cosign the registry credentials Helm uses. Helm's registry config is
 * a docker-style `config.json` (https://helm.sh/docs/topics/registries/); when it is named `config.json`
 * its own folder is used, else it is copied to `scratch/cosign-docker/config.json`. Undefined when the file
 * does not exist: cosign then reads Docker's own config, as Helm falls back to it.
 */
export async function dockerConfigFor(registryConfig: string, scratch: string): Promise<string | undefined> {
  try {
    if (!(await Deno.stat(registryConfig)).isFile) return undefined;
  } catch {
    return undefined;
  }
  if (basename(registryConfig) === "config.json") return dirname(registryConfig);
  const dir = join(scratch, "cosign-docker");
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await Deno.copyFile(registryConfig, join(dir, "config.json"));
  return dir;
}
