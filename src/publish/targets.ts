// Where charts are published: OCI registries (`oci://host/path`), classic chart repositories (a folder
// holding index.yaml and the .tgz files, served as is by any static web server) and S3 chart repositories
// (the same layout under an `s3://bucket/prefix`, s3_target.ts). For each, whether a version is already
// there and with which content, and how to put it there.
import { basename, join } from "node:path";
import {
  classifyRegistryFailure,
  type Helm,
  helmErrorLine,
  type RegistryFailure,
  type RegistryTransport,
} from "../adapters/helm.ts";
import { parseDocument } from "../deps/yaml.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { chartContentDigest } from "../chart/content_digest.ts";
import { ociTag } from "./version.ts";
import { copyThroughTemp } from "../runtime/fs.ts";
import { sha256Hex } from "../runtime/digest.ts";
import type { S3Connections, S3Target } from "./s3_target.ts";
import type { PushPath } from "./model.ts";
import { ApiPushDeclined, type RegistryApi } from "./oci_push.ts";
import { HELM_MEDIA_TYPES } from "./oci_manifest.ts";
import { redactUrls } from "../runtime/redact.ts";

/** A publish destination. */
export type Target =
  | { kind: "oci"; /** `oci://host[:port]/path`, lower-cased */ base: string; transport: RegistryTransport }
  | {
    kind: "repo"; /** absolute folder */
    dir: string; /** URL the folder is served at (index.yaml urls) */
    url?: string;
  }
  | S3Target;

/** What a destination holds for one chart version. */
export type Existing =
  | { state: "absent" }
  /** `digest`: the manifest digest of what the tag holds, where the registry was asked for it. */
  | { state: "same"; digest?: string }
  | { state: "different"; detail: string };

/**
 * Reads an `oci://` reference: lower-cases it (registries require lower-case repository names, and
 * GitHub owners are often written with capitals) and checks its shape.
 *
 * @throws FastcsError (exit code 2) for anything else than `oci://host[:port]/path`.
 */
export function parseOciBase(reference: string): string {
  const ref = reference.trim().replace(/\/+$/, "");
  if (!/^oci:\/\/[A-Za-z0-9.-]+(:\d+)?(\/[A-Za-z0-9._\/-]+)?$/.test(ref)) {
    throw new FastcsError(
      `"${redactUrls(reference)}" is not an OCI reference of the form oci://host[:port]/path`,
      {
        code: "publish.oci-ref",
        exitCode: ExitCode.usage,
        hint: "For GitHub: --oci oci://ghcr.io/<owner>/charts",
      },
    );
  }
  return ref.toLowerCase();
}

/** The host (with port) of an `oci://` base. */
export function ociHost(base: string): string {
  return base.slice("oci://".length).split("/")[0];
}

/** How a chart version is named at a target (for people and for `-o json`). */
export function targetReference(target: Target, chart: string, version: string): string {
  if (target.kind === "oci") return `${target.base}/${chart}:${ociTag(version)}`;
  if (target.kind === "s3") return `${target.url}/${chart}-${version}.tgz`;
  return join(target.dir, `${chart}-${version}.tgz`);
}

/** A failure talking to a registry, with its kind. */
export class RegistryError extends FastcsError {
  constructor(readonly failure: RegistryFailure, message: string, hint: string) {
    super(message, {
      code: `publish.registry.${failure.replace(" ", "-")}`,
      exitCode: ExitCode.publishFailed,
      hint,
    });
  }
}

/**
 * Found while pushing: another publish wrote other content under the same version after our check. Nothing
 * of ours replaced it; the publication is reported as `conflict` (exit code 8).
 */
export class PushConflict extends FastcsError {
  constructor(message: string) {
    super(message, {
      code: "publish.conflict",
      exitCode: ExitCode.refused,
      hint: "Bump the version; a published version is never overwritten on purpose.",
    });
  }
}

/** Options of the registry calls: retries for an unreachable registry, and what credentials were used. */
export interface RetryPolicy {
  attempts: number;
  /** Wait before retry n (1-based), in milliseconds. */
  backoffMs: (attempt: number) => number;
  /** Words for an authentication error: which credentials were tried (never their values). */
  credentials: string;
  log: (message: string) => void;
  /** True once the user asked to stop: no further attempt is made. */
  stopRequested?: () => boolean;
  /** The debug log (HELM_DEBUG). */
  debug?: (message: string) => void;
}

