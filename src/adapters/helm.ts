// Typed wrappers over the real helm CLI ($HELM_BIN). We never re-implement what Helm does: packaging,
// registry protocol, credentials (HELM_REGISTRY_CONFIG) and TLS all stay Helm's.
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { lastLine, type Runner, type RunResult } from "../runtime/runner.ts";

/** TLS and transport options for OCI registries, passed to every registry command. */
export interface RegistryTransport {
  /** Use HTTP instead of HTTPS (local registries). */
  plainHttp?: boolean;
  insecureSkipTlsVerify?: boolean;
  caFile?: string;
}

/** Why a registry command failed, read from Helm's message. */
export type RegistryFailure = "not found" | "unauthorized" | "unreachable" | "other";

/** Signing options of `helm package --sign` (a GnuPG secret keyring and key name). */
export interface SignOptions {
  key: string;
  keyring: string;
  passphraseFile?: string;
}

/** The helm CLI. Methods return the raw result where the caller decides, typed data where not. */
export interface Helm {
  /** `helm version`: e.g. `v4.1.4`, and the major version. */
  version(): Promise<{ version: string; major: number }>;
  /** `helm lint` of several charts in one process; {@link lintSections} splits its report per chart. */
  lint(chartDirs: string[]): Promise<RunResult>;
  /** `helm dependency build`, fetching OCI dependencies with the registry transport options. */
  dependencyBuild(chartDir: string, transport?: RegistryTransport): Promise<RunResult>;
  /** `helm template RELEASE CHART [-f FILE]...`: the manifests the chart renders with those values. */
  template(release: string, chartDir: string, valuesFiles: string[]): Promise<RunResult>;
  /** `helm package` of several charts in one process, each at the version and appVersion its Chart.yaml
   * holds; returns the paths of the written .tgz files, in Helm's order. */
  package(
    chartDirs: string[],
    options: { destination: string; sign?: SignOptions },
  ): Promise<RunResult & { paths: string[] }>;
  /** `helm push`; returns the manifest digest Helm reports. */
  push(tgz: string, ociBase: string, transport: RegistryTransport): Promise<RunResult & { digest?: string }>;
  /** `helm pull oci://… --version` into `destination`; returns the path of the .tgz and the manifest digest
   * Helm reports (`Digest:`) for what it pulled. */
  pull(
    ociChart: string,
    version: string,
    destination: string,
    transport: RegistryTransport,
  ): Promise<RunResult & { path?: string; digest?: string }>;
  /** `helm pull CHART --repo URL --version V` from a classic chart repository (its index.yaml over HTTP(S),
   * no `helm repo add` needed) into `destination`; returns the path of the .tgz. TLS options as given;
   * `plainHttp` means nothing here (the URL's scheme says it). */
  pullFromRepo(
    repoUrl: string,
    chart: string,
    version: string,
    destination: string,
    transport: RegistryTransport,
  ): Promise<RunResult & { path?: string }>;
  /** `helm pull NAME/CHART --version V` from a classic chart repository Helm knows by NAME (`helm repo add`:
   * its credentials and TLS files stay Helm's) into `destination`; returns the path of the .tgz. */
  pullFromNamedRepo(
    name: string,
    chart: string,
    version: string,
    destination: string,
  ): Promise<RunResult & { path?: string }>;
  /** `helm repo list -o json`: the classic chart repositories Helm knows (HELM_REPOSITORY_CONFIG), in its
   * order; none: `[]`.
   * @throws FastcsError exit 6 when helm cannot read its repository file */
  repoList(): Promise<{ name: string; url: string }[]>;
  /** `helm repo update NAME`: refreshes that repository's index in Helm's cache (its own credentials); a
   * failed refresh is a non-zero exit under Helm 3 too. */
  repoUpdate(name: string): Promise<RunResult>;
  /** `helm registry login HOST --username U --password-stdin` (the password never enters argv). */
  registryLogin(
    host: string,
    username: string,
    password: string,
    transport: RegistryTransport,
  ): Promise<RunResult>;
  /** `helm repo index DIR --merge DIR/index.yaml [--url URL]`. */
  repoIndex(dir: string, url: string | undefined, merge: boolean): Promise<RunResult>;
}

/** Splits the report of a multi-chart `helm lint` into the part of each chart folder (`==> Linting DIR`). */
export function lintSections(output: string): Map<string, string> {
  const sections = new Map<string, string>();
  for (const part of output.split(/^==> Linting /m).slice(1)) {
    const [dir, ...rest] = part.split("\n");
    // The closing "Error: N chart(s) linted, M chart(s) failed" belongs to no chart.
    sections.set(dir.trim(), rest.filter((l) => !/^Error: \d+ chart\(s\) linted/.test(l)).join("\n").trim());
  }
  return sections;
}

