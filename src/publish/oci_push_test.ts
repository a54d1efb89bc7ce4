import assert from "node:assert/strict";
import { join } from "node:path";
import { registryCredentials } from "./oci_push.ts";

Deno.test("credentials as Helm would use them: --registry-username, a plain auth entry, else anonymous; helpers and tokens are Helm's", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = join(dir, "config.json");
    const write = (value: unknown) => Deno.writeTextFile(config, JSON.stringify(value));
    const login = { username: "u", password: "p" };
    assert.equal((await registryCredentials("r:5000", login, config)).kind, "basic");
    assert.deepEqual(await registryCredentials("r:5000", undefined, config), { kind: "anonymous" });
    await write({ auths: { "r:5000": { auth: btoa("ci:pa:ss") } } });
    const basic = await registryCredentials("r:5000", undefined, config);
    assert.equal(basic.kind, "basic");
    assert.equal(basic.kind === "basic" && `${basic.username}/${basic.password}`, "ci/pa:ss");
    assert.ok(basic.kind === "basic" && !basic.source.includes("pa:ss"));
    assert.deepEqual(await registryCredentials("other:5000", undefined, config), { kind: "anonymous" });
    await write({ auths: { "r:5000": { auth: btoa("ci:x") } }, credsStore: "desktop" });
    assert.equal((await registryCredentials("r:5000", undefined, config)).kind, "helm only");
    await write({ credHelpers: { "r:5000": "ecr-login" } });
    assert.equal((await registryCredentials("r:5000", undefined, config)).kind, "helm only");
    await write({ auths: { "r:5000": { identitytoken: "t" } } });
    assert.equal((await registryCredentials("r:5000", undefined, config)).kind, "helm only");
    await Deno.writeTextFile(config, "not json");
    assert.equal((await registryCredentials("r:5000", undefined, config)).kind, "helm only");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
