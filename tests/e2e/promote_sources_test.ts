// helm fastcs promote with charts from classic chart repositories: an index.yaml repository over HTTP (a
// folder served by a web server in this test process) and an S3 repository in the helm-s3 layout (a real
// versitygw), on the local control plane under the real Helm 4 and Helm 3. staging-ioc runs fastcs 1.0.0;
// each repository holds a package of the same chart, which must render what runs in staging.
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, REPO } from "../helpers.ts";
import { tempDir } from "../support/files.ts";
import { chartSite, setUpPromotion } from "../support/promote.ts";
import { startS3 } from "../support/s3.ts";

/** Serves the files of `dir` over HTTP on 127.0.0.1 (a static web server, as gh-pages is). */
function serveFolder(dir: string): Deno.HttpServer<Deno.NetAddr> & { url: string } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const name = new URL(request.url).pathname.split("/").pop() ?? "";
    try {
      return new Response(await Deno.readFile(join(dir, name)));
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  return Object.assign(server, { url: `http://127.0.0.1:${server.addr.port}/charts/` });
}

for (const helmName of ["helm4", "helm3"] as const) {
  Deno.test(`${helmName}: promote from an HTTP chart repository and from an S3 repository`, async (t) => {
    await using fixture = await setUpPromotion(helmName);
    const { dir, helm, env, staging, promote, prodValue } = fixture;
    const projectFile = join(dir, "fastcs.yaml");
    const chartRepository = async (reference: string) => {
      const text = await Deno.readTextFile(projectFile);
      await Deno.writeTextFile(
        projectFile,
        text.replace(/chartRepository: .*/, `chartRepository: ${reference}`),
      );
    };
    const prodImage = () => prodValue("image.tag");
    await using site = await tempDir("fastcs-site-");
    await chartSite(helm, site.path);
    const packageSha256 = async (file: string) =>
      Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", await Deno.readFile(file))))
        .map((b) => b.toString(16).padStart(2, "0")).join("");

    await t.step(
      "https?:// names an index.yaml repository: the package Helm pulls from it is promoted",
      async () => {
        await using server = serveFolder(site.path);
        await chartRepository(server.url);
        const r = await promote("staging", "prod", "--yes", "-o", "json");
        assert.equal(r.code, 0, r.stderr);
        const plan = JSON.parse(r.stdout).plans[0];
        assert.equal(plan.digest, `sha256:${await packageSha256(join(site.path, "fastcs-1.0.0.tgz"))}`);
        assert.equal(await prodImage(), "2.0.0");

        // A version the repository no longer lists is not promoted: exit 9, nothing changed.
        await Deno.remove(join(site.path, "fastcs-1.0.0.tgz"));
        assert.equal((await helm("repo", "index", site.path)).code, 0);
        assert.equal((await staging("--set", "image.tag=2.0.1")).code, 0);
        const gone = await promote("staging", "prod", "--yes");
        assert.equal(gone.code, 9, gone.stderr);
        assert.match(
          gone.stderr,
          new RegExp(`chart fastcs 1\\.0\\.0 is not in ${server.url.replace(/\/$/, "")} any more`),
        );
        assert.equal(await prodImage(), "2.0.0");
      },
    );

    await t.step(
      "s3:// names a helm-s3 repository: the package is checked against index.yaml's digest",
      async () => {
        await using s3 = await startS3();
        await s3.createBucket("charts");
        const again = await helm(
          "package",
          join(REPO, "charts/fastcs"),
          "--version",
          "1.0.0",
          "-d",
          site.path,
        );
        assert.equal(again.code, 0, again.stderr);
        assert.equal((await helm("repo", "index", site.path)).code, 0);
        for (const name of ["fastcs-1.0.0.tgz", "index.yaml"]) {
          await s3.putObject("charts", `stable/${name}`, await Deno.readFile(join(site.path, name)));
        }
        await chartRepository("s3://charts/stable");
        const s3Env = { ...env, ...s3.env, AWS_ENDPOINT_URL_S3: s3.endpoint };
        const promoteS3 = (...args: string[]) => cli(["promote", ...args], { cwd: dir, env: s3Env });
        const r = await promoteS3("staging", "prod", "--yes", "-o", "json");
        assert.equal(r.code, 0, r.stderr);
        assert.equal(
          JSON.parse(r.stdout).plans[0].digest,
          `sha256:${await packageSha256(join(site.path, "fastcs-1.0.0.tgz"))}`,
        );
        assert.equal(await prodImage(), "2.0.1");

        // A package replaced after publishing (other bytes than index.yaml describes) is refused: exit 8.
        const other = await helm(
          "package",
          join(REPO, "charts/fastcs"),
          "--version",
          "1.0.0",
          "--app-version",
          "9.9.9",
          "-d",
          join(site.path, ".."),
        );
        assert.equal(other.code, 0, other.stderr);
        await s3.putObject(
          "charts",
          "stable/fastcs-1.0.0.tgz",
          await Deno.readFile(join(site.path, "..", "fastcs-1.0.0.tgz")),
        );
        assert.equal((await staging("--set", "image.tag=2.0.2")).code, 0);
        const replaced = await promoteS3("staging", "prod", "--yes");
        assert.equal(replaced.code, 8, replaced.stderr);
        assert.match(
          replaced.stderr,
          /s3:\/\/charts\/stable\/fastcs-1\.0\.0\.tgz is not the package s3:\/\/charts\/stable\/index\.yaml describes/,
        );
        assert.equal(await prodImage(), "2.0.1");

        // --cosign-verify needs an OCI registry.
        const verify = await promoteS3("staging", "prod", "--yes", "--cosign-verify", "/nonexistent.pub");
        assert.equal(verify.code, 2, verify.stderr);
        assert.match(verify.stderr, /--cosign-verify checks signatures in OCI registries/);
      },
    );
  });
}
