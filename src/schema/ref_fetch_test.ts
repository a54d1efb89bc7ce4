// Fetching remote $refs (src/schema/ref_fetch.ts).
import assert from "node:assert/strict";
import { createRefFetcher } from "./ref_fetch.ts";
import type { FastcsError } from "../runtime/errors.ts";

Deno.test("a $ref that cannot be fetched is named without the secrets of its URL (exit 6)", async () => {
  const cacheDir = await Deno.makeTempDir();
  // Nothing listens on port 1 of 127.0.0.1: the connection is refused at once.
  const fetchRef = createRefFetcher({ cacheDir, attempts: 1 });
  try {
    await assert.rejects(
      () => fetchRef("http://bob:s3cret@127.0.0.1:1/defs.json?token=abc123"),
      (e: FastcsError) => {
        assert.equal(e.exitCode, 6);
        assert.match(
          e.message,
          /^cannot fetch \$ref http:\/\/bob:\*\*\*@127\.0\.0\.1:1\/defs\.json\?token=\*\*\* ?: /,
        );
        assert.ok(!e.message.includes("s3cret") && !e.message.includes("abc123"), e.message);
        return true;
      },
    );
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});
