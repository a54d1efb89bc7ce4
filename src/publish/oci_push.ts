// An OCI registry's distribution API (https://github.com/opencontainers/distribution-spec) in process, for
// publish: pushing a chart ("Pushing blobs", "Pushing Manifests") with the manifest `helm push` would write
// (oci_manifest.ts), and reading what a tag holds. One helm process per chart costs about 70 ms of CPU, most
// of a publish. Only for what we can authenticate ourselves: anonymous registries, basic authentication and
// bearer tokens (the WWW-Authenticate challenge and the token endpoint of the distribution token spec), with
// `--registry-username` or a plain `auth` entry of Helm's registry config. A push we cannot make (a
// credential helper, an identity token, TLS verification off, a refusal, an unexpected answer) is
// {@link ApiPushDeclined}: the caller pushes with `helm push` then; a read we cannot make sends the caller
// to `helm pull`.
import { basename } from "node:path";
import { packageFiles } from "../chart/package_files.ts";
import type { RegistryTransport } from "../adapters/helm.ts";
import { createdAt, HELM_MEDIA_TYPES, helmChartArtifact, type OciBlob } from "./oci_manifest.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";

/** Credentials for the registry API, as far as we handle them ourselves. */
export type RegistryCredentials =
  | { kind: "anonymous" }
  | {
    kind: "basic";
    username: string;
    password: string; /** words for messages, never the values */
    source: string;
  }
  /** A credential helper, a token or anything else only Helm handles: pushes go through `helm push`. */
  | { kind: "helm only"; why: string };

/**
 * The credentials Helm would use for `host`: `login` (--registry-username) when given, else the entry of
 * Helm's registry config (`HELM_REGISTRY_CONFIG`, a Docker config.json: `auths.<host>.auth` =
 * base64 of `user:password`). A `credHelpers` entry for the host or a `credsStore` (which Helm's credential
 * store consults before `auths`), an `identitytoken` or `registrytoken`, or an unreadable file: "helm only".
 * No entry: anonymous.
 */
export async function registryCredentials(
  host: string,
  login: { username: string; password: string } | undefined,
  registryConfig: string | undefined,
): Promise<RegistryCredentials> {
  if (login) return { kind: "basic", ...login, source: `username ${login.username} (--registry-username)` };
  if (!registryConfig) return { kind: "anonymous" };
  let text: string;
  try {
    text = await Deno.readTextFile(registryConfig);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { kind: "anonymous" };
    return { kind: "helm only", why: `cannot read ${registryConfig}` };
  }
  let config: {
    auths?: Record<string, Record<string, unknown>>;
    credsStore?: unknown;
    credHelpers?: Record<string, unknown>;
  };
  try {
    config = JSON.parse(text);
  } catch {
    return { kind: "helm only", why: `${registryConfig} is no JSON` };
  }
  if (typeof config !== "object" || config === null) return { kind: "helm only", why: "unexpected config" };
  if (config.credHelpers?.[host]) return { kind: "helm only", why: `a credential helper for ${host}` };
  if (config.credsStore) return { kind: "helm only", why: "a credential store (credsStore)" };
  const entry = config.auths?.[host] ?? config.auths?.[`https://${host}`] ?? config.auths?.[`http://${host}`];
  if (!entry) return { kind: "anonymous" };
  if (entry.identitytoken || entry.registrytoken) return { kind: "helm only", why: `a token for ${host}` };
  if (typeof entry.auth !== "string") return { kind: "helm only", why: `an entry for ${host} without auth` };
  let decoded: string;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(atob(entry.auth), (c) => c.charCodeAt(0)),
    );
  } catch {
    return { kind: "helm only", why: `an unreadable auth entry for ${host}` };
  }
  const colon = decoded.indexOf(":");
  if (colon <= 0) return { kind: "helm only", why: `an unreadable auth entry for ${host}` };
  return {
    kind: "basic",
    username: decoded.slice(0, colon),
    password: decoded.slice(colon + 1),
    source: `the entry for ${host} in ${registryConfig}`,
  };
}

/** Limits of what we read from a registry, as Helm's registry client (oras-go) sets them: a manifest, the
 * answer of a token endpoint. */
const MAX_MANIFEST = 4 * 1024 * 1024;
const MAX_TOKEN_RESPONSE = 128 * 1024;

/**
 * At most `max` bytes of `response`'s body: a registry or token endpoint that answers without end costs no
 * more memory than that. `complete` is false when the body was longer (the rest is not read).
 */
