import assert from "node:assert/strict";
import { pauseLimit, probeReport } from "./probes.ts";

Deno.test("a probe's pause limit: Kubernetes' defaults (period 10 s, 3 failures, timeout 1 s)", () => {
  const l = pauseLimit({ httpGet: { path: "/healthz", port: 8000 } });
  assert.deepEqual(l, {
    handler: "httpGet",
    periodSeconds: 10,
    failureThreshold: 3,
    timeoutSeconds: 1,
    initialDelaySeconds: 0,
    safeSeconds: 21,
    trippedSeconds: 31,
  });
});

Deno.test("a probe's pause limit: its own period, threshold and timeout; nonsense falls back to the defaults", () => {
  const l = pauseLimit({
    exec: {},
    periodSeconds: 5,
    failureThreshold: 6,
    timeoutSeconds: 2,
    initialDelaySeconds: 30,
  });
  assert.deepEqual([l.handler, l.safeSeconds, l.trippedSeconds, l.initialDelaySeconds], ["exec", 27, 32, 30]);
  const one = pauseLimit({ tcpSocket: { port: 1 }, failureThreshold: 1, periodSeconds: 20 });
  assert.deepEqual([one.safeSeconds, one.trippedSeconds], [1, 21], "one failure: the first probe trips it");
  const odd = pauseLimit({ grpc: { port: 1 }, periodSeconds: 0, failureThreshold: -2 });
  assert.deepEqual([odd.handler, odd.periodSeconds, odd.failureThreshold], ["grpc", 10, 3]);
});

Deno.test("the probe report: liveness restarts, readiness takes the pod out, none is safe", () => {
  const both = probeReport({
    livenessProbe: { httpGet: {}, periodSeconds: 10, failureThreshold: 3 },
    readinessProbe: { tcpSocket: {}, periodSeconds: 5, failureThreshold: 2 },
    startupProbe: { exec: {} },
  });
  assert.equal(both.liveness?.safeSeconds, 21);
  assert.equal(both.readiness?.safeSeconds, 6);
  assert.match(
    both.summary,
    /^liveness probe: a pause at a breakpoint longer than 21 s \(at most 31 s\) restarts the container and ends the session \(httpGet every 10 s, 3 failures, timeout 1 s\); --lift-liveness-probe lifts it; readiness probe: paused longer than 6 s, the pod leaves its Service's endpoints/,
  );
  const none = probeReport({});
  assert.deepEqual(none, { summary: "liveness probe: none, so pauses at a breakpoint are safe" });
  assert.equal(
    probeReport({}, true).summary,
    "liveness probe: none (lifted for this session), so pauses at a breakpoint are safe",
  );
});
