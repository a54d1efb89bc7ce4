// Secrets in URLs hidden from messages and logs (src/runtime/redact.ts).
import assert from "node:assert/strict";
import { redactUrls } from "./redact.ts";

Deno.test("redactUrls: a URL's password, as Go's url.Redacted shows it", () => {
  assert.equal(
    redactUrls('Get "https://bob:s3cret@charts.example.org/index.yaml": 401'),
    'Get "https://bob:***@charts.example.org/index.yaml": 401',
  );
  assert.equal(redactUrls("oci://user:pw@registry:5000/charts"), "oci://user:***@registry:5000/charts");
});

Deno.test("redactUrls: secret query parameters (tokens, signatures, keys) wherever they stand in the query", () => {
  assert.equal(
    redactUrls(
      'looks like "https://h.example/charts?token=abc123" is not a valid chart repository or cannot be reached: Get "https://h.example/charts/index.yaml?page=2&access_token=eyJhbGciOi.x-y_z": dial tcp',
    ),
    'looks like "https://h.example/charts?token=***" is not a valid chart repository or cannot be reached: Get "https://h.example/charts/index.yaml?page=2&access_token=***": dial tcp',
  );
  assert.equal(
    redactUrls(
      "https://b.s3.amazonaws.com/fastcs-1.0.0.tgz?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20261121%2Fus-east-1&X-Amz-Date=20261121T000000Z&X-Amz-Security-Token=FQo%2Bx&X-Amz-Signature=0a1b2c",
    ),
    "https://b.s3.amazonaws.com/fastcs-1.0.0.tgz?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=***&X-Amz-Date=20261121T000000Z&X-Amz-Security-Token=***&X-Amz-Signature=***",
  );
  assert.equal(
    redactUrls("https://acct.blob.core.windows.net/c/x.tgz?sv=2022-11-02&sig=abc%3D&API_KEY=k (retrying)"),
    "https://acct.blob.core.windows.net/c/x.tgz?sv=2022-11-02&sig=***&API_KEY=*** (retrying)",
  );
  assert.equal(redactUrls("https://u:p@h/x?client_secret=s#top"), "https://u:***@h/x?client_secret=***#top");
});

Deno.test("redactUrls: text without secrets, and query words outside URLs, stay as they are", () => {
  for (
    const text of [
      "https://h.example/charts/index.yaml?page=2&sort=name",
      "oci://127.0.0.1:5000/charts/fastcs:1.0.0",
      "the token=abc in a sentence is not a URL",
      'Error: chart "fastcs" version "9.9.9" not found in https://h.example/charts repository',
    ]
  ) assert.equal(redactUrls(text), text);
});