function transportFlags(t: RegistryTransport): string[] {
  return [
    ...(t.plainHttp ? ["--plain-http"] : []),
    ...(t.insecureSkipTlsVerify ? ["--insecure-skip-tls-verify"] : []),
    ...(t.caFile ? ["--ca-file", t.caFile] : []),
  ];
}

/**
 * Helm's final error in its stderr: from the last `Error:` line on, up to the trace Helm 3 writes after it
 * under HELM_DEBUG (`helm.go:86: <time> [debug] <the error again>`, then the Go stack of an error wrapped by
 * pkg/errors: cmd/helm/helm.go's `debug("%+v", err)`); else everything but its debug log (under HELM_DEBUG
 * Helm also logs the normal 401 challenge of every authenticated registry, which is no failure).
 */
export function finalHelmError(stderr: string): string {
  const lines = stderr.split("\n");
  const last = lines.findLastIndex((l) => /^Error: /.test(l));
  if (last >= 0) {
    const trace = lines.findIndex((l, i) => i > last && /^\S+\.go:\d+: .*\[debug\] /.test(l));
    return lines.slice(last, trace < 0 ? undefined : trace).join("\n");
  }
  // Helm 4 logs `level=DEBUG msg=…` (slog), Helm 3 `time="…" level=debug msg=…` (logrus) and `[debug]`.
  return lines.filter((l) =>
    !/^((time=("[^"]*"|\S+) )?level=debug\b|\[debug\]|\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d )/i.test(l)
  )
    .join("\n");
}

/**
 * Helm's final error (see {@link finalHelmError}) on one line, for a message or a result's `error`: its lines
 * trimmed and joined with spaces (`Error: UPGRADE FAILED: …`), never a line of the Go stack Helm 3 writes after
 * it under HELM_DEBUG; the last non-empty line of `stderr` when it holds no `Error:` line.
 */
export function helmErrorLine(stderr: string): string {
  if (!/^Error: /m.test(stderr)) return lastLine(stderr);
  return finalHelmError(stderr).split("\n").map((l) => l.trim()).filter((l) => l !== "").join(" ");
}

/** Classifies a failed registry command by Helm's final error (Helm 3 and 4 word them alike). */
export function classifyRegistryFailure(stderr: string): RegistryFailure {
  stderr = finalHelmError(stderr);
  if (
    // Status codes only as HTTP statuses ("401 Unauthorized"): a chart version 1.0.403 is no refusal.
    /\b(401|403) [a-z]|status(?: code)?:? (401|403)\b|unauthori[sz]ed|forbidden|denied|authentication required|basic credential not found/i
      .test(
        stderr,
      )
  ) return "unauthorized";
  if (/: not found\b|manifest unknown|name unknown|\b404 not found|status(?: code)?:? 404\b/i.test(stderr)) {
    return "not found";
  }
  if (
    /connection refused|no such host|i\/o timeout|deadline exceeded|\bEOF\b|connection reset|server misbehaving|tls: |x509:|\b50[0-9] [a-z]|status(?: code)?:? 50[0-9]\b|network is unreachable|server gave HTTP response/i
      .test(stderr)
  ) return "unreachable";
  return "other";
}

/** A successful `helm pull` into an empty `destination`: the result with the path of the one package there. */
async function onlyPackage(r: RunResult, destination: string): Promise<RunResult & { path?: string }> {
  if (r.code !== 0) return r;
  const packages = [];
  for await (const entry of Deno.readDir(destination)) {
    if (entry.name.endsWith(".tgz")) packages.push(entry.name);
  }
  return { ...r, path: packages.length === 1 ? `${destination}/${packages[0]}` : undefined };
}

/** Creates the wrapper for the helm executable `bin` (HELM_BIN), run in `cwd` with `env` added. */
export function createHelm(run: Runner, bin: string, cwd: string, env: Record<string, string> = {}): Helm {
  const helm = async (args: string[], stdin?: string) => {
    const r = await run(bin, args, { cwd, env, stdin });
    if (r.code === 127) {
      throw new FastcsError(`cannot run helm (${bin}): ${r.stderr.trim()}`, {
        code: "helm.missing",
        exitCode: ExitCode.environment,
        hint: "Run this as `helm fastcs ...` (Helm sets HELM_BIN), or put helm on PATH.",
      });
    }
    return r;
  };
  let known: Promise<{ version: string; major: number }> | undefined;
  const version = () =>
    known ??= helm(["version", "--template", "{{.Version}}"]).then((r) => {
      const text = r.stdout.trim();
      const major = /^v?(\d+)\./.exec(text)?.[1];
      // A guessed version would drive Helm 4 with Helm 3's flags (or the reverse): fail instead.
      if (r.code !== 0 || major === undefined) {
        throw new FastcsError(`cannot read the version of helm (${bin}): ${lastLine(r.stderr) || text}`, {
          code: "helm.version",
          exitCode: ExitCode.environment,
          hint: "Check that HELM_BIN (or helm on PATH) is Helm 3 or 4: run it with `version`.",
        });
      }
      return { version: text, major: Number(major) };
    });
  return {
    version,
    lint: (chartDirs) => helm(["lint", ...chartDirs]),
    dependencyBuild: (chartDir, transport) =>
      helm(["dependency", "build", chartDir, ...(transport ? transportFlags(transport) : [])]),
    template: (release, chartDir, valuesFiles) =>
      helm(["template", release, chartDir, ...valuesFiles.flatMap((f) => ["-f", f])]),
    package: async (chartDirs, o) => {
      const args = [
        "package",
        ...chartDirs,
        "--destination",
        o.destination,
      ];
      if (o.sign) {
        args.push("--sign", "--key", o.sign.key, "--keyring", o.sign.keyring);
        if (o.sign.passphraseFile) args.push("--passphrase-file", o.sign.passphraseFile);
      }
      const r = await helm(args);
      const paths = [...(r.stdout + r.stderr).matchAll(/saved it to: (.+\.tgz)/g)].map((m) => m[1].trim());
      return { ...r, paths };
    },
    push: async (tgz, ociBase, t) => {
      const r = await helm(["push", tgz, ociBase, ...transportFlags(t)]);
      const digest = /Digest: (sha256:[0-9a-f]{64})/.exec(r.stderr + r.stdout)?.[1];
      return { ...r, digest };
    },
    pull: async (ociChart, version, destination, t) => {
      const r = await helm([
        "pull",
        ociChart,
        "--version",
        version,
        "--destination",
        destination,
        ...transportFlags(t),
      ]);
      if (r.code !== 0) return r;
      const digest = /Digest: (sha256:[0-9a-f]{64})/.exec(r.stderr + r.stdout)?.[1];
      const name = ociChart.split("/").pop();
      const tag = version.replace(/\+/g, "_");
      const candidates = [`${name}-${version}.tgz`, `${name}-${tag}.tgz`];
      // The package of that name; else the only package in the folder (a chart whose name differs from the
      // repository's last segment); several others: none is guessed.
      const packages: string[] = [];
      for await (const entry of Deno.readDir(destination)) {
        if (candidates.includes(entry.name)) return { ...r, path: `${destination}/${entry.name}`, digest };
        if (entry.name.endsWith(".tgz")) packages.push(entry.name);
      }
      return { ...r, path: packages.length === 1 ? `${destination}/${packages[0]}` : undefined, digest };
    },
    pullFromRepo: async (repoUrl, chart, version, destination, t) =>
      await onlyPackage(
        await helm([
          "pull",
          chart,
          "--repo",
          repoUrl,
          "--version",
          version,
          "--destination",
          destination,
          ...transportFlags({ ...t, plainHttp: false }),
        ]),
        destination,
      ),
    pullFromNamedRepo: async (name, chart, version, destination) =>
      await onlyPackage(
        await helm(["pull", `${name}/${chart}`, "--version", version, "--destination", destination]),
        destination,
      ),
    repoList: async () => {
      const r = await helm(["repo", "list", "-o", "json"]);
      let listed: unknown;
      try {
        listed = r.code === 0 ? JSON.parse(r.stdout || "[]") : undefined;
      } catch {
        listed = undefined;
      }
      if (!Array.isArray(listed)) {
        throw new FastcsError(
          `cannot list Helm's chart repositories: ${lastLine(r.stderr) || r.stdout.trim()}`,
          {
            code: "helm.repo-list",
            exitCode: ExitCode.environment,
            hint: "Check HELM_REPOSITORY_CONFIG (helm repo list shows the same).",
          },
        );
      }
      return listed.filter((e) => typeof e?.name === "string" && typeof e?.url === "string")
        .map((e) => ({ name: e.name as string, url: e.url as string }));
    },
    // Helm 3 reports a repository it could not refresh and still exits 0 unless asked; Helm 4 fails.
    repoUpdate: async (name) =>
      await helm([
        "repo",
        "update",
        name,
        ...((await version()).major === 3 ? ["--fail-on-repo-update-fail"] : []),
      ]),
    registryLogin: async (host, username, password, t) => {
      const args = ["registry", "login", host, "--username", username, "--password-stdin"];
      // Helm 4 has --plain-http for login; Helm 3.17 only --insecure (TLS without verification).
      if (t.plainHttp && (await version()).major >= 4) args.push("--plain-http");
      else if (t.plainHttp || t.insecureSkipTlsVerify) args.push("--insecure");
      if (t.caFile) args.push("--ca-file", t.caFile);
      return await helm(args, password);
    },
    repoIndex: (dir, url, merge) => {
      const args = ["repo", "index", dir];
      if (url) args.push("--url", url);
      if (merge) args.push("--merge", `${dir}/index.yaml`);
      return helm(args);
    },
  };
}
