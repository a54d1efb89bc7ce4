// A real S3 server for tests: versitygw (scripts/setup-s3.sh builds it) on 127.0.0.1 with a POSIX backend in
// a folder of its own and random root keys. Buckets are made through the S3 API itself (the AWS SDK of
// src/deps/s3.ts), and what a bucket holds is read from the backend folder, where versitygw keeps every
// object as a file named by its key.
import { join, relative } from "node:path";
import { freePort, tool } from "../helpers.ts";
import {
  CreateBucketCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
} from "../../src/deps/s3.ts";
import { sha256Hex } from "../../src/runtime/digest.ts";
import { waitFor } from "./wait.ts";

/** A running versitygw. */
export interface TestS3 {
  /** `http://127.0.0.1:PORT`: the S3 endpoint, and the address anonymous HTTP reads go to (path-style). */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  /** The standard AWS variables for the root user, endpoint not included (tests name it their own way). */
  env: Record<string, string>;
  /** The POSIX backend folder: one folder per bucket, one file per object. */
  dir: string;
  /** Makes a bucket; `publicRead` adds a bucket policy that lets anyone GET its objects (a plain `helm repo
   * add` over HTTP). */
  createBucket(name: string, options?: { publicRead?: boolean }): Promise<void>;
  /** Writes an object with the root user (as another tool would). */
  putObject(bucket: string, key: string, body: Uint8Array | string): Promise<void>;
  /** Every object of a bucket: key -> sha256 of its bytes (versitygw's own temporary folders left out). */
  objects(bucket: string): Promise<Record<string, string>>;
  /** Stops the server and removes its folder. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts versitygw with a new empty backend and random root keys; ready when it accepts connections.
 * `region`: the region it signs in (default `us-east-1`): a client must sign for the same one.
 */
export async function startS3(options: { region?: string } = {}): Promise<TestS3> {
  const region = options.region ?? "us-east-1";
  const dir = await Deno.makeTempDir({ prefix: "fastcs-s3-" });
  const data = join(dir, "data");
  await Deno.mkdir(data);
  const port = freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const accessKey = `fastcs${crypto.randomUUID().slice(0, 8)}`;
  const secretKey = crypto.randomUUID();
  const child = new Deno.Command(tool("versitygw"), {
    args: ["--port", `127.0.0.1:${port}`, "--region", region, "--quiet", "posix", data],
    // The keys go through the environment, never on a command line another process could read.
    env: { ROOT_ACCESS_KEY: accessKey, ROOT_SECRET_KEY: secretKey },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let output = ""; // what versitygw said, for the error when it does not start
  (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) output += chunk;
  })().catch(() => {});
  const stop = async () => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
  };
  try {
    await waitFor(`versitygw to listen on 127.0.0.1:${port}`, async () => {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return true;
    }, {
      timeoutMs: 10_000,
      intervalMs: 50,
      details: () => output,
    });
  } catch (error) {
    await stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
  const client = new S3Client({
    endpoint,
    region,
    forcePathStyle: true,
    credentials: { accessKeyId: accessKey, secretAccessKey: secretKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
  return {
    endpoint,
    accessKey,
    secretKey,
    env: { AWS_ACCESS_KEY_ID: accessKey, AWS_SECRET_ACCESS_KEY: secretKey, AWS_REGION: region },
    dir: data,
    async createBucket(name, options = {}) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
      if (options.publicRead) {
        const policy = {
          Version: "2012-10-17",
          Statement: [{
            Effect: "Allow",
            Principal: "*",
            Action: "s3:GetObject",
            Resource: `arn:aws:s3:::${name}/*`,
          }],
        };
        await client.send(new PutBucketPolicyCommand({ Bucket: name, Policy: JSON.stringify(policy) }));
      }
    },
    async putObject(bucket, key, body) {
      const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
    },
    async objects(bucket) {
      const found: Record<string, string> = {};
      const walk = async (folder: string) => {
        for await (const entry of Deno.readDir(folder)) {
          if (entry.name.startsWith(".sgw") || entry.name.startsWith(".vgw")) continue;
          const path = join(folder, entry.name);
          if (entry.isDirectory) await walk(path);
          else found[relative(join(data, bucket), path)] = await sha256Hex(await Deno.readFile(path));
        }
      };
      await walk(join(data, bucket));
      return Object.fromEntries(Object.entries(found).sort(([a], [b]) => a.localeCompare(b)));
    },
    async [Symbol.asyncDispose]() {
      client.destroy();
      await stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
