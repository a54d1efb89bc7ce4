// An S3 chart repository in the helm-s3 layout, over the AWS SDK: what it holds, uploads that never replace
// a package another run wrote, and index.yaml merged with `helm repo index --merge` and written back only
// if nobody changed it meanwhile. Loaded only for `publish --s3` (see s3_target.ts).
//
// What we rely on from S3: conditional PutObject, `If-None-Match: *` (create only) and `If-Match: <ETag>`
// (replace only that version), refused with 412 PreconditionFailed when they do not hold. AWS S3 has both
// since 2024; versitygw 1.8.0 has both (its POSIX backend checks and renames under one lock per key). A
// server that answers 501 NotImplemented to them is written to without conditions, with a warning.
import { join } from "node:path";
import { finalHelmError, type Helm, type RegistryFailure } from "../adapters/helm.ts";
import { chartContentDigest } from "../chart/content_digest.ts";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "../deps/s3.ts";
import {
  classifyS3Failure,
  createClient,
  credentialsTried,
  isCode,
  reasonOf,
  type SdkError,
} from "./s3_client.ts";
import { parseDocument } from "../deps/yaml.ts";
import { sha256Hex } from "../runtime/digest.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { s3Key, type S3Repository, type S3Settings, type S3Target } from "./s3_target.ts";
import { type Existing, PushConflict, RegistryError } from "./targets.ts";

/** What {@link openS3Repository} needs besides the target. */
export interface S3Options {
  settings: S3Settings;
  helm: Helm;
  /** The run's scratch folder: downloaded packages and the index being merged go below it. */
  scratch: string;
  /** Tries of each request; the SDK retries network failures, 5xx answers and throttling, with backoff. */
  attempts: number;
  /** Progress and warnings; `debug` (HELM_DEBUG) names every request, never a credential. */
  log: { info(m: string): void; warn(m: string): void; debug(m: string): void };
}

/** Tries of the read-merge-write of index.yaml when another publish keeps changing it under us. */
const INDEX_ATTEMPTS = 5;

/** What a key holds now: its bytes (saved to a file), ETag and the content digest of the package. */
interface Seen {
  etag?: string;
  file: string;
  sha256: string;
  contentDigest: string;
}

/**
 * Opens the S3 chart repository `target`: makes the client (nothing is asked of S3 yet).
 *
 * @returns the repository; its methods raise RegistryError (exit code 9) when S3 cannot be asked
 */