async function bodyUpTo(
  response: Response,
  max: number,
): Promise<{ bytes: Uint8Array<ArrayBuffer>; complete: boolean }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let complete = true;
  const reader = response.body?.getReader();
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.length > max) {
      chunks.push(value.subarray(0, max - size));
      size = max;
      complete = false;
      await reader.cancel();
      break;
    }
    chunks.push(value);
    size += value.length;
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return { bytes, complete };
}

/** Our push could not be made or finished; `helm push` is the way for this chart. Nothing is overwritten. */
export class ApiPushDeclined extends Error {}

/** Authorization of one registry session: what the registry asked for, once known. */
interface Session {
  basic?: string;
  /** `Authorization` values of bearer tokens, by scope. */
  tokens: Map<string, string>;
  /** The registry asks for a bearer token: its realm and service. */
  bearer?: { realm: string; service?: string };
}

/** The chart repositories under one OCI target in this run, sharing what authentication was learnt. */
export interface RegistryApi {
  /**
   * Pushes `tgz` (and `tgz.prov`, if there) as `chart:tag` through the distribution API.
   *
   * @returns the manifest digest the registry reported for the tag (the digest of what we uploaded)
   * @throws ApiPushDeclined when it cannot (see the module's head); nothing is retried here. FastcsError
   *   (exit code 9) when the registry sends an upload to another host that refuses it without credentials and
   *   we hold credentials: `helm push` would send them there, so it is not the way either; likewise for a
   *   token endpoint over plain HTTP named by a registry reached over HTTPS.
   */
  push(tgz: string, chart: string, tag: string): Promise<string>;
  /**
   * One read of the distribution API (`/v2/<target path>/<chart>/<path>`, e.g. `manifests/1.0.0`) with the
   * same credentials, the body read into memory. A 401 the credentials cannot answer is returned as it is;
   * undefined when there is no answer, the transport is not ours (TLS verification off), the registry redirects
   * the read to an address that is not http(s) (a file: one would be read from our disk), or the body is
   * longer than `maxBytes` (default 4 MiB, the limit Helm's registry client (oras-go) sets for manifests).
   * @throws FastcsError (exit code 9) when the registry names a token endpoint over plain HTTP while we hold
   *   credentials and reach it over HTTPS: nobody (not helm pull either) should send them there
   */
  read(
    chart: string,
    path: string,
    init: { method: "HEAD" | "GET"; accept?: string; maxBytes?: number },
  ): Promise<Response | undefined>;
  /** Releases the HTTP client (of --ca-file). */
  close(): void;
}

/** A quoted parameter of a `WWW-Authenticate` challenge (`realm="…"`), with the white space RFC 9110's
 * `auth-param` allows around `=` (`realm = "…"`, which Helm 4 reads too). */
const CHALLENGE_PARAMETER = /(\w+)\s*=\s*"([^"]*)"/g;

/** The refusal to send the credentials for `host` (`source`: words naming them) to a plain-HTTP `realm`. */
function insecureTokenEndpoint(origin: string, realm: URL, host: string, source: string): FastcsError {
  return new FastcsError(
    `${origin} names a token endpoint over plain HTTP (${realm.origin}${realm.pathname}): the credentials ` +
      `for ${host} (${source}) are not sent there in clear text`,
    {
      code: "publish.registry.insecure-token-endpoint",
      exitCode: ExitCode.publishFailed,
      hint:
        "Nothing was pushed. Ask the registry's operators to serve its token endpoint over HTTPS (docker-registry: auth.token.realm).",
    },
  );
}

/**
 * Asks the registry of `base` (`oci://host[:port]/path`) anonymously for its challenge (`GET /v2/`, the
 * distribution spec's "API version check") before `helm registry login` is given `source`'s credentials: Helm
 * 3.17 and 4.1 send them to whatever token endpoint the challenge names, plain HTTP included. Nothing is
 * checked over plain HTTP (the credentials go in clear text to the registry itself, as asked), with TLS
 * verification off (our client cannot), or when the registry does not answer within 30 s (the login then
 * fails on its own). Redirects are followed (to any host: the probe carries no credentials), as Helm's login
 * follows them.
 *
 * @throws FastcsError (exit code 9) when a registry reached over HTTPS names a token endpoint over plain HTTP
 */
