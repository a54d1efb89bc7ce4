// Pushes the per-platform Helm 4 plugin packages (scripts/package-plugin.sh) to an OCI registry, in the
// layout `helm plugin install oci://…` reads (helm/helm pkg/registry/plugin.go, Helm 4.1): an OCI image
// manifest with artifactType application/vnd.helm.plugin.v1+json, the empty config, one layer titled
// <name>-<version>.tgz (the package) and one titled <name>-<version>.tgz.prov (its provenance, so the
// install is verified). Helm takes the plugin name from the repository's last path segment and does not
// read image indexes, so each platform gets its own repository named after the plugin, and the tag is
// the version:
//
//   <base>/<os>-<arch>/fastcs:<version>     e.g. oci://ghcr.io/owner/helm-plugins/linux-amd64/fastcs:0.1.0
//
// Install with the tag in the reference (`helm plugin install oci://…/linux-amd64/fastcs:0.1.0`): Helm 4.1.4
// does not apply `--version` to an oci:// plugin source ("invalid reference"; tests/e2e/plugin_oci_test.ts).
//
//   deno run -A scripts/push_plugin.ts [--plain-http] oci://HOST/PATH DIST-DIR
//
// Credentials: REGISTRY_USERNAME and REGISTRY_PASSWORD (basic, or exchanged for a bearer token as the
// registry's WWW-Authenticate asks, e.g. ghcr.io). Only the distribution HTTP API is used
// (https://github.com/opencontainers/distribution-spec/blob/main/spec.md): no oras, no docker.
import { basename, join } from "node:path";

/** Artifact and media types Helm 4 expects of a plugin (pkg/registry/plugin.go). */
export const PLUGIN_ARTIFACT_TYPE = "application/vnd.helm.plugin.v1+json";
const EMPTY_CONFIG = { mediaType: "application/vnd.oci.empty.v1+json", data: new TextEncoder().encode("{}") };
const LAYER = "application/vnd.oci.image.layer.v1.tar";
const MANIFEST = "application/vnd.oci.image.manifest.v1+json";

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

