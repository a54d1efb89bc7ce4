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

Deno.test("redactUrls: a password with a bare @ is hidden whole (Go's url.Parse: the user information ends at the last @)", () => {
  assert.equal(redactUrls("https://bob:p@ss@charts.example.org/x"), "https://bob:***@charts.example.org/x");
  assert.equal(
    redactUrls('Get "oci://ci@corp:s3@cr3t@registry:5000/v2/": 401'),
    'Get "oci://ci@corp:***@registry:5000/v2/": 401',
  );
  // A port, or an @ in the path, is no password.
  for (
    const text of ["https://registry:5000/v2/x@y", "https://u@registry:5000/v2/", "https://[::1]:5000/v2/"]
  ) {
    assert.equal(redactUrls(text), text);
  }
});

Deno.test("redactUrls: secret parameters in the fragment and after a JSON-escaped & (\\u0026)", () => {
  assert.equal(
    redactUrls("https://auth.example/cb#access_token=eyJ.x&state=7"),
    "https://auth.example/cb#access_token=***&state=7",
  );
  // Go's encoding/json writes & as \u0026: a registry's JSON error body quoting a pre-signed address.
  assert.equal(
    redactUrls(
      '{"errors":[{"detail":"https://b.s3.example/x?X-Amz-Date=20261121\\u0026X-Amz-Signature=0a1b\\u0026x-id=GetObject"}]}',
    ),
    '{"errors":[{"detail":"https://b.s3.example/x?X-Amz-Date=20261121\\u0026X-Amz-Signature=***\\u0026x-id=GetObject"}]}',
  );
});