export async function refuseInsecureTokenEndpoint(
  base: string,
  transport: RegistryTransport,
  source: string,
): Promise<void> {
  if (transport.plainHttp || transport.insecureSkipTlsVerify) return;
  const host = base.slice("oci://".length).split("/")[0];
  const origin = `https://${host}`;
  let client: Deno.HttpClient | undefined;
  let challenge: string | null = null;
  let answeredBy = "";
  try {
    if (transport.caFile) {
      client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(transport.caFile)] });
    }
    // Redirects are followed, as Helm's login follows them (Go's net/http) and answers the challenge it finds
    // at their end with the credentials for `host`; the probe itself sends none.
    const response = await fetch(`${origin}/v2/`, { client, signal: AbortSignal.timeout(30_000) });
    await response.body?.cancel();
    if (response.status === 401) challenge = response.headers.get("WWW-Authenticate");
    if (response.redirected) answeredBy = ` (redirected to ${new URL(response.url).origin})`;
  } catch {
    return;
  } finally {
    client?.close();
  }
  if (!challenge || challenge.split(/\s+/)[0].toLowerCase() !== "bearer") return;
  // Every realm the challenge names: Helm 3.17 and 4.1 take the last of several, our client too; a plain-HTTP
  // one anywhere among them is refused.
  for (const [, key, value] of challenge.matchAll(CHALLENGE_PARAMETER)) {
    const realm = key.toLowerCase() === "realm" ? URL.parse(value) : null;
    if (realm?.protocol === "http:") {
      throw insecureTokenEndpoint(`${origin}${answeredBy}`, realm, host, source);
    }
  }
}

