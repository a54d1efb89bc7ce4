// The in-process OCI push of helm fastcs publish against registries that answer in unusual or hostile ways:
// the manifest is the very one `helm push` writes for the same package (so that a retry, or `helm push` after
// an answer that got lost, writes the same bytes). The real Debian docker-registry and the real Helm 3.17.3
// and 4.1.4.
import assert from "node:assert/strict";
import { join } from "node:path";
import { run, tool } from "../helpers.ts";
import { tempDir } from "../support/files.ts";
import { envFor } from "../support/publish.ts";
import { startRegistry } from "../support/registry.ts";
import { registryApi } from "../../src/publish/oci_push.ts";
import { createdAt, helmChartArtifact } from "../../src/publish/oci_manifest.ts";
import { packageFiles } from "../../src/chart/package_files.ts";

/** The offset east of UTC, in minutes, of `zone` at `date` (from the ICU data Deno carries). */
function offsetOf(zone: string, date: Date): number {
  const name = new Intl.DateTimeFormat("en", { timeZone: zone, timeZoneName: "longOffset" })
    .formatToParts(date).find((p) => p.type === "timeZoneName")!.value; // "GMT+01:00"
  const m = name.match(/GMT([+-])(\d\d):(\d\d)/);
  return m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

Deno.test("the API push writes the manifest helm push (3 and 4) writes for the same package, creation time included", async () => {
  await using registry = await startRegistry();
  const env = await envFor("helm4");
  await using dir = await tempDir();
  await Deno.mkdir(join(dir.path, "c"));
  await Deno.writeTextFile(
    join(dir.path, "c", "Chart.yaml"),
    "apiVersion: v2\nname: c\nversion: 1.0.0+build.7\ndescription: d\n",
  );
  const packaged = await run(tool("helm4"), ["package", join(dir.path, "c"), "-d", dir.path], { env });
  assert.equal(packaged.code, 0, packaged.stderr);
  const tgz = join(dir.path, "c-1.0.0+build.7.tgz");
  const modified = new Date("2024-07-01T10:20:30.900Z"); // summer time in Berlin, a fraction of a second
  await Deno.utime(tgz, modified, modified);

  const api = registryApi(`oci://${registry.host}/ours`, { plainHttp: true }, { kind: "anonymous" });
  try {
    const first = await api.push(tgz, "c", "1.0.0_build.7");
    // Pushed again (a retry): the same manifest, not one with a new creation time.
    assert.equal(await api.push(tgz, "c", "1.0.0_build.7"), first);
    const digestOf = async (repository: string) => {
      const r = await fetch(`http://${registry.host}/v2/${repository}/manifests/1.0.0_build.7`, {
        method: "HEAD",
        headers: { Accept: "application/vnd.oci.image.manifest.v1+json" },
      });
      assert.equal(r.status, 200, repository);
      return r.headers.get("Docker-Content-Digest");
    };
    assert.equal(await digestOf("ours/c"), first);
    for (const helm of ["helm3", "helm4"] as const) {
      for (const zone of ["UTC", "Europe/Berlin"]) {
        const repository = `${helm}-${zone.replace("/", "-").toLowerCase()}`;
        const pushed = await run(tool(helm), [
          "push",
          tgz,
          `oci://${registry.host}/${repository}`,
          "--plain-http",
        ], {
          env: { ...env, TZ: zone },
        });
        assert.equal(pushed.code, 0, pushed.stderr);
        // What we build for that zone is byte for byte what that Helm pushed there.
        const artifact = await helmChartArtifact(
          await Deno.readFile(tgz),
          new TextDecoder().decode(
            (await packageFiles(tgz, (p) => p === "c/Chart.yaml")).get("c/Chart.yaml"),
          ),
          undefined,
          createdAt(modified, offsetOf(zone, modified)),
        );
        assert.equal(await digestOf(`${repository}/c`), artifact!.digest, `${helm} in ${zone}`);
        if (zone === "UTC") assert.equal(artifact!.digest, first, `${helm}: ours and theirs`);
      }
    }
  } finally {
    api.close();
  }
});