async function withRetries<T extends { code: number; stderr: string }>(
  what: string,
  policy: RetryPolicy,
  call: () => Promise<T>,
): Promise<T> {
  let last: T | undefined;
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    last = await call();
    if (last.code === 0 || classifyRegistryFailure(last.stderr) !== "unreachable") return last;
    if (attempt < policy.attempts) {
      if (policy.stopRequested?.()) break;
      policy.log(`${what}: registry unreachable, retrying (${attempt}/${policy.attempts - 1})`);
      await new Promise((r) => setTimeout(r, policy.backoffMs(attempt)));
      if (policy.stopRequested?.()) break;
    }
  }
  return last!;
}

function registryError(
  failure: RegistryFailure,
  what: string,
  stderr: string,
  policy: RetryPolicy,
): RegistryError {
  const reason = helmErrorLine(stderr).replace(/^Error: /, "");
  const hints: Record<RegistryFailure, string> = {
    unauthorized:
      `The registry refused the credentials tried: ${policy.credentials}. Log in (helm registry login, or --registry-username with the password on stdin or in HELM_FASTCS_REGISTRY_PASSWORD).`,
    unreachable:
      `Gave up after ${policy.attempts} attempt(s). Check the address, the network and TLS options (--plain-http, --ca-file); rerunning completes the release without duplicates.`,
    "not found": "Check the OCI reference.",
    other: "See Helm's message above; rerunning completes the release without duplicates.",
  };
  return new RegistryError(failure, `${what}: ${reason}`, hints[failure]);
}

/**
 * What `target` holds for `chart` at `version`, compared with our package by content digest.
 *
 * @param s3 the run's S3 repositories (for S3 targets)
 * @param api the OCI target's distribution API client (oci_push.ts), to read the tag without helm (without
 *   one, helm pulls it)
 * @throws RegistryError (exit code 9) when the registry cannot be asked (unreachable after retries,
 *   credentials refused, no such bucket); FastcsError (exit code 8) for a damaged package in a repository.
 */
export async function existingAt(
  helm: Helm,
  target: Target,
  chart: string,
  version: string,
  ours: string,
  scratch: string,
  policy: RetryPolicy,
  s3: S3Connections,
  api?: RegistryApi,
): Promise<Existing> {
  if (target.kind === "repo") return await existingInRepo(target, chart, version, ours);
  if (target.kind === "s3") return await (await s3.of(target)).existing(chart, version, ours);
  // Most versions are new: one request answers that without starting helm, and a registry that answers the
  // distribution API (anonymously or with credentials we can give) hands out the chart itself. Anything
  // unclear (credentials we cannot give, TLS verification off, no answer) goes the helm way below.
  const read = api ? await chartAtTag(api, chart, version, scratch) : { state: "unknown" as const };
  if (read.state === "absent") return { state: "absent" };
  if (read.state === "read") {
    return read.contentDigest === ours ? { state: "same", digest: read.digest } : {
      state: "different",
      detail: `the registry holds other content (${read.contentDigest}, ours ${ours})`,
    };
  }
  return await pulledState(helm, target, chart, version, ours, scratch, policy);
}

/** Pulls the chart at `version` with helm and compares its content digest with `ours`. */
async function pulledState(
  helm: Helm,
  target: Extract<Target, { kind: "oci" }>,
  chart: string,
  version: string,
  ours: string,
  scratch: string,
  policy: RetryPolicy,
): Promise<Existing> {
  const dir = await Deno.makeTempDir({ dir: scratch, prefix: "pull-" });
  const what = `checking ${targetReference(target, chart, version)}`;
  const pulled = await withRetries(
    what,
    policy,
    () => helm.pull(`${target.base}/${chart}`, version, dir, target.transport),
  );
  if (pulled.code !== 0) {
    const failure = classifyRegistryFailure(pulled.stderr);
    if (failure === "not found") return { state: "absent" };
    throw registryError(failure, what, pulled.stderr, policy);
  }
  const theirs = await chartContentDigest(pulled.path!);
  return theirs === ours
    ? { state: "same", digest: pulled.digest }
    : { state: "different", detail: `the registry holds other content (${theirs}, ours ${ours})` };
}

/**
 * Asks an OCI registry about a tag with the distribution API
 * (https://github.com/opencontainers/distribution-spec, "Checking if content exists"):
 * `HEAD /v2/<name>/manifests/<tag>` answers 404 for an absent tag, and names the manifest's digest in
 * `Docker-Content-Digest` for a present one. "unknown" when it cannot say (credentials needed, TLS options
 * fetch cannot honour, no answer).
 */
async function headManifest(
  api: RegistryApi,
  chart: string,
  version: string,
): Promise<{ state: "absent" | "present" | "unknown"; digest?: string }> {
  const response = await api.read(chart, `manifests/${ociTag(version)}`, {
    method: "HEAD",
    accept: OCI_MANIFEST,
  });
  await response?.body?.cancel();
  if (!response) return { state: "unknown" };
  if (response.status === 404) return { state: "absent" };
  if (!response.ok) return { state: "unknown" };
  return { state: "present", digest: response.headers.get("Docker-Content-Digest") ?? undefined };
}

