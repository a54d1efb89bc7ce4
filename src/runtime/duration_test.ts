// Go duration strings (time.ParseDuration's format, what Helm's --timeout takes).
import assert from "node:assert/strict";
import { durationMs } from "./duration.ts";

Deno.test("durations in Go's format: units, sequences, fractions, zero", () => {
  assert.equal(durationMs("10s"), 10_000);
  assert.equal(durationMs("1m30s"), 90_000);
  assert.equal(durationMs("5m0s"), 300_000);
  assert.equal(durationMs("1.5h"), 5_400_000);
  assert.equal(durationMs("300ms"), 300);
  assert.equal(durationMs("0"), 0);
  assert.equal(durationMs("0s"), 0);
});

Deno.test("what Go refuses is refused: no unit, unknown unit, signs, spaces, empty", () => {
  for (const bad of ["10", "10 s", "1d", "-5s", "+5s", "", "s", "1m30", "5sec"]) {
    assert.equal(durationMs(bad), undefined, bad);
  }
});
