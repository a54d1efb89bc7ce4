import assert from "node:assert/strict";
import { classifyRegistryFailure, finalHelmError } from "./helm.ts";

Deno.test("registry failures are classified on Helm's final error, not its debug log", () => {
  // HELM_DEBUG=1: Helm logs the normal 401 challenge of an authenticated registry before the real answer.
  const debugThenNotFound = [
    'level=DEBUG msg="HEAD https://r.example/v2/charts/app/manifests/1.0.0" status=401',
    'time=2026-11-21T10:00:00Z level=DEBUG msg="auth challenge" error="401 Unauthorized"',
    'Error: failed to perform "FetchReference" on source: r.example/charts/app:1.0.0: not found',
  ].join("\n");
  assert.equal(classifyRegistryFailure(debugThenNotFound), "not found");
  assert.equal(finalHelmError(debugThenNotFound).split("\n").length, 1);
  assert.equal(
    classifyRegistryFailure("Error: unexpected status from HEAD request: 401 Unauthorized"),
    "unauthorized",
  );
  assert.equal(
    classifyRegistryFailure("Error: dial tcp 127.0.0.1:1: connect: connection refused"),
    "unreachable",
  );
  // Without an Error: line, the debug lines are still left out.
  assert.equal(classifyRegistryFailure("[debug] 401 challenge\nsomething else failed"), "other");
});
