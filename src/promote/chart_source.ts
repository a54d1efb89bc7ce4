// Where `promote` fetches the chart a source release runs (the project file's `promote.chartRepository`):
// an OCI registry (`oci://host/path`, where `helm fastcs publish --oci` pushes), a classic chart repository
// (`https://host/path`: its index.yaml and packages over HTTP(S), as chart-releaser's gh-pages or
// `publish --repo-dir` behind a web server serve them), or an S3 chart repository in the helm-s3 layout
// (`s3://bucket/prefix`, as `publish --s3` and helm-s3 write it). Whatever the source, the package fetched
// must then render what runs in the source environment (plan.ts checks that).
import {
  classifyRegistryFailure,
  type Helm,
  helmErrorLine,
  type RegistryTransport,
} from "../adapters/helm.ts";
import { fileSha256 } from "../chart/content_digest.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { redactUrls } from "../runtime/redact.ts";
import { parseS3Url, type S3Connections, type S3Target } from "../publish/s3_target.ts";

/** A chart repository promote fetches from. `reference`: as the project file names it, without a trailing
 * slash. */
export type ChartSource =
  | { kind: "oci"; reference: string }
  | { kind: "http"; reference: string }
  | { kind: "s3"; reference: string; target: S3Target };

/**
 * Reads `promote.chartRepository`.
 *
 * @throws FastcsError (exit code 5) for anything else than `oci://`, `http(s)://` or a valid `s3://bucket/prefix`,
 *   and for an http(s) address with credentials in it (they go to `helm repo add`; the message hides the password)
 */
export function parseChartSource(reference: string, file: string): ChartSource {
  const ref = reference.trim().replace(/\/+$/, "");
  const bad = (why: string) =>
    new FastcsError(`promote.chartRepository "${redactUrls(reference)}" in ${file} ${why}`, {
      code: "promote.chart-source",
      exitCode: ExitCode.input,
      hint:
        "Name where helm fastcs publish puts the charts: oci://<registry>/<path>, https://<host>/<path> (a chart repository's index.yaml) or s3://<bucket>/<prefix>.",
    });
  if (/^oci:\/\/[^/\s]+/.test(ref)) return { kind: "oci", reference: ref };
  if (/^https?:\/\//i.test(ref)) {
    if (!URL.canParse(ref)) throw bad("is not a valid URL");
    const url = new URL(ref);
    if (url.username || url.password) {
      // A password in the project file would be committed with it, and Helm prints such URLs in its errors.
      throw new FastcsError(
        `promote.chartRepository in ${file} carries credentials in its address (${
          redactUrls(withoutCredentials(ref))
        } with a user name or password before the host): promote takes none there`,
        {
          code: "promote.chart-source",
          exitCode: ExitCode.input,
          hint: `Write the address without them, and give them to Helm once: helm repo add NAME ${
            redactUrls(withoutCredentials(ref))
          } --username USER --password-stdin (promote pulls through the name Helm knows the repository by).`,
        },
      );
    }
    return { kind: "http", reference: ref };
  }
  if (ref.startsWith("s3://")) {
    try {
      return { kind: "s3", reference: ref, target: parseS3Url(ref) };
    } catch (error) {
      throw bad(`is not an S3 chart repository: ${(error as Error).message}`);
    }
  }
  throw bad("is not an oci://, http(s):// or s3:// address");
}

/** A fetched chart package. `digest`: the OCI manifest digest Helm reported, or for a classic or S3
 * repository the package's sha256 (`sha256:<hex>`). */
export interface FetchedChart {
  path: string;
  digest?: string;
}

/** `url` without its user information (`https://user:pw@host/x` -> `https://host/x`); unparsable: as is. */
function withoutCredentials(url: string): string {
  try {
    const u = new URL(url.trim());
    u.username = "";
    u.password = "";
    return u.href.replace(/\/+$/, "");
  } catch {
    return url.trim().replace(/\/+$/, "");
  }
}

/** A URL as Helm's repository file and the project file may spell it alike: no trailing slash, the scheme
 * and host in lower case, without user information (`helm repo add NAME https://user:pw@host/…` keeps it in
 * the URL). */
function sameRepositoryUrl(a: string, b: string): boolean {
  return withoutCredentials(a) === withoutCredentials(b);
}

/**
 * One run's answers of {@link fetchChart} about HTTP(S) repositories: by repository URL, the name Helm knows
 * it by (or undefined), looked up and its index refreshed once per run. Each run makes its own (`new Map()`).
 */
export type KnownRepositories = Map<string, Promise<string | undefined>>;

