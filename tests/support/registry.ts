// A real OCI registry for tests: Debian's docker-registry (distribution 2.8) on 127.0.0.1 with its own
// storage, optionally behind htpasswd authentication, bearer tokens (a test token server) and/or TLS with a
// certificate signed by a private CA.
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
  /** The CA certificate to trust, with TLS (the CA that signed the registry's certificate). */
  caFile?: string;
  username?: string;
  password?: string;
  storage: string;
  /** With `token`: every request the token server answered, and whether it carried credentials. */
  tokenRequests?: { withCredentials: boolean }[];
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Tags the registry holds for a repository (via the storage folder). */
  tags(repository: string): Promise<string[]>;
  /** Stops it and removes its storage, configuration and certificates. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A fake gateway on 127.0.0.1:`port` in front of a registry (the stand-in for a load balancer or a cache that
 * docker-registry cannot be): every request goes on to `http://<upstream()>` as it came (redirects not
 * followed), and its answer comes back unless `tweak` returns another response for it (it may read and change
 * `headers`, the answer's headers as they will be sent). `upstream` is asked per request, as the registry
 * behind it is usually started after the gateway (it writes the gateway's address into its Location headers).
 */
export function forwardingGateway(
  port: number,
  upstream: () => string,
  tweak: (
    request: Request,
    url: URL,
    forwarded: Response,
    headers: Headers,
  ) => Response | undefined | Promise<Response | undefined>,
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, async (request) => {
    const url = new URL(request.url);
    const forwarded = await fetch(`http://${upstream()}${url.pathname}${url.search}`, {
      method: request.method,
      headers: request.headers,
      body: request.body ? await request.arrayBuffer() : undefined,
      redirect: "manual",
    });
    const headers = new Headers(forwarded.headers);
    const instead = await tweak(request, url, forwarded, headers);
    if (instead) return instead;
    return new Response(request.method === "HEAD" ? null : await forwarded.arrayBuffer(), {
      status: forwarded.status,
      headers,
    });
  });
}

/**
 * A fake HTTPS server on 127.0.0.1 (an ephemeral port) with the TLS registry's own certificate, so that
 * `--ca-file registry.caFile` trusts it, answering every request with `handler`: the stand-in for a front of a
 * registry that docker-registry cannot be (a /v2/ that redirects, a hostile challenge). Shut it down after use.
 */
export async function httpsFront(
  registry: TestRegistry,
  handler: (request: Request) => Response | Promise<Response>,
): Promise<Deno.HttpServer<Deno.NetAddr>> {
  if (!registry.caFile) throw new Error("httpsFront needs a registry started with tls");
  const dir = registry.caFile.slice(0, registry.caFile.lastIndexOf("/"));
  return Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
    cert: await Deno.readTextFile(join(dir, "cert.pem")),
    key: await Deno.readTextFile(join(dir, "key.pem")),
  }, handler);
}

/**
 * Starts a registry. Options: `auth` (htpasswd user `ci` with a random password), `tls`, `token` (bearer
 * tokens, as ghcr.io and Docker Hub ask for them: user `ci` with a random password gets them from the
 * test token server of {@link startTokenServer}; anonymous requests get tokens without access), `externalUrl`.
 */