const OCI_MANIFEST = HELM_MEDIA_TYPES.manifest;
const CHART_LAYER = HELM_MEDIA_TYPES.chart;

/**
 * The chart a tag holds, read without helm where the registry answers (anonymously, or with the
 * credentials of `api`, see oci_push.ts)
 * (https://github.com/opencontainers/distribution-spec): `GET /v2/<name>/manifests/<tag>` (404: no such tag;
 * else the manifest, whose digest is the sha256 of its bytes and must agree with `Docker-Content-Digest` where
 * the registry names one), then its chart layer, checked against the layer's sha256. "unknown" when the
 * registry does not answer so (credentials needed, TLS options fetch cannot honour, another manifest shape):
 * the caller pulls with helm then.
 */
async function chartAtTag(
  api: RegistryApi,
  chart: string,
  version: string,
  scratch: string,
): Promise<{ state: "absent" | "unknown" } | { state: "read"; digest: string; contentDigest: string }> {
  const unknown = { state: "unknown" } as const;
  const manifest = await api.read(chart, `manifests/${ociTag(version)}`, {
    method: "GET",
    accept: OCI_MANIFEST,
  });
  if (!manifest?.ok) {
    await manifest?.body?.cancel();
    return manifest?.status === 404 ? { state: "absent" } : unknown;
  }
  // The digest is the sha256 of the bytes read; a registry naming another one in Docker-Content-Digest
  // (another algorithm, or a wrong value) is not believed: helm pulls then.
  let body: Uint8Array;
  try {
    body = new Uint8Array(await manifest.arrayBuffer());
  } catch {
    return unknown;
  }
  const digest = `sha256:${await sha256Hex(body)}`;
  const reported = manifest.headers.get("Docker-Content-Digest");
  if (reported !== null && reported !== digest) return unknown;
  let layer: { digest?: unknown; size?: unknown } | undefined;
  try {
    const json = JSON.parse(new TextDecoder().decode(body)) as {
      layers?: { mediaType?: unknown; digest?: unknown; size?: unknown }[];
    };
    layer = json.layers?.find((l) => l.mediaType === CHART_LAYER);
  } catch {
    return unknown;
  }
  const layerDigest = typeof layer?.digest === "string" ? layer.digest : "";
  if (!/^sha256:[0-9a-f]{64}$/.test(layerDigest)) return unknown;
  // No more than the manifest says, nor than Helm loads (its loader's limit, 100 MiB, is on the unpacked chart).
  const size = typeof layer?.size === "number" && layer.size >= 0 ? layer.size : 0;
  if (size > 100 * 1024 * 1024) return unknown;
  const blob = await api.read(chart, `blobs/${layerDigest}`, { method: "GET", maxBytes: size });
  if (!blob?.ok) {
    await blob?.body?.cancel();
    return unknown;
  }
  const bytes = new Uint8Array(await blob.arrayBuffer());
  if (`sha256:${await sha256Hex(bytes)}` !== layerDigest) return unknown;
  const file = join(await Deno.makeTempDir({ dir: scratch, prefix: "blob-" }), `${chart}-${version}.tgz`);
  await Deno.writeFile(file, bytes);
  return { state: "read", digest, contentDigest: await chartContentDigest(file) };
}

/**
 * Reads a pushed tag back and says whether it still holds our chart: another publish of the same version
 * may have pushed in between (a check before the push cannot see that race). By manifest digest where the
 * registry answers the distribution API (anonymously, or with the credentials of `api`), else by pulling
 * the chart and comparing its content digest.
 *
 * @param pushed the manifest digest of our push, if known
 * @param ours our package's content digest
 * @returns undefined when the tag holds our chart, else what it holds instead
 */
export async function readBack(
  helm: Helm,
  target: Extract<Target, { kind: "oci" }>,
  chart: string,
  version: string,
  pushed: string | undefined,
  ours: string,
  scratch: string,
  policy: RetryPolicy,
  api: RegistryApi,
): Promise<string | undefined> {
  const head = await headManifest(api, chart, version);
  if (head.state === "present" && head.digest && pushed) {
    return head.digest === pushed ? undefined : `manifest ${head.digest}, ours ${pushed}`;
  }
  if (head.state === "absent") return "nothing";
  const existing = await pulledState(helm, target, chart, version, ours, scratch, policy);
  return existing.state === "same" ? undefined : existing.state === "different" ? existing.detail : "nothing";
}

