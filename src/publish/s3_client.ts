// The AWS SDK's S3 client for publish's S3 chart repositories (s3_repository.ts): made with credentials only
// from the AWS variables or the shared files, and its errors told apart (refused, unreachable, no bucket) and
// put in words that name no secret. Loaded with s3_repository.ts, only for `publish --s3`.
import { join } from "node:path";
import type { RegistryFailure } from "../adapters/helm.ts";
import { fromIni, S3Client, type S3ClientConfig } from "../deps/s3.ts";
import type { S3Settings } from "./s3_target.ts";

// Error codes of a refused identity or signature: AWS's (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html)
// and versitygw's name for an unknown access key.
const REFUSED = new Set([
  "AccessDenied",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "TokenRefreshRequired",
  "AuthorizationHeaderMalformed",
  "AllAccessDisabled",
  "AccountProblem",
  "XAdminUserNotFound",
  "CredentialsProviderError",
  "Forbidden",
]);
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
  "ServiceUnavailable",
  "SlowDown",
  "InternalError",
]);

/** The parts of an AWS SDK error (or a network error under it) that classification reads. */
export interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Why an S3 request failed, from the SDK's error: the error code S3 answered (`NoSuchBucket`,
 * `SignatureDoesNotMatch`, …), the HTTP status, or the network error under it.
 */
export function classifyS3Failure(error: unknown): RegistryFailure {
  const e = (error ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  const names = [e.name, e.code].filter((n): n is string => !!n);
  if (names.some((n) => REFUSED.has(n)) || status === 401 || status === 403) return "unauthorized";
  if (names.includes("NoSuchBucket")) return "not found";
  if (
    names.some((n) => UNREACHABLE_CODES.has(n)) || (status !== undefined && status >= 500) ||
    /ECONNREFUSED|ENOTFOUND|getaddrinfo|socket hang up|timed? ?out|certificate|tls|connect/i.test(
      e.message ?? "",
    )
  ) return "unreachable";
  return "other";
}

/** True when S3 (or the SDK) named the error one of `codes`. */
export function isCode(error: unknown, ...codes: string[]): boolean {
  return codes.includes((error as SdkError)?.name ?? "");
}

/** The SDK's error in one line: S3's code and message, or the network error. */
export function reasonOf(error: unknown): string {
  const e = (error ?? {}) as SdkError;
  const code = e.name && e.name !== "Error" ? e.name : e.code;
  const message = (e.message ?? String(error)).replace(/\s+/g, " ").trim();
  return code && !message.startsWith(code) ? `${code}: ${message}` : message;
}

/** Which credentials a request was signed with, in words that name no secret. */
export function credentialsTried(settings: S3Settings): string {
  const aws = settings.aws;
  if (aws.accessKeyId && aws.secretAccessKey) {
    return `the access key ID ending in ${
      aws.accessKeyId.slice(-4)
    } from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY${aws.sessionToken ? "/AWS_SESSION_TOKEN" : ""}`;
  }
  return `profile ${aws.profile ?? "default"} of ${aws.sharedCredentialsFile ?? "~/.aws/credentials"} and ${
    aws.configFile ?? "~/.aws/config"
  }${aws.profile ? " (AWS_PROFILE)" : ""}`;
}

/** The S3 client of `settings` and the region it signs for: credentials only from the AWS variables or the
 * shared files. */
export async function createClient(
  settings: S3Settings,
  attempts: number,
): Promise<{ client: S3Client; region: string }> {
  const aws = settings.aws;
  const home = settings.home ?? "";
  // Only the standard variables and the shared files: no instance metadata, container or SSO-cache
  // look-ups that an unconfigured runner would make over the network.
  const credentials: S3ClientConfig["credentials"] = aws.accessKeyId && aws.secretAccessKey
    ? { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey, sessionToken: aws.sessionToken }
    : fromIni({
      profile: aws.profile ?? "default",
      filepath: aws.sharedCredentialsFile ?? join(home, ".aws", "credentials"),
      configFilepath: aws.configFile ?? join(home, ".aws", "config"),
    });
  const config: S3ClientConfig = {
    endpoint: settings.endpoint,
    // An S3-compatible server is seldom set up for bucket names in host names (bucket.host).
    forcePathStyle: settings.endpoint !== undefined,
    // AWS answers a request to the wrong region with a redirect the SDK can follow.
    followRegionRedirects: settings.endpoint === undefined,
    credentials,
    maxAttempts: attempts,
    // Only the checksums S3 requires: many S3-compatible servers refuse the SDK's newer default ones.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
  };
  let region = aws.region;
  if (!region) {
    // The profile's region from the config file, as the SDK reads it; S3's default region without one.
    const probe = new S3Client({ ...config, credentials: { accessKeyId: "-", secretAccessKey: "-" } });
    region = await probe.config.region().catch(() => undefined) ?? "us-east-1";
    probe.destroy();
  }
  return { client: new S3Client({ ...config, region }), region };
}
