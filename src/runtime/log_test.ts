import assert from "node:assert/strict";
import { askOnStderr, createLog } from "./log.ts";

Deno.test("a confirmation question goes to stderr, and one line is read from the input", async () => {
  const written: string[] = [];
  const input = new Blob(["prod\r\nmore\n"]).stream();
  const answer = await askOnStderr('Type "prod" to go on:', input, (t) => written.push(t));
  assert.equal(answer, "prod");
  assert.deepEqual(written, ['Type "prod" to go on: ']);
  assert.equal(await askOnStderr("?", new Blob([""]).stream(), () => {}), undefined);
});

Deno.test("HELM_DEBUG's lines hide the secrets of URLs in them (a pre-signed upload address, a token), nothing else", () => {
  const written: string[] = [];
  const log = createLog({ debug: true, color: false, writeOut: () => {}, writeErr: (t) => written.push(t) });
  log.debug(
    "oci://r/charts/a:1.0.0: helm push, as the distribution API push could not: PUT https://blobs.example/up?X-Amz-Signature=abc123&X-Amz-Date=20261121 refused",
  );
  log.debug("run: helm pull https://u:pw@charts.example/x --version 1.0.0");
  assert.deepEqual(written, [
    "debug: oci://r/charts/a:1.0.0: helm push, as the distribution API push could not: PUT https://blobs.example/up?X-Amz-Signature=***&X-Amz-Date=20261121 refused\n",
    "debug: run: helm pull https://u:***@charts.example/x --version 1.0.0\n",
  ]);
  // Not under HELM_DEBUG: nothing.
  const quiet: string[] = [];
  createLog({ debug: false, color: false, writeErr: (t) => quiet.push(t) }).debug("x");
  assert.deepEqual(quiet, []);
});

Deno.test("every line for people (info, warning, error) hides the secrets of URLs; results on stdout stay as they are", () => {
  const err: string[] = [];
  const out: string[] = [];
  const log = createLog({
    debug: false,
    color: false,
    writeOut: (t) => out.push(t),
    writeErr: (t) => err.push(t),
  });
  const url = "https://ci:s3cret@charts.example/x?access_token=T0KEN&page=2";
  log.error(`cannot pull ${url}`);
  log.warn(`retrying ${url}`);
  log.info(`hint: check ${url}`);
  log.out(url);
  const shown = "https://ci:***@charts.example/x?access_token=***&page=2";
  assert.deepEqual(err, [
    `error: cannot pull ${shown}\n`,
    `warning: retrying ${shown}\n`,
    `hint: check ${shown}\n`,
  ]);
  assert.deepEqual(out, [`${url}\n`]);
});