export async function openS3Repository(target: S3Target, options: S3Options): Promise<S3Repository> {
  const { client, region } = await createClient(options.settings, options.attempts);
  options.log.debug(
    `s3: ${target.url} at ${options.settings.endpoint ?? "AWS S3"}, region ${region}, credentials: ${
      credentialsTried(options.settings)
    }`,
  );
  const dir = await Deno.makeTempDir({ dir: options.scratch, prefix: "s3-" });
  const indexDir = join(dir, "index");
  await Deno.mkdir(indexDir);
  let downloads = 0;
  let conditional = true;
  let index: Promise<{ text: string; etag?: string } | undefined> | undefined;
  /** Per package file name: what the check saw, and whether it is identical but unindexed. */
  const seen = new Map<string, Seen & { adopt: boolean }>();
  /** Per package file name: the ETag of what this run uploaded or took over (to be indexed). */
  const mine = new Map<string, string | undefined>();
  const where = (name: string) => `${target.url}/${name}`;
  const endpoint = options.settings.endpoint ? `the S3 server at ${options.settings.endpoint}` : "AWS S3";

  /** The RegistryError (exit code 9) of an SDK error: what failed, S3's reason, what to do next. */
  const failure = (what: string, error: unknown): RegistryError => {
    const kind = classifyS3Failure(error);
    let reason = reasonOf(error);
    for (const secret of [options.settings.aws.secretAccessKey, options.settings.aws.sessionToken]) {
      if (secret) reason = reason.replaceAll(secret, "***");
    }
    const none = isCode(error, "CredentialsProviderError");
    const hints: Record<RegistryFailure, string> = {
      unauthorized: `${
        none
          ? "No credentials found: tried"
          : `${endpoint[0].toUpperCase()}${endpoint.slice(1)} refused the credentials tried:`
      } ${
        credentialsTried(options.settings)
      }, signing for region ${region}. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or AWS_PROFILE for the shared files, and AWS_REGION if the region is wrong; publishing needs s3:GetObject, s3:PutObject and s3:ListBucket on ${target.url}.`,
      unreachable: `Gave up after ${options.attempts} attempt(s). Check the endpoint (${
        options.settings.endpoint
          ? `${options.settings.endpoint}, from --s3-endpoint, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL`
          : "AWS S3"
      }), the network and AWS_REGION; rerunning completes the release without duplicates.`,
      "not found": `Bucket ${target.bucket} does not exist at ${endpoint}: check --s3${
        options.settings.endpoint ? " and the endpoint" : " and AWS_REGION"
      }, or create the bucket.`,
      other: "See S3's answer above; rerunning completes the release without duplicates.",
    };
    return new RegistryError(kind, `${what}: ${reason}`, hints[kind]);
  };

  /** The object `name`, or undefined when there is none. */
  const getObject = async (name: string) => {
    options.log.debug(`s3: GET ${where(name)}`);
    try {
      const r = await client.send(new GetObjectCommand({ Bucket: target.bucket, Key: s3Key(target, name) }));
      return { bytes: await r.Body!.transformToByteArray(), etag: r.ETag };
    } catch (error) {
      if (isCode(error, "NoSuchKey")) return undefined;
      throw failure(`reading ${where(name)}`, error);
    }
  };

  /**
   * Writes `name` if `condition` holds. "precondition" when it did not (another writer came first), "gone"
   * when If-Match found no object.
   */
  const putObject = async (
    name: string,
    body: Uint8Array,
    contentType: string,
    condition: { IfMatch?: string; IfNoneMatch?: string },
  ): Promise<{ etag?: string } | "precondition" | "gone"> => {
    const send = (c: typeof condition) => {
      const guard = !conditional
        ? ""
        : c.IfMatch
        ? ` If-Match: ${c.IfMatch}`
        : c.IfNoneMatch
        ? " If-None-Match: *"
        : "";
      options.log.debug(`s3: PUT ${where(name)}${guard}`);
      return client.send(
        new PutObjectCommand({
          Bucket: target.bucket,
          Key: s3Key(target, name),
          Body: body,
          ContentType: contentType,
          ...(conditional ? c : {}),
        }),
      );
    };
    try {
      return { etag: (await send(condition)).ETag };
    } catch (error) {
      if (isCode(error, "PreconditionFailed") || (error as SdkError).$metadata?.httpStatusCode === 412) {
        return "precondition";
      }
      if (condition.IfMatch && isCode(error, "NoSuchKey")) return "gone";
      if (conditional && isCode(error, "NotImplemented")) {
        conditional = false;
        options.log.warn(
          `${endpoint} does not support conditional writes (If-None-Match / If-Match): writing ${target.url} without them, so a publish running at the same time could overwrite a package or lose an index entry unnoticed until the read-back`,
        );
        try {
          return { etag: (await send({})).ETag };
        } catch (again) {
          throw failure(`writing ${where(name)}`, again);
        }
      }
      throw failure(`writing ${where(name)}`, error);
    }
  };

  /** Downloads the package `name` and reads its content digest; undefined when there is none. */
  const look = async (name: string): Promise<Seen | undefined> => {
    const object = await getObject(name);
    if (!object) return undefined;
    const file = join(dir, `${++downloads}`, name);
    await Deno.mkdir(join(file, ".."), { recursive: true });
    await Deno.writeFile(file, object.bytes);
    let contentDigest: string;
    try {
      contentDigest = await chartContentDigest(file);
    } catch (error) {
      throw new FastcsError(`${where(name)} is not a readable chart package: ${(error as Error).message}`, {
        code: "publish.corrupt",
        exitCode: ExitCode.refused,
        hint:
          "Nothing was pushed. Replace the damaged object (from a backup, or a package of that version) or delete it, then publish again.",
        cause: error,
      });
    }
    return { etag: object.etag, file, sha256: await sha256Hex(object.bytes), contentDigest };
  };

  /** Takes over a package already in S3 with our content: its own bytes are what index.yaml will describe. */
  const adopt = async (name: string, theirs: Seen): Promise<string> => {
    await Deno.copyFile(theirs.file, join(indexDir, name));
    mine.set(name, theirs.etag);
    return `sha256:${theirs.sha256}`;
  };

  const readIndex = async () => {
    const object = await getObject("index.yaml");
    return object && { text: new TextDecoder().decode(object.bytes), etag: object.etag };
  };

  return {
    async existing(chart, version, ours): Promise<Existing> {
      const name = `${chart}-${version}.tgz`;
      index ??= readIndex();
      const current = await index;
      let listed = false;
      try {
        const entries = (parseDocument(current?.text ?? "").toJS() as {
          entries?: Record<string, { version: unknown }[]>;
        })?.entries;
        listed = entries?.[chart]?.some((e) => String(e.version) === version) ?? false;
      } catch { /* an unreadable index: helm repo index --merge will say so */ }
      const theirs = await look(name);
      if (!theirs) {
        // Listed without its package under the prefix (hosted elsewhere): we cannot compare, so we do not
        // overwrite.
        return listed
          ? {
            state: "different",
            detail: `${target.url}/index.yaml already lists ${chart} ${version}, but ${
              where(name)
            } is missing`,
          }
          : { state: "absent" };
      }
      seen.set(name, { ...theirs, adopt: !listed && theirs.contentDigest === ours });
      if (theirs.contentDigest !== ours) {
        return {
          state: "different",
          detail: `${where(name)} holds other content (${theirs.contentDigest}, ours ${ours})`,
        };
      }
      // "Published" means indexed: a package left by a run that died before writing index.yaml is indexed
      // now (its own bytes, not re-uploaded).
      return listed ? { state: "same", digest: `sha256:${theirs.sha256}` } : { state: "absent" };
    },

    async push(chart, version, tgz) {
      const name = `${chart}-${version}.tgz`;
      const before = seen.get(name);
      if (before?.adopt) return await adopt(name, before);
      const bytes = await Deno.readFile(tgz);
      const ours = await chartContentDigest(tgz);
      // Create only; with --force over other content, replace only the object that was compared.
      let condition: { IfMatch?: string; IfNoneMatch?: string } = before?.etag
        ? { IfMatch: before.etag }
        : { IfNoneMatch: "*" };
      for (let round = 0; round < 3; round++) {
        const put = await putObject(name, bytes, "application/gzip", condition);
        if (typeof put === "object") {
          await Deno.writeFile(join(indexDir, name), bytes);
          mine.set(name, put.etag);
          // The signature goes with the package this run wrote (a package taken over keeps its own).
          const prov = await Deno.readFile(`${tgz}.prov`).catch(() => undefined);
          if (prov) await putObject(`${name}.prov`, prov, "application/octet-stream", {});
          return `sha256:${await sha256Hex(bytes)}`;
        }
        // Another writer came between our check and our upload: see what it left.
        const now = await look(name);
        if (!now) {
          condition = { IfNoneMatch: "*" };
          continue;
        }
        if (now.contentDigest === ours) return await adopt(name, now);
        throw new PushConflict(
          `${
            where(name)
          }: another publish wrote other content for ${chart} ${version} after our check (${now.contentDigest}, ours ${ours}); nothing was overwritten`,
        );
      }
      throw failure(`writing ${where(name)}`, new Error("the object kept changing during the upload"));
    },

    async readBack(chart, version) {
      const name = `${chart}-${version}.tgz`;
      const etag = mine.get(name);
      options.log.debug(`s3: HEAD ${where(name)}`);
      try {
        const head = await client.send(
          new HeadObjectCommand({ Bucket: target.bucket, Key: s3Key(target, name) }),
        );
        if (etag && head.ETag === etag) return undefined;
      } catch (error) {
        if ((error as SdkError).$metadata?.httpStatusCode === 404) return "nothing";
        throw failure(`reading ${where(name)} back`, error);
      }
      const now = await look(name);
      if (!now) return "nothing";
      const ours = await chartContentDigest(join(indexDir, name));
      if (now.contentDigest !== ours) {
        // Not ours to index: the other publish indexes what it wrote.
        mine.delete(name);
        await Deno.remove(join(indexDir, name));
        return `other content (${now.contentDigest}, ours ${ours})`;
      }
      await adopt(name, now); // the same chart in other bytes: index what is there
      return undefined;
    },

    async fetchPackage(chart, version, destination) {
      index ??= readIndex();
      const current = await index;
      const entries = (parseDocument(current?.text ?? "").toJS() as {
        entries?: Record<string, { version?: unknown; urls?: unknown[]; digest?: unknown }[]>;
      } | null)?.entries;
      const entry = entries?.[chart]?.find((e) => String(e.version) === version);
      if (!entry) return undefined;
      const refused = (message: string, hint: string) =>
        new FastcsError(message, { code: "promote.s3-package", exitCode: ExitCode.refused, hint });
      // helm-s3 and publish --s3 write relative URLs; helm-s3 can also write s3://bucket/prefix/name.
      const url = String(entry.urls?.[0] ?? "");
      const inside = `s3://${target.bucket}/${target.prefix ? `${target.prefix}/` : ""}`;
      const name = url.startsWith(inside) ? url.slice(inside.length) : url;
      if (name === "" || /^[a-z][a-z0-9+.-]*:/i.test(name) || name.split("/").includes("..")) {
        throw refused(
          `${where("index.yaml")} lists ${chart} ${version} at ${
            url || "no URL"
          }, which is not a package of this repository`,
          "Promote from the repository that holds the package (promote.chartRepository).",
        );
      }
      const object = await getObject(name);
      if (!object) {
        throw refused(
          `${where("index.yaml")} lists ${chart} ${version}, but ${where(name)} is missing`,
          "Republish that version (helm fastcs publish --s3) or promote a newer release.",
        );
      }
      const sha256 = await sha256Hex(object.bytes);
      if (entry.digest !== undefined && String(entry.digest) !== sha256) {
        throw refused(
          `${where(name)} is not the package ${where("index.yaml")} describes (sha256 ${sha256}, index ${
            String(entry.digest)
          }): it was replaced after publishing`,
          "Promotion ships the verified artifact only: find out who replaced it; republish under a new version.",
        );
      }
      const path = join(destination, `${chart}-${version}.tgz`);
      await Deno.writeFile(path, object.bytes);
      return { path, digest: `sha256:${sha256}` };
    },

    async updateIndex() {
      if (mine.size === 0) return;
      const file = join(indexDir, "index.yaml");
      for (let attempt = 1; attempt <= INDEX_ATTEMPTS; attempt++) {
        const current = await readIndex();
        if (current) await Deno.writeTextFile(file, current.text);
        else await Deno.remove(file).catch(() => {});
        // No --url: entries name their package relatively, which helm-s3 (s3://…) and a plain helm repo add of
        // the bucket over HTTP(S) both resolve against the repository's own address.
        const r = await options.helm.repoIndex(indexDir, undefined, current !== undefined);
        if (r.code !== 0) {
          throw new FastcsError(
            `merging ${where("index.yaml")} failed: ${finalHelmError(r.stderr).trim()}`,
            {
              code: "publish.index",
              exitCode: ExitCode.publishFailed,
              hint:
                "The packages are uploaded; fix or remove the index.yaml named, then rerun to index them.",
            },
          );
        }
        const put = await putObject(
          "index.yaml",
          await Deno.readFile(file),
          "application/x-yaml",
          current ? { IfMatch: current.etag } : { IfNoneMatch: "*" },
        );
        if (typeof put === "object") return;
        options.log.info(
          `${
            where("index.yaml")
          } changed while this run merged it (another publish): merging again (${attempt}/${INDEX_ATTEMPTS})`,
        );
      }
      throw new RegistryError(
        "other",
        `${
          where("index.yaml")
        } kept changing under ${INDEX_ATTEMPTS} merges (other publishes at the same time)`,
        "The packages are uploaded: rerun to index them.",
      );
    },

    close: () => client.destroy(),
  };
}