async function existingInRepo(
  target: Extract<Target, { kind: "repo" }>,
  chart: string,
  version: string,
  ours: string,
): Promise<Existing> {
  const file = join(target.dir, `${chart}-${version}.tgz`);
  let listed = false;
  try {
    const index = parseDocument(await Deno.readTextFile(join(target.dir, "index.yaml"))).toJS() as {
      entries?: Record<string, { version: string }[]>;
    };
    listed = index?.entries?.[chart]?.some((e) => String(e.version) === version) ?? false;
  } catch { /* no index yet */ }
  let theirs: string;
  try {
    theirs = await chartContentDigest(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      // Listed in index.yaml without its file here (hosted elsewhere): we cannot compare, so we do not
      // overwrite.
      return listed
        ? {
          state: "different",
          detail: `index.yaml already lists ${chart} ${version}, but its file is not in ${target.dir}`,
        }
        : { state: "absent" };
    }
    throw new FastcsError(
      `${file} in the chart repository folder is not a readable chart package: ${(error as Error).message}`,
      {
        code: "publish.corrupt",
        exitCode: ExitCode.refused,
        hint:
          "Nothing was pushed. Remove or replace the damaged file (from a backup, or a package of that version), then publish again.",
        cause: error,
      },
    );
  }
  if (theirs !== ours) {
    return { state: "different", detail: `${file} holds other content (${theirs}, ours ${ours})` };
  }
  // "Published" means installable: a package left by a run that died before updating index.yaml is pushed
  // again (the same bytes) so that the index is written.
  return listed ? { state: "same" } : { state: "absent" };
}

/**
 * Publishes one package to one target. For a repository folder the .tgz (and .prov) is copied, for S3
 * uploaded; the index is updated once for all charts by {@link updateRepoIndex} (S3: the repository's
 * `updateIndex`).
 *
 * OCI: through the distribution API in process with `api` (see oci_push.ts), else, or when that declines,
 * with `helm push`.
 *
 * @returns `digest`: the manifest digest (OCI), the sha256 of the uploaded or already present bytes (S3), or
 *   undefined (repository folder: the caller takes the package's sha256); `pushedWith` (OCI): which way
 * @throws RegistryError (exit code 9) when the push fails after retries; PushConflict (exit code 8) when
 *   another publish wrote other content for the version in S3 after our check.
 */
export async function pushTo(
  helm: Helm,
  target: Target,
  tgz: string,
  chart: string,
  version: string,
  policy: RetryPolicy,
  s3: S3Connections,
  api?: RegistryApi,
): Promise<{ digest?: string; pushedWith?: PushPath }> {
  if (target.kind === "s3") return { digest: await (await s3.of(target)).push(chart, version, tgz) };
  if (target.kind === "repo") {
    await Deno.mkdir(target.dir, { recursive: true });
    const dest = join(target.dir, `${chart}-${version}.tgz`);
    await copyThroughTemp(tgz, dest);
    try {
      await Deno.stat(`${tgz}.prov`);
    } catch {
      return {}; // not signed
    }
    await copyThroughTemp(`${tgz}.prov`, `${dest}.prov`);
    return {};
  }
  if (api) {
    try {
      return { digest: await api.push(tgz, chart, ociTag(version)), pushedWith: "distribution API" };
    } catch (error) {
      if (!(error instanceof ApiPushDeclined)) throw error;
      policy.debug?.(
        `${
          targetReference(target, chart, version)
        }: helm push, as the distribution API push could not: ${error.message}`,
      );
    }
  }
  const what = `pushing ${basename(tgz)} to ${target.base}`;
  const r = await withRetries(what, policy, () => helm.push(tgz, target.base, target.transport));
  if (r.code !== 0) throw registryError(classifyRegistryFailure(r.stderr), what, r.stderr, policy);
  return { digest: r.digest, pushedWith: "helm push" };
}

/**
 * Rewrites a repository folder's index.yaml with `helm repo index --merge`: existing entries are kept,
 * new packages added.
 *
 * @throws FastcsError (exit code 9) when Helm fails.
 */
export async function updateRepoIndex(helm: Helm, target: Extract<Target, { kind: "repo" }>): Promise<void> {
  let merge = true;
  try {
    await Deno.stat(join(target.dir, "index.yaml"));
  } catch {
    merge = false;
  }
  const r = await helm.repoIndex(target.dir, target.url, merge);
  if (r.code !== 0) {
    throw new FastcsError(`updating ${join(target.dir, "index.yaml")} failed: ${r.stderr.trim()}`, {
      code: "publish.index",
      exitCode: ExitCode.publishFailed,
    });
  }
}