/** A client of `base` (`oci://host[:port]/path`) over `transport` with `credentials`. */
export function registryApi(
  base: string,
  transport: RegistryTransport,
  credentials: RegistryCredentials,
): RegistryApi {
  if (transport.insecureSkipTlsVerify) {
    return {
      push: () => Promise.reject(new ApiPushDeclined("--insecure-skip-tls-verify")),
      read: () => Promise.resolve(undefined),
      close: () => {},
    };
  }
  const [host, ...repositoryPath] = base.slice("oci://".length).split("/");
  const origin = `${transport.plainHttp ? "http" : "https"}://${host}`;
  const session: Session = { tokens: new Map() };
  // "helm only" credentials: reads go anonymously (a 401 sends the caller to helm), pushes are declined.
  if (credentials.kind === "basic") {
    const utf8 = new TextEncoder().encode(`${credentials.username}:${credentials.password}`);
    session.basic = `Basic ${btoa(String.fromCharCode(...utf8))}`;
  }
  let client: Promise<Deno.HttpClient | undefined> | undefined;
  const httpClient = () =>
    client ??= transport.caFile
      ? Deno.readTextFile(transport.caFile).then((ca) => Deno.createHttpClient({ caCerts: [ca] }))
      : Promise.resolve(undefined);

  // Credentials go only where a challenge asked for them: a bearer token for the scope, or basic ones.
  let basicAsked = false;
  const headerFor = (scope: string) =>
    session.bearer ? session.tokens.get(scope) : basicAsked ? session.basic : undefined;

  /** Gets a bearer token for `scope` from the realm the registry named (with the basic credentials, if
   * any: anonymous tokens give what the registry grants anyone); false when none is given. */
  const fetchToken = async (scope: string): Promise<boolean> => {
    const url = new URL(session.bearer!.realm);
    if (session.bearer!.service) url.searchParams.set("service", session.bearer!.service);
    url.searchParams.set("scope", scope);
    const tokenResponse = await fetch(url, {
      client: await httpClient(),
      headers: session.basic ? { Authorization: session.basic } : {},
      signal: AbortSignal.timeout(30_000),
    });
    if (!tokenResponse.ok) {
      await tokenResponse.body?.cancel();
      return false;
    }
    const read = await bodyUpTo(tokenResponse, MAX_TOKEN_RESPONSE);
    if (!read.complete) return false;
    let body: { token?: unknown; access_token?: unknown } = {};
    try {
      body = JSON.parse(new TextDecoder().decode(read.bytes));
    } catch { /* no token in it */ }
    const token = typeof body.token === "string" ? body.token : body.access_token;
    if (typeof token !== "string" || token === "") return false;
    session.tokens.set(scope, `Bearer ${token}`);
    return true;
  };

  /** Reads the challenge of a 401 to a request sent with `sent` and gets what it asks for; false when we
   * cannot answer it (no credentials for it, or those sent were refused; a refused bearer token is replaced
   * when `mayRefresh`). */
  const answer = async (
    response: Response,
    scope: string,
    sent: string | undefined,
    mayRefresh: boolean,
  ): Promise<boolean> => {
    const challenge = response.headers.get("WWW-Authenticate") ?? "";
    const scheme = challenge.split(/\s+/)[0].toLowerCase();
    if (scheme === "basic") {
      if (!session.basic || sent === session.basic) return false;
      basicAsked = true;
      return true;
    }
    if (scheme !== "bearer") return false;
    const params = Object.fromEntries(
      [...challenge.matchAll(CHALLENGE_PARAMETER)].map((m) => [m[1].toLowerCase(), m[2]]),
    );
    if (!params.realm) return false;
    const realm = new URL(params.realm);
    // Only a web address: fetch would read a file: realm from our disk and send its "token" to the registry.
    if (realm.protocol !== "https:" && realm.protocol !== "http:") return false;
    if (session.basic && realm.protocol === "http:" && origin.startsWith("https:")) {
      // `helm push` and `helm pull` would send them (Helm 3.17 and 4.1 do not check): that chart goes no way.
      throw insecureTokenEndpoint(
        origin,
        realm,
        host,
        credentials.kind === "basic" ? credentials.source : "",
      );
    }
    session.bearer = { realm: params.realm, service: params.service };
    const current = session.tokens.get(scope);
    if (current && current !== sent) return true; // another request got a newer one
    // The token sent was refused: it may have expired (they live minutes; a long run outlives them). One new
    // one per request; refused again, it is not a matter of time.
    if (current && !mayRefresh) return false;
    return await fetchToken(scope);
  };

  /** A challenge we cannot answer is a 401 like any other; one we must not answer (FastcsError) stops. */
  const notOurs = (error: unknown): false => {
    if (error instanceof FastcsError) throw error;
    return false;
  };

  /** One API request, answering one authentication challenge; a 401 after that declines (`keep401`:
   * is returned). */
  const request = async (
    scope: string,
    url: string,
    init: { method: string; body?: Uint8Array; headers?: Record<string, string>; keep401?: boolean },
  ): Promise<Response> => {
    // Credentials are for the registry only: a URL it names elsewhere (an upload Location on another host or
    // scheme) gets none, and its challenges are not answered.
    const registry = new URL(url).origin === origin;
    let refreshed = false;
    for (let attempt = 0; attempt < 3; attempt++) {
      // A registry that asked for bearer tokens wants one per repository: got before the first request.
      if (registry && session.bearer && !session.tokens.has(scope)) {
        await fetchToken(scope).catch(() => false);
      }
      const auth = registry ? headerFor(scope) : undefined;
      let response: Response;
      try {
        response = await fetch(url, {
          method: init.method,
          body: init.body as Uint8Array<ArrayBuffer> | undefined,
          client: await httpClient(),
          redirect: "manual",
          headers: { ...init.headers, ...(auth ? { Authorization: auth } : {}) },
          signal: AbortSignal.timeout(60_000),
        });
      } catch (error) {
        const cause = (error as Error).cause;
        throw new ApiPushDeclined(
          `${init.method} ${url}: ${(error as Error).message}${cause ? ` (${cause})` : ""}`,
        );
      }
      if (response.status !== 401) return response;
      await response.body?.cancel();
      const refreshing: boolean = !refreshed && auth !== undefined && auth === session.tokens.get(scope);
      if (!registry || !(await answer(response, scope, auth, !refreshed).catch(notOurs))) {
        if (init.keep401) return new Response(null, { status: 401 });
        throw new ApiPushDeclined(`${init.method} ${url}: 401, credentials refused or not ours to give`);
      }
      refreshed ||= refreshing;
    }
    if (init.keep401) return new Response(null, { status: 401 });
    throw new ApiPushDeclined(`${init.method} ${url}: authentication did not settle`);
  };

  const expect = async (response: Response, statuses: number[], what: string): Promise<Response> => {
    if (statuses.includes(response.status)) return response;
    const text = new TextDecoder().decode((await bodyUpTo(response, 8 * 1024).catch(() => undefined))?.bytes);
    throw new ApiPushDeclined(`${what}: ${response.status} ${text.trim().slice(0, 200)}`);
  };

  const upload = async (repository: string, scope: string, item: OciBlob) => {
    const started = await expect(
      await request(scope, `${origin}/v2/${repository}/blobs/uploads/`, { method: "POST" }),
      [202],
      `starting the upload of ${item.digest}`,
    );
    await started.body?.cancel();
    const location = started.headers.get("Location");
    if (!location) throw new ApiPushDeclined("the registry gave no upload location");
    const url = new URL(location, origin);
    url.searchParams.set("digest", item.digest);
    const response = await request(scope, url.toString(), {
      method: "PUT",
      body: item.bytes,
      headers: { "Content-Type": "application/octet-stream" },
      keep401: true,
    });
    if (url.origin !== origin && credentials.kind === "basic" && ![201, 204].includes(response.status)) {
      // `helm push` would follow the same Location and hand our credentials to that host (Helm 4.1 does).
      await response.body?.cancel();
      throw new FastcsError(
        `${origin} sent the upload of ${item.digest} to another host, ${url.origin}, which answered ${response.status}: ` +
          `the credentials for ${host} (${credentials.source}) are not sent there, so nothing was pushed`,
        {
          code: "publish.registry.foreign-upload",
          exitCode: ExitCode.publishFailed,
          hint:
            `Ask the registry's operators whether ${url.origin} is theirs (docker-registry: http.host in its configuration).`,
        },
      );
    }
    const done = await expect(response, [201, 204], `uploading ${item.digest}`);
    await done.body?.cancel();
  };

  return {
    async read(chart, path, init) {
      const repository = [...repositoryPath, chart].join("/");
      try {
        let response = await request(
          `repository:${repository}:pull,push`,
          `${origin}/v2/${repository}/${path}`,
          { method: init.method, headers: init.accept ? { Accept: init.accept } : {}, keep401: true },
        );
        // Registries hand out blobs from elsewhere (ghcr.io: a CDN; S3-backed ones: a signed URL): followed
        // without our credentials, which are for the registry only. Only to a web address: fetch would read a
        // file: Location from our disk (fetch itself refuses such a redirect; this one is ours).
        const location = response.headers.get("Location");
        if (response.status >= 300 && response.status < 400 && location && init.method === "GET") {
          await response.body?.cancel();
          const next = new URL(location, `${origin}/v2/${repository}/${path}`);
          if (next.protocol !== "https:" && next.protocol !== "http:") return undefined;
          response = await fetch(next, {
            client: await httpClient(),
            signal: AbortSignal.timeout(60_000),
          });
        }
        // Read whole: the caller may be slow to read, and the client outlives no body.
        let body: Uint8Array<ArrayBuffer> | null = null;
        if (init.method === "GET") {
          const read = await bodyUpTo(response, init.maxBytes ?? MAX_MANIFEST);
          if (!read.complete) return undefined;
          body = read.bytes;
        } else await response.body?.cancel();
        return new Response(body, { status: response.status, headers: response.headers });
      } catch (error) {
        if (error instanceof FastcsError) throw error;
        return undefined;
      }
    },
    close() {
      client?.then((c) => c?.close(), () => {});
    },
    async push(tgz, chart, tag) {
      if (credentials.kind === "helm only") throw new ApiPushDeclined(credentials.why);
      const bytes = await Deno.readFile(tgz);
      const prov = await Deno.readFile(`${tgz}.prov`).catch((error) => {
        if (error instanceof Deno.errors.NotFound) return undefined;
        throw error;
      });
      const files = await packageFiles(bytes, (p) => /^[^/]+\/(Chart|requirements)\.yaml$/.test(p));
      // Helm's loader (3.17 and 4.1) reads a requirements.yaml into the chart's metadata (its dependencies),
      // whatever the apiVersion: the config would be Helm's metadata, not the Chart.yaml's.
      if ([...files.keys()].some((p) => p.endsWith("/requirements.yaml"))) {
        throw new ApiPushDeclined(
          `${basename(tgz)} holds a requirements.yaml, which Helm merges into the metadata`,
        );
      }
      const chartYaml = files.size === 1 ? new TextDecoder().decode([...files.values()][0]) : undefined;
      if (chartYaml === undefined) throw new ApiPushDeclined(`${basename(tgz)} holds no single Chart.yaml`);
      const modified = (await Deno.stat(tgz)).mtime;
      if (!modified) {
        throw new ApiPushDeclined(`${basename(tgz)}: no modification time to write as Helm does`);
      }
      const artifact = await helmChartArtifact(bytes, chartYaml, prov, createdAt(modified));
      if (!artifact) throw new ApiPushDeclined(`${basename(tgz)}: a Chart.yaml we do not map as Helm does`);
      const repository = [...repositoryPath, chart].join("/");
      const scope = `repository:${repository}:pull,push`;
      for (const item of [artifact.config, ...artifact.layers]) await upload(repository, scope, item);
      const put = await expect(
        await request(scope, `${origin}/v2/${repository}/manifests/${tag}`, {
          method: "PUT",
          body: artifact.manifest,
          headers: { "Content-Type": HELM_MEDIA_TYPES.manifest },
        }),
        [201, 204],
        `putting the manifest of ${chart}:${tag}`,
      );
      await put.body?.cancel();
      const reported = put.headers.get("Docker-Content-Digest");
      if (reported && reported !== artifact.digest) {
        throw new ApiPushDeclined(`the registry reports ${reported} for our manifest ${artifact.digest}`);
      }
      return artifact.digest;
    },
  };
}