/**
 * The name of the repository Helm knows at `url` (`helm repo add`; the first when several), its index
 * refreshed with `helm repo update NAME`, once per run (`byUrl`); `undefined` when Helm knows none there.
 *
 * @throws FastcsError exit 9 when the refresh fails (unreachable, credentials refused), 6 when Helm's
 *   repository file cannot be read
 */
function knownRepository(helm: Helm, byUrl: KnownRepositories, url: string): Promise<string | undefined> {
  let found = byUrl.get(url);
  if (!found) {
    found = (async () => {
      const entry = (await helm.repoList()).find((r) => sameRepositoryUrl(r.url, url));
      if (!entry) return undefined;
      const r = await helm.repoUpdate(entry.name);
      if (r.code !== 0) {
        throw new FastcsError(
          `cannot refresh the index of chart repository ${entry.name} (${redactUrls(url)}): ${
            redactUrls(helmErrorLine(r.stderr))
          }`,
          {
            code: "promote.pull",
            exitCode: ExitCode.publishFailed,
            hint:
              `Check the repository's address and credentials: \`helm repo update ${entry.name}\` does the same.`,
          },
        );
      }
      return entry.name;
    })();
    byUrl.set(url, found);
  }
  return found;
}

/**
 * Fetches `chart` at `version` from `source` into the folder `destination`: `helm pull` for OCI and HTTP(S)
 * repositories (Helm's registry credentials, TLS options of `transport`), the S3 API for S3 (credentials
 * from the AWS variables and shared files; the package checked against index.yaml's digest). An HTTP(S)
 * repository that Helm knows by name (`helm repo add`, e.g. with `--username` for a private one) is pulled
 * through that name, so Helm's stored credentials and TLS files apply; any other is read with `--repo`.
 * `known`: the run's {@link KnownRepositories}.
 *
 * @throws FastcsError exit 9 when the version is not there any more or the repository cannot be reached, 8
 *   when an S3 package does not match its index entry
 */
export async function fetchChart(
  helm: Helm,
  s3: S3Connections,
  source: ChartSource,
  chart: string,
  version: string,
  destination: string,
  transport: RegistryTransport,
  known: KnownRepositories,
): Promise<FetchedChart> {
  // The address as messages show it: a token in its query string hidden (see redactUrls).
  const shown = redactUrls(source.reference);
  const gone = () =>
    new FastcsError(`chart ${chart} ${version} is not in ${shown} any more`, {
      code: "promote.pull",
      exitCode: ExitCode.publishFailed,
      hint:
        "Promotion ships the verified artifact only: republish it (helm fastcs publish) or promote a newer release.",
    });
  if (source.kind === "s3") {
    const fetched = await (await s3.of(source.target)).fetchPackage(chart, version, destination);
    if (!fetched) throw gone();
    return fetched;
  }
  const named = source.kind === "http" ? await knownRepository(helm, known, source.reference) : undefined;
  const r = source.kind === "oci"
    ? await helm.pull(`${source.reference}/${chart}`, version, destination, transport)
    : named
    ? await helm.pullFromNamedRepo(named, chart, version, destination)
    : await helm.pullFromRepo(source.reference, chart, version, destination, transport);
  if (r.code === 0 && r.path) {
    if (source.kind === "oci") return { path: r.path, digest: (r as { digest?: string }).digest };
    return { path: r.path, digest: `sha256:${await fileSha256(r.path)}` };
  }
  // Helm says "not found" in its OCI wording and in its index.yaml wordings ("chart "x" version "y" not found
  // in https://… repository" with --repo, "chart "x" matching y not found in NAME index" by name).
  if (
    classifyRegistryFailure(r.stderr) === "not found" ||
    /version ".*" not found|matching \S+ not found in/.test(r.stderr)
  ) {
    throw gone();
  }
  const ref = source.kind === "oci" ? `${shown}/${chart}:${version}` : `${chart} ${version} from ${shown}`;
  const refused = classifyRegistryFailure(r.stderr) === "unauthorized";
  throw new FastcsError(
    `cannot pull ${ref}${named ? ` (Helm's repository ${named})` : ""}: ${
      redactUrls(helmErrorLine(r.stderr))
    }`,
    {
      code: "promote.pull",
      exitCode: ExitCode.publishFailed,
      hint: source.kind === "oci"
        ? "Check the registry address, credentials and --plain-http."
        : refused && !named
        ? `The repository asks for credentials: add it to Helm once (helm repo add NAME ${shown} --username USER --password-stdin); promote then pulls through it with Helm's stored credentials.`
        : "Check the repository's address (its index.yaml must be at <address>/index.yaml), credentials and TLS options.",
    },
  );
}
