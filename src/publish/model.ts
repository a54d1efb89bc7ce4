// The data of a publish, shared by its steps: the options (the command line, parsed), the charts as they
// move through the steps (versioned, then packaged), and the report. Types only, so that the steps and the
// orchestrator import them from here rather than from each other.
import type { SignOptions } from "../adapters/helm.ts";
import type { ChartInfo } from "../chart/charts.ts";
import type { S3Settings } from "./s3_target.ts";
import type { Target } from "./targets.ts";
import type { AppVersionPolicy, PrereleasePolicy } from "./version.ts";

/** Options of `publishCharts` (the command line, parsed). */
export interface PublishOptions {
  chartsDir: string;
  /** Glob patterns of chart names or folder names to leave out. */
  exclude: string[];
  tag?: string;
  /** What the repository's release tags start with before the version (`diracx-` for `diracx-1.1.6`). */
  tagPrefix?: string;
  /** The CI's `GITHUB_REF` (a tag build gives `refs/tags/<tag>`). */
  githubRef?: string;
  prerelease: PrereleasePolicy;
  /** A fixed version for untagged builds instead of `<version>-<hash>`. */
  devVersion?: string;
  /** How each chart's appVersion is set (`--app-version`). */
  appVersion: AppVersionPolicy;
  branch: string;
  allowDirty: boolean;
  allowAnyBranch: boolean;
  allowLatest: boolean;
  /** More values files to render the charts with for the image policy (besides defaults and `ci/*.yaml`). */
  imageValues?: string[];
  skipSchemaCheck: boolean;
  skipLint: boolean;
  /** Use the dependencies vendored under each chart's `charts/` as they are (no `helm dependency build`). */
  skipDependencyBuild?: boolean;
  /** Overwrite a version published with other content. */
  force: boolean;
  dryRun: boolean;
  targets: Target[];
  /** How S3 targets are reached (endpoint, credentials and region from the AWS variables and files). */
  s3?: S3Settings;
  /** Folder for release artifacts (.tgz, schemas, SHA256SUMS, manifest). */
  artifacts?: string;
  sign?: SignOptions;
  /** `--cosign-key`: sign every chart at an OCI target with cosign, by manifest digest. */
  cosign?: CosignSigning;
  /** `helm registry login` before anything else; the password comes from stdin or the environment. */
  login?: { username: string; password: string };
  concurrency: number;
  attempts: number;
  backoffMs: (attempt: number) => number;
  /** True once the user asked to stop (Ctrl+C): no further push starts; those under way finish. */
  stopRequested?: () => boolean;
  /** Milliseconds to wait after the pushes before reading the tags back (default 250). */
  settleMs?: number;
}

/** How `publish --cosign-key` signs (see src/publish/signing.ts). */
export interface CosignSigning {
  /** The private key: a file (absolute path) or a KMS URI cosign understands (`awskms://…`, `k8s://…`). */
  key: string;
  /** The key's password (from COSIGN_PASSWORD or `passwordFile`); undefined when neither gave one. */
  password?: string;
  /** The file the password was read from (`--cosign-password-file`), for messages. */
  passwordFile?: string;
  /** Upload to the transparency log, as cosign does by default (`--cosign-tlog=false`: no upload). */
  tlog: boolean;
  /** The registry config Helm uses in this run: cosign gets the same credentials (as DOCKER_CONFIG). */
  registryConfig: string;
}

/** The status of one chart at one target. */
export type PublishStatus =
  | "pushed"
  | "already published"
  | "would push"
  | "skipped"
  | "failed"
  /** Pushed, but read back the tag held other content: another publish of the version raced ours. */
  | "conflict";

/** How a chart reached an OCI registry: in process through the registry's distribution API, or by `helm push`
 * (credential helpers, tokens, TLS verification off, or when the API push could not be made). */
export type PushPath = "distribution API" | "helm push";

/** One row of the summary. */
export interface PublishResult {
  chart: string;
  version: string;
  appVersion: string;
  reference: string;
  /** OCI manifest digest (pushed), or the package's sha256 (repository folders). */
  digest?: string;
  contentDigest: string;
  status: PublishStatus;
  error?: string;
  /** OCI targets, pushed by this run: which way (see {@link PushPath}). */
  pushedWith?: PushPath;
  /**
   * `--cosign-key`, OCI targets: the cosign signature of `digest`. `signed` by this run, `already signed`
   * (a signature of this key was there), `would sign` (dry run), `not signed` (after the push; why in
   * `signatureError`). Absent when nothing was to be signed (not pushed, or a repository folder or S3).
   */
  signature?: "signed" | "already signed" | "would sign" | "not signed";
  signatureError?: string;
}

/** What a publish did. */
export interface PublishReport {
  version: { tag?: string; source?: string; hash?: string };
  dryRun: boolean;
  results: PublishResult[];
  artifacts?: string;
  /** Why the artifacts could not be collected after the pushes (what was pushed stays pushed). */
  artifactsError?: string;
}

/** A chart with the version it is released under, and the problems found while staging it. */
export interface VersionedChart {
  chart: ChartInfo;
  version: string;
  appVersion: string;
  /** The folder to lint and package: the chart's own, or a copy where dependencies were built. */
  dir: string;
  problems: string[];
}

/** A chart packaged for publishing: its package and the content digest that identifies it. */
export interface PackagedChart {
  chart: ChartInfo;
  version: string;
  appVersion: string;
  tgz: string;
  contentDigest: string;
}
