import assert from "node:assert/strict";
import type { FastcsError } from "../runtime/errors.ts";
import { parseS3Url, s3Key } from "./s3_target.ts";

Deno.test("s3:// references: bucket and prefix, trailing slashes dropped, the bucket's root", () => {
  assert.deepEqual(parseS3Url("s3://my-bucket/charts/stable/"), {
    kind: "s3",
    url: "s3://my-bucket/charts/stable",
    bucket: "my-bucket",
    prefix: "charts/stable",
  });
  const root = parseS3Url("s3://charts.example.org");
  assert.deepEqual([root.url, root.prefix], ["s3://charts.example.org", ""]);
  assert.equal(s3Key(root, "index.yaml"), "index.yaml");
  assert.equal(s3Key(parseS3Url("s3://b-1/charts"), "fastcs-1.0.0.tgz"), "charts/fastcs-1.0.0.tgz");
});

Deno.test("s3:// references S3 would not take are usage errors (exit 2)", () => {
  for (
    const bad of [
      "https://bucket/charts",
      "s3://",
      "s3://My_Bucket/x",
      "s3://ab",
      "s3://bucket//x",
      "s3://bucket/a/../b",
    ]
  ) {
    assert.throws(
      () => parseS3Url(bad),
      (e: FastcsError) => e.exitCode === 2 && e.code === "publish.s3-ref",
      bad,
    );
  }
});

Deno.test("an S3 reference with credentials in it is refused without showing them", () => {
  assert.throws(
    () => parseS3Url("s3://AKIAX:wJalrXUtnFEMI@bucket/charts?X-Amz-Security-Token=FQoG"),
    (e: FastcsError) =>
      e.exitCode === 2 && !e.message.includes("wJalrXUtnFEMI") && !e.message.includes("FQoG"),
  );
});
