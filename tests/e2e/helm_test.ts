// The plugin under the real Helm 3.17.3 and Helm 4.1.4 (from scripts/setup.sh): installed from a checkout,
// run through `helm fastcs`, and the generated schema enforced by Helm itself.
import assert from "node:assert/strict";
import { join } from "node:path";
import { copyRepo, helmEnv, REPO, run, sourceInstallEnv, tool } from "../helpers.ts";
import { servicesChart, tempDir } from "../support/files.ts";

const denoJson = JSON.parse(await Deno.readTextFile(join(REPO, "deno.json")));
// One dependency cache for every install of this run, so that each install does not fetch again.
const sharedDenoDir = await Deno.makeTempDir({ prefix: "helm-fastcs-deno-" });

for (const name of ["helm3", "helm4"] as const) {
  Deno.test(`${name}: install from a checkout, then helm fastcs schema works end to end`, async (t) => {
    const helm = tool(name);
    const repo = await copyRepo();
    await using home = await tempDir();
    const env = sourceInstallEnv(home.path, sharedDenoDir);
    const h = (args: string[], cwd = repo) => run(helm, args, { cwd, env });

    await t.step("helm plugin install <checkout> produces a working command", async () => {
      const r = await h(["plugin", "install", repo]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout + r.stderr, /Installed plugin: fastcs/);
      const v = await h(["fastcs", "--version"]);
      assert.equal(v.stdout.trim(), denoJson.version);
    });

    await t.step("helm fastcs schema --check passes, and a regeneration is byte-identical", async () => {
      const c = await h(["fastcs", "schema", "--check"]);
      assert.equal(c.code, 0, c.stderr);
      await Deno.remove(join(repo, "charts/fastcs/values.schema.json"));
      await Deno.remove(join(repo, "schemas"), { recursive: true });
      const g = await h(["fastcs", "schema"]);
      assert.equal(g.code, 0, g.stderr);
      for (const f of ["charts/fastcs/values.schema.json", "schemas/fastcs-service.schema.json"]) {
        assert.equal(await Deno.readTextFile(join(repo, f)), await Deno.readTextFile(join(REPO, f)), f);
      }
    });

    await t.step("Helm's global flags reach the plugin as environment; exit codes pass through", async () => {
      const r = await h(["fastcs", "promote", "staging", "prod"]);
      assert.equal(r.code, 5);
      const d = await h(["--debug", "fastcs", "schema", "--check"]);
      assert.equal(d.code, 0);
      assert.match(d.stderr, /debug: helm fastcs .*helm=.*helm/);
      const n = await h(["-n", "staging", "--kube-context", "lab", "--debug", "fastcs", "schema", "--check"]);
      assert.match(n.stderr, /namespace=staging kube-context=lab/);
    });

    await t.step("helm lint and helm template pass with every editable/autostart combination", async () => {
      for (const editable of ["true", "false"]) {
        for (const autostart of ["true", "false"]) {
          const set = ["--set", `editable=${editable}`, "--set", `autostart=${autostart}`];
          const lint = await h(["lint", "charts/fastcs", ...set]);
          assert.equal(lint.code, 0, lint.stdout + lint.stderr);
          const tpl = await h(["template", "rel", "charts/fastcs", ...set]);
          assert.equal(tpl.code, 0, tpl.stderr);
          assert.equal(tpl.stdout.includes("kind: PersistentVolumeClaim"), editable === "true");
          assert.equal(tpl.stdout.includes("- infinity"), autostart === "false");
        }
      }
    });

    await t.step("a values override that breaks the schema fails helm lint and helm template", async () => {
      for (
        const bad of [["--set-json", 'editable="yes"'], ["--set", "image.tagg=1"], [
          "--set",
          "image.pullPolicy=Sometimes",
        ]]
      ) {
        const lint = await h(["lint", "charts/fastcs", ...bad]);
        assert.notEqual(lint.code, 0, `lint ${bad.join(" ")}`);
        const tpl = await h(["template", "rel", "charts/fastcs", ...bad]);
        assert.notEqual(tpl.code, 0, `template ${bad.join(" ")}`);
        assert.match(tpl.stderr, /schema/i);
      }
    });

    await t.step("as a sub-chart of a services umbrella chart: global passes, a typo fails", async () => {
      // The fixture chart p47: fastcs under the alias "ioc", a global of the services repository.
      const umbrella = join(repo, "services", "p47");
      await servicesChart(umbrella, join(repo, "charts/fastcs"));
      const ok = await h(["template", "p47", umbrella, "--set", "ioc.editable=true"]);
      assert.equal(ok.code, 0, ok.stderr);
      const typo = await h(["template", "p47", umbrella, "--set", "ioc.editabel=true"]);
      assert.notEqual(typo.code, 0);
      assert.match(typo.stderr, /editabel/);
    });
  });

  Deno.test(`${name}: an install that cannot produce a working command fails, saying why`, async () => {
    const repo = await copyRepo();
    await using home = await tempDir();
    const env = { ...helmEnv(home.path), HELM_FASTCS_DENO: "/nonexistent/deno" };
    const r = await run(tool(name), ["plugin", "install", repo], { env });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /HELM_FASTCS_DENO=\/nonexistent\/deno is not an executable file/);
    await assert.rejects(Deno.stat(join(repo, "bin/helm-fastcs")), Deno.errors.NotFound);
  });
}
