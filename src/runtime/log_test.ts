import assert from "node:assert/strict";
import { askOnStderr } from "./log.ts";

Deno.test("a confirmation question goes to stderr, and one line is read from the input", async () => {
  const written: string[] = [];
  const input = new Blob(["prod\r\nmore\n"]).stream();
  const answer = await askOnStderr('Type "prod" to go on:', input, (t) => written.push(t));
  assert.equal(answer, "prod");
  assert.deepEqual(written, ['Type "prod" to go on: ']);
  assert.equal(await askOnStderr("?", new Blob([""]).stream(), () => {}), undefined);
});
