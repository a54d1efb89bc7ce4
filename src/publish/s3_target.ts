// S3 chart repositories as publish targets, the light part: the `s3://bucket/prefix` reference, the settings
// of the S3 client, and the repositories of one run, each opened on first use. The work (and the AWS SDK,
// about a hundred modules) is in s3_repository.ts, imported only when a run has an `--s3` target.
import type { Helm } from "../adapters/helm.ts";
import type { AwsEnv } from "../runtime/helm_env.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import type { Existing } from "./targets.ts";
import { redactUrls } from "../runtime/redact.ts";

/**
 * An S3 chart repository in the helm-s3 layout (https://github.com/hypnoglow/helm-s3): the packages
 * (`<chart>-<version>.tgz`, with `.prov` when signed) and `index.yaml` side by side under one prefix.
 */
export interface S3Target {
  kind: "s3";
  /** `s3://bucket[/prefix]` as given, without a trailing slash: how results name the repository. */
  url: string;
  bucket: string;
  /** Key prefix without leading or trailing slash; empty for the bucket's root. */
  prefix: string;
}

/** How the S3 client of a run is set up: where the server is, and where credentials and region come from. */
export interface S3Settings {
  /** An S3-compatible server (`--s3-endpoint`, else `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`); path-style
   * addressing is used with it. Absent: AWS S3 itself, virtual-hosted addressing. */
  endpoint?: string;
  /** The standard AWS variables: the only source of credentials and region besides the shared files. */
  aws: AwsEnv;
  /** The home folder the shared files default to (`~/.aws/credentials`, `~/.aws/config`). */
  home?: string;
}

// S3's rules for new bucket names (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html):
// 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Reads an `s3://bucket[/prefix]` reference (`--s3`), as helm-s3 and the AWS CLI write it.
 *
 * @throws FastcsError (exit code 2) for another scheme, a bucket name S3 does not allow, or an empty or
 *   `.`/`..` segment in the prefix.
 */
export function parseS3Url(reference: string): S3Target {
  const ref = reference.trim().replace(/\/+$/, "");
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(ref);
  const prefix = match?.[2] ?? "";
  const segments = prefix === "" ? [] : prefix.split("/");
  if (!match || !BUCKET.test(match[1]) || segments.some((s) => s === "" || s === "." || s === "..")) {
    throw new FastcsError(
      `"${redactUrls(reference)}" is not an S3 chart repository of the form s3://bucket/prefix`,
      {
        code: "publish.s3-ref",
        exitCode: ExitCode.usage,
        hint:
          "The bucket name as S3 allows it (lower-case letters, digits, dots, hyphens), then the folder of index.yaml: --s3 s3://my-bucket/charts",
      },
    );
  }
  return { kind: "s3", url: `s3://${match[1]}${prefix ? `/${prefix}` : ""}`, bucket: match[1], prefix };
}

/** The object key of `name` (a package or `index.yaml`) in the repository. */
export function s3Key(target: S3Target, name: string): string {
  return target.prefix ? `${target.prefix}/${name}` : name;
}

/**
 * An opened S3 chart repository: what the publish steps ask of it, in their order (check, push, read back,
 * index). Implemented by s3_repository.ts; every method raises RegistryError (exit code 9) when S3 cannot be
 * asked (unreachable, credentials refused, no such bucket).
 */
export interface S3Repository {
  /** What the repository holds for `chart` at `version`, compared with our package by content digest. */
  existing(chart: string, version: string, ours: string): Promise<Existing>;
  /**
   * Uploads the package (only if no object of that name appeared since the check, or, with `force`, if it
   * is still the one compared), or takes over an identical one left unindexed. Returns the sha256 of the
   * bytes that will be indexed.
   * @throws PushConflict when another publish wrote other content under that name first.
   */
  push(chart: string, version: string, tgz: string): Promise<string>;
  /** Undefined when the package is still what this run uploaded (or took over), else what it holds instead. */
  readBack(chart: string, version: string): Promise<string | undefined>;
  /**
   * Downloads the package index.yaml lists for `chart` at `version` into `destination` (a folder), checked
   * against the index's sha256 `digest`: what `promote` installs from an S3 repository.
   * @returns the file and its sha256 (`sha256:<hex>`), or undefined when the index lists no such version
   * @throws FastcsError exit 8 when the package does not match its index entry or is missing, or its URL
   *   points outside the repository; RegistryError (exit 9) when S3 cannot be asked
   */
  fetchPackage(chart: string, version: string, destination: string): Promise<
    { path: string; digest: string } | undefined
  >;
  /** Merges this run's packages into `index.yaml` (`helm repo index --merge`), guarded against concurrent
   * writers; nothing when this run uploaded nothing. */
  updateIndex(): Promise<void>;
  /** Closes the client's connections. */
  close(): void;
}

/** The S3 repositories of one run. */
export interface S3Connections {
  /** The repository of `target`, opened (AWS SDK loaded, client made) on the first call. */
  of(target: S3Target): Promise<S3Repository>;
  /** Closes every repository opened. */
  close(): Promise<void>;
}

/**
 * The S3 repositories of one run: each opened once, on first use, with the same settings. Loads the AWS SDK
 * only then.
 *
 * @param attempts tries of each S3 request (the SDK retries an unreachable or throttling server)
 */
export function s3Connections(
  settings: S3Settings,
  helm: Helm,
  scratch: string,
  attempts: number,
  log: { info(m: string): void; warn(m: string): void; debug(m: string): void },
): S3Connections {
  const open = new Map<S3Target, Promise<S3Repository>>();
  return {
    of(target) {
      let repository = open.get(target);
      if (!repository) {
        repository = import("./s3_repository.ts").then((m) =>
          m.openS3Repository(target, { settings, helm, scratch, attempts, log })
        );
        open.set(target, repository);
      }
      return repository;
    },
    async close() {
      for (const repository of open.values()) (await repository.catch(() => undefined))?.close();
    },
  };
}
