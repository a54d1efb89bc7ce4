// Reading the --oci references of publish (src/publish/targets.ts).
import assert from "node:assert/strict";
import type { FastcsError } from "../runtime/errors.ts";
import { parseOciBase } from "./targets.ts";

Deno.test("oci:// references: lower-cased, trailing slashes dropped", () => {
  assert.equal(parseOciBase("oci://GHCR.io/Owner/charts/"), "oci://ghcr.io/owner/charts");
  assert.equal(parseOciBase("oci://127.0.0.1:5000"), "oci://127.0.0.1:5000");
});

Deno.test("an oci:// reference with credentials in it is refused without showing its password (exit 2)", () => {
  assert.throws(
    () => parseOciBase("oci://ci:s3cret@ghcr.io/owner/charts"),
    (e: FastcsError) =>
      e.exitCode === 2 && e.code === "publish.oci-ref" && !e.message.includes("s3cret") &&
      e.message.includes('"oci://ci:***@ghcr.io/owner/charts" is not an OCI reference'),
  );
});
