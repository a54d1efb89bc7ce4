import assert from "node:assert/strict";
import { classifyS3Failure } from "./s3_client.ts";

// Shapes as the AWS SDK raised them against versitygw 1.8.0 (tests/e2e/publish_s3_test.ts meets each for real).
const sdk = (name: string, status?: number, message = "") =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

Deno.test("S3 failures are classified by S3's error code, the HTTP status, or the network error", () => {
  assert.equal(classifyS3Failure(sdk("SignatureDoesNotMatch", 403)), "unauthorized");
  assert.equal(classifyS3Failure(sdk("XAdminUserNotFound", 404)), "unauthorized");
  assert.equal(classifyS3Failure(sdk("InvalidToken", 400)), "unauthorized");
  assert.equal(
    classifyS3Failure(sdk("CredentialsProviderError", undefined, "Could not resolve credentials")),
    "unauthorized",
  );
  assert.equal(classifyS3Failure(sdk("Forbidden", 403)), "unauthorized"); // a HEAD has no body to name it
  assert.equal(classifyS3Failure(sdk("NoSuchBucket", 404)), "not found");
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), {
    code: "ECONNREFUSED",
    $metadata: {},
  });
  assert.equal(classifyS3Failure(refused), "unreachable");
  assert.equal(classifyS3Failure(sdk("InternalError", 500)), "unreachable");
  assert.equal(
    classifyS3Failure(sdk("TimeoutError", undefined, "Connection timed out after 10000 ms")),
    "unreachable",
  );
  assert.equal(classifyS3Failure(sdk("InvalidArgument", 400, "bad header")), "other");
});
