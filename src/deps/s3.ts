// S3 (the AWS SDK for JavaScript v3: `@aws-sdk/client-s3`, and `@aws-sdk/credential-provider-ini` for the
// shared credentials and config files). See src/deps/cli.ts for why one file per library. Heavy (about a
// hundred modules): only src/publish/s3_repository.ts and its s3_client.ts import it, and publish loads those
// modules only when an `--s3` target is given, so `schema`, `debug` and other publishes never evaluate it.
export {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
export type { S3ClientConfig } from "@aws-sdk/client-s3";
export { fromIni } from "@aws-sdk/credential-provider-ini";