export async function startRegistry(
  options: {
    auth?: boolean;
    tls?: boolean;
    token?: boolean;
    /** With `token`: the first this many tokens the token server issues have expired already (a run that
     * outlives its token); default 0. */
    expiredTokens?: number;
    /** docker-registry's `http.host`: the URL it writes into the Location headers it sends (e.g. another host). */
    externalUrl?: string;
  } = {},
): Promise<TestRegistry> {
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
    ...(options.externalUrl ? [`  host: ${options.externalUrl}`] : []),
  ];
  let username: string | undefined, password: string | undefined, caFile: string | undefined;
  if (options.tls) {
    // A private CA and a server certificate it signed, as a company registry has them: Go (Helm, cosign)
    // would accept a self-signed CA certificate as the server's own, rustls (Deno's fetch) does not.
    caFile = join(dir, "ca.pem");
    const caKey = join(dir, "ca-key.pem");
    const cert = join(dir, "cert.pem");
    const key = join(dir, "key.pem");
    const csr = join(dir, "cert.csr");
    const extensions = join(dir, "cert.ext");
    await Deno.writeTextFile(
      extensions,
      "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n" +
        "subjectAltName=IP:127.0.0.1\n",
    );
    for (
      const args of [
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-keyout",
          caKey,
          "-out",
          caFile,
          "-days",
          "1",
          "-subj",
          "/CN=fastcs test CA",
        ],
        ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"],
        [
          "x509",
          "-req",
          "-in",
          csr,
          "-CA",
          caFile,
          "-CAkey",
          caKey,
          "-CAcreateserial",
          "-out",
          cert,
          "-days",
          "1",
          "-extfile",
          extensions,
        ],
      ]
    ) {
      const r = await run("openssl", args);
      if (r.code !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
    }
    lines.push("  tls:", `    certificate: ${cert}`, `    key: ${key}`);
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
  let tokens: TokenServer | undefined;
  if (options.token) {
    username = "ci";
    password = crypto.randomUUID();
    tokens = await startTokenServer(dir, username, password, options.expiredTokens ?? 0);
    lines.push(
      "auth:",
      "  token:",
      `    realm: ${tokens.realm}`,
      `    service: ${TOKEN_SERVICE}`,
      `    issuer: ${TOKEN_ISSUER}`,
      `    rootcertbundle: ${tokens.certificate}`,
    );
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
    tokenRequests: tokens?.requests,
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
      await tokens?.stop();
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

const TOKEN_SERVICE = "fastcs-test-registry";
const TOKEN_ISSUER = "fastcs-test-token-server";

interface TokenServer {
  /** The token endpoint (`http://127.0.0.1:PORT/token`). */
  realm: string;
  /** The certificate the registry verifies tokens with. */
  certificate: string;
  requests: { withCredentials: boolean }[];
  stop(): Promise<void>;
}

const base64url = (bytes: Uint8Array | string) =>
  btoa(typeof bytes === "string" ? bytes : String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(
    /\//g,
    "_",
  ).replace(/=+$/, "");

/**
 * A token server for docker-registry's `auth: token` (the distribution token authentication spec): no such
 * server is packaged for these machines, so this test stand-in issues the JWTs itself (RS256, signed with a
 * key whose self-signed certificate the registry trusts, the certificate in the `x5c` header). `GET
 * /token?service=…&scope=repository:NAME:ACTIONS` with basic credentials `username`/`password` grants the
 * actions asked for; without credentials, none; wrong credentials: 401. The first `expired` tokens it issues
 * expired two minutes ago (beyond the registry's leeway of one minute).
 */
async function startTokenServer(
  dir: string,
  username: string,
  password: string,
  expired: number,
): Promise<TokenServer> {
  const key = join(dir, "token-key.pem");
  const certificate = join(dir, "token-cert.pem");
  const r = await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    key,
    "-out",
    certificate,
    "-days",
    "1",
    "-subj",
    "/CN=fastcs-test-token-server",
  ]);
  if (r.code !== 0) throw new Error(`openssl: ${r.stderr}`);
  const der = (pem: string) =>
    Uint8Array.from(atob(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  const signingKey = await crypto.subtle.importKey(
    "pkcs8",
    der(await Deno.readTextFile(key)),
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const x5c = btoa(String.fromCharCode(...der(await Deno.readTextFile(certificate))));
  const expected = `Basic ${btoa(`${username}:${password}`)}`;
  const requests: TokenServer["requests"] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
    const url = new URL(request.url);
    // Docker's token spec: GET with basic credentials; its OAuth2 variant (Helm 3's containerd resolver):
    // POST of a form with grant_type=password, username, password and scope.
    const form = request.method === "POST" ? new URLSearchParams(await request.text()) : undefined;
    const auth = form
      ? (form.get("grant_type") === "password"
        ? `Basic ${btoa(`${form.get("username")}:${form.get("password")}`)}`
        : null)
      : request.headers.get("Authorization");
    const params = form ?? url.searchParams;
    requests.push({ withCredentials: auth !== null });
    if (auth && auth !== expected) return new Response("wrong credentials", { status: 401 });
    const access = auth
      ? params.getAll("scope").flatMap((s) => s.split(" ")).flatMap((scope) => {
        const [type, name, actions] = scope.split(":");
        return type === "repository" ? [{ type, name, actions: actions.split(",") }] : [];
      })
      : [];
    const now = Math.floor(Date.now() / 1000) - (expired-- > 0 ? 730 : 0);
    const header = base64url(JSON.stringify({ typ: "JWT", alg: "RS256", x5c: [x5c] }));
    const claims = base64url(JSON.stringify({
      iss: TOKEN_ISSUER,
      sub: auth ? username : "",
      aud: params.get("service") ?? TOKEN_SERVICE,
      exp: now + 600,
      nbf: now - 10,
      iat: now,
      jti: crypto.randomUUID(),
      access,
    }));
    const signature = new Uint8Array(
      await crypto.subtle.sign(
        "RSASSA-PKCS1-v1_5",
        signingKey,
        new TextEncoder().encode(`${header}.${claims}`),
      ),
    );
    const token = `${header}.${claims}.${base64url(signature)}`;
    return Response.json({ token, access_token: token, expires_in: 600 });
  });
  return {
    realm: `http://127.0.0.1:${server.addr.port}/token`,
    certificate,
    requests,
    stop: () => server.shutdown(),
  };
}