async function digestOf(data: Uint8Array<ArrayBuffer>): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", data);
  return `sha256:${Array.from(new Uint8Array(hash), (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** A client of one registry: requests carry the credentials its challenge asks for. */
export class Registry {
  #auth: string | undefined;
  constructor(
    readonly origin: string,
    readonly credentials?: { username: string; password: string },
  ) {}

  async request(path: string, init: RequestInit & { scope: string }): Promise<Response> {
    const url = path.startsWith("http") ? path : `${this.origin}${path}`;
    const send = () =>
      fetch(url, { ...init, headers: { ...init.headers as Record<string, string>, ...this.#authHeader() } });
    let response = await send();
    if (response.status === 401 && this.credentials) {
      await response.body?.cancel();
      await this.#authenticate(response.headers.get("WWW-Authenticate") ?? "", init.scope);
      response = await send();
    }
    return response;
  }

  #authHeader(): Record<string, string> {
    return this.#auth ? { Authorization: this.#auth } : {};
  }

  async #authenticate(challenge: string, scope: string) {
    const { username, password } = this.credentials!;
    const basic = `Basic ${btoa(`${username}:${password}`)}`;
    if (/^basic/i.test(challenge)) {
      this.#auth = basic;
      return;
    }
    const param = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(challenge)?.[1];
    const realm = param("realm");
    if (!/^bearer/i.test(challenge) || !realm) {
      throw new Error(`unsupported registry challenge: ${challenge}`);
    }
    const tokenUrl = new URL(realm);
    const service = param("service");
    if (service) tokenUrl.searchParams.set("service", service);
    tokenUrl.searchParams.set("scope", scope);
    const r = await fetch(tokenUrl, { headers: { Authorization: basic } });
    if (!r.ok) throw new Error(`registry token from ${realm}: HTTP ${r.status} ${await r.text()}`);
    const body = await r.json() as { token?: string; access_token?: string };
    this.#auth = `Bearer ${body.token ?? body.access_token}`;
  }
}

async function check(response: Response, what: string, ok: number[]): Promise<Response> {
  if (!ok.includes(response.status)) {
    throw new Error(`${what}: HTTP ${response.status} ${(await response.text()).slice(0, 500)}`);
  }
  return response;
}

/** Uploads `data` as a blob of `repository` unless the registry has it already (monolithic upload). */
async function pushBlob(
  registry: Registry,
  repository: string,
  data: Uint8Array<ArrayBuffer>,
): Promise<string> {
  const digest = await digestOf(data);
  const scope = `repository:${repository}:pull,push`;
  const head = await registry.request(`/v2/${repository}/blobs/${digest}`, { method: "HEAD", scope });
  await head.body?.cancel();
  if (head.ok) return digest;
  const started = await check(
    await registry.request(`/v2/${repository}/blobs/uploads/`, { method: "POST", scope }),
    `starting an upload to ${repository}`,
    [202],
  );
  await started.body?.cancel();
  const location = new URL(started.headers.get("Location")!, registry.origin);
  location.searchParams.set("digest", digest);
  const put = await check(
    await registry.request(location.href, {
      method: "PUT",
      scope,
      body: data,
      headers: { "Content-Type": "application/octet-stream" },
    }),
    `uploading ${digest} to ${repository}`,
    [201],
  );
  await put.body?.cancel();
  return digest;
}

/**
 * Pushes one plugin package and its provenance as `repository:tag`; returns the manifest digest.
 * `title` is the layer title Helm looks for: `<plugin>-<version>.tgz`.
 *
 * @throws Error naming the step and the registry's answer when the registry refuses.
 */
export async function pushPluginPackage(
  registry: Registry,
  repository: string,
  tag: string,
  title: string,
  tgz: Uint8Array<ArrayBuffer>,
  prov: Uint8Array<ArrayBuffer>,
): Promise<string> {
  const layer = async (data: Uint8Array<ArrayBuffer>, name: string): Promise<Descriptor> => ({
    mediaType: LAYER,
    digest: await pushBlob(registry, repository, data),
    size: data.length,
    annotations: { "org.opencontainers.image.title": name },
  });
  const manifest = {
    schemaVersion: 2,
    mediaType: MANIFEST,
    artifactType: PLUGIN_ARTIFACT_TYPE,
    config: {
      mediaType: EMPTY_CONFIG.mediaType,
      digest: await pushBlob(registry, repository, EMPTY_CONFIG.data),
      size: EMPTY_CONFIG.data.length,
    },
    layers: [await layer(tgz, title), await layer(prov, `${title}.prov`)],
  };
  const body = new TextEncoder().encode(JSON.stringify(manifest));
  const put = await check(
    await registry.request(`/v2/${repository}/manifests/${tag}`, {
      method: "PUT",
      scope: `repository:${repository}:pull,push`,
      body,
      headers: { "Content-Type": MANIFEST },
    }),
    `pushing the manifest of ${repository}:${tag}`,
    [201],
  );
  await put.body?.cancel();
  return await digestOf(body);
}

/** The per-platform packages in `dist`: fastcs-<version>-<os>-<arch>.tgz with their .prov. */
export async function platformPackages(
  dist: string,
): Promise<{ file: string; plugin: string; version: string; platform: string }[]> {
  const found = [];
  for await (const e of Deno.readDir(dist)) {
    const m = /^([a-z0-9-]+?)-(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)-([a-z0-9]+-[a-z0-9]+)\.tgz$/.exec(e.name);
    if (e.isFile && m) found.push({ file: join(dist, e.name), plugin: m[1], version: m[2], platform: m[3] });
  }
  return found.sort((a, b) => a.file.localeCompare(b.file));
}

if (import.meta.main) {
  const args = Deno.args.filter((a) => a !== "--plain-http");
  const plainHttp = Deno.args.includes("--plain-http");
  const [base, dist] = args;
  if (!base?.startsWith("oci://") || !dist) {
    console.error("usage: scripts/push_plugin.ts [--plain-http] oci://HOST/PATH DIST-DIR");
    Deno.exit(2);
  }
  const [host, ...path] = base.slice("oci://".length).replace(/\/+$/, "").split("/");
  const username = Deno.env.get("REGISTRY_USERNAME");
  const password = Deno.env.get("REGISTRY_PASSWORD");
  const registry = new Registry(
    `${plainHttp ? "http" : "https"}://${host}`,
    username && password !== undefined ? { username, password } : undefined,
  );
  const packages = await platformPackages(dist);
  if (packages.length === 0) {
    console.error(
      `push-plugin: no <plugin>-<version>-<os>-<arch>.tgz in ${dist} (scripts/package-plugin.sh with ARCHIVES)`,
    );
    Deno.exit(1);
  }
  try {
    for (const p of packages) {
      const repository = [...path, p.platform, p.plugin].join("/");
      const prov = await Deno.readFile(`${p.file}.prov`).catch(() => {
        throw new Error(`${p.file}.prov is missing: only signed packages are pushed`);
      });
      const digest = await pushPluginPackage(
        registry,
        repository,
        p.version,
        `${p.plugin}-${p.version}.tgz`,
        await Deno.readFile(p.file),
        prov,
      );
      console.log(`oci://${host}/${repository}:${p.version}@${digest}\t${basename(p.file)}`);
    }
  } catch (error) {
    console.error(`push-plugin: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
