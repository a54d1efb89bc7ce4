// Shell completion through the real Helm 3.17 and 4.1 (`helm __complete fastcs ...`, what the shells' helm
// completion scripts run): the static tree of completion.yaml, and plugin.complete's dynamic values, chart
// names from the charts folder, environments and groups from the project file, release names from a real
// API server (tests/support/cluster.ts) in the namespace and kube context given to Helm. A completion that
// cannot be computed offers nothing and never fails.
import assert from "node:assert/strict";
import { join } from "node:path";
import { copyRepo, run, sourceInstallEnv, tool } from "../helpers.ts";
import { startCluster } from "../support/cluster.ts";
import { tempDir } from "../support/files.ts";

/** A service repo: charts alpha and beta, a project file with staging and prod. */
async function project(dir: string) {
  for (const name of ["alpha", "beta"]) {
    await Deno.mkdir(join(dir, "charts", name), { recursive: true });
    await Deno.writeTextFile(
      join(dir, "charts", name, "Chart.yaml"),
      `apiVersion: v2\nname: ${name}\nversion: 1.0.0\n`,
    );
  }
  await Deno.writeTextFile(
    join(dir, "fastcs.yaml"),
    "environments:\n  staging: {}\n  prod:\n    kubeContext: prod\n    protected: true\n",
  );
}

/** The completions Helm prints (values without descriptions) and its directive line. */
function parse(stdout: string): { values: string[]; directive: string } {
  const lines = stdout.trimEnd().split("\n");
  return { values: lines.slice(0, -1).map((l) => l.split("\t")[0]), directive: lines.at(-1) ?? "" };
}

const sharedDenoDir = await Deno.makeTempDir({ prefix: "helm-fastcs-deno-" });

Deno.test("helm __complete fastcs: static tree and dynamic values on Helm 3 and Helm 4", async (t) => {
  await using cluster = await startCluster();
  await using work = await tempDir("fastcs-completion-");
  await project(work.path);
  // A release to find: a chart with one ConfigMap, installed in the staging context (namespace staging).
  const web = join(work.path, "web");
  await Deno.mkdir(join(web, "templates"), { recursive: true });
  await Deno.writeTextFile(join(web, "Chart.yaml"), "apiVersion: v2\nname: web\nversion: 0.3.0\n");
  await Deno.writeTextFile(
    join(web, "templates/cm.yaml"),
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
  );
  const installed = await run(tool("helm4"), [
    "install",
    "web",
    web,
    "--kube-context",
    "staging",
    "--kubeconfig",
    cluster.kubeconfig,
  ], {
    env: { HOME: work.path, HELM_CONFIG_HOME: join(work.path, ".h"), HELM_CACHE_HOME: join(work.path, ".h") },
  });
  assert.equal(installed.code, 0, installed.stderr);

  for (const name of ["helm3", "helm4"] as const) {
    const repo = await copyRepo();
    await using home = await tempDir();
    const env = { ...sourceInstallEnv(home.path, sharedDenoDir), KUBECONFIG: cluster.kubeconfig };
    const complete = async (...words: string[]) => {
      const r = await run(tool(name), ["__complete", ...words], { cwd: work.path, env });
      assert.equal(r.code, 0, r.stderr);
      return parse(r.stdout);
    };
    const r = await run(tool(name), ["plugin", "install", repo], { env });
    assert.equal(r.code, 0, r.stdout + r.stderr);

    await t.step(`${name}: commands and flags from completion.yaml`, async () => {
      assert.deepEqual((await complete("fastcs", "")).values, ["debug", "promote", "publish", "schema"]);
      const flags = await complete("fastcs", "debug", "--p");
      for (const f of ["--pid", "--pod", "--port"]) assert.ok(flags.values.includes(f), f);
    });

    await t.step(`${name}: schema subcommands and chart names for --chart`, async () => {
      assert.deepEqual(await complete("fastcs", "schema", ""), {
        values: ["generate", "validate"],
        directive: ":4",
      });
      assert.deepEqual((await complete("fastcs", "schema", "--chart", "")).values, ["alpha", "beta"]);
      assert.deepEqual((await complete("fastcs", "schema", "generate", "--chart", "alpha", "")).values, [
        "beta",
      ]);
      assert.deepEqual((await complete("fastcs", "schema", "-o", "")).values, ["text", "json"]);
    });

    await t.step(`${name}: promote environments and groups from the project file (or --config)`, async () => {
      assert.deepEqual((await complete("fastcs", "promote", "")).values, [
        "history",
        "rollback",
        "staging",
        "prod",
      ]);
      assert.deepEqual((await complete("fastcs", "promote", "staging", "")).values, ["prod"]);
      await Deno.writeTextFile(
        join(work.path, "other.yaml"),
        "environments:\n  qa: {}\ngroups: {core: [db, api]}\n",
      );
      assert.deepEqual((await complete("fastcs", "promote", "--config", "other.yaml", "")).values, ["qa"]);
      assert.deepEqual(
        (await complete("fastcs", "promote", "qa", "qa", "--config", "other.yaml", "--group", "")).values,
        ["core"],
      );
    });

    await t.step(
      `${name}: debug release names from the cluster, in Helm's kube context and namespace`,
      async () => {
        assert.deepEqual(await complete("--kube-context", "staging", "fastcs", "debug", ""), {
          values: ["list", "clean", "web"],
          directive: ":4",
        });
        assert.deepEqual(
          (await complete("--kube-context", "staging", "fastcs", "debug", "clean", "")).values,
          [
            "web",
          ],
        );
        assert.deepEqual((await complete("--kube-context", "prod", "fastcs", "debug", "")).values, [
          "list",
          "clean",
        ]);
        assert.deepEqual((await complete("--kube-context", "staging", "fastcs", "debug", "x")).values, []);
      },
    );

    await t.step(`${name}: what cannot be read offers nothing, quietly`, async () => {
      assert.deepEqual(await complete("--kube-context", "nosuch", "fastcs", "debug", ""), {
        values: ["list", "clean"],
        directive: ":4",
      });
      await Deno.writeTextFile(join(work.path, "broken.yaml"), "environments: [\n");
      assert.deepEqual(await complete("fastcs", "promote", "--config", "broken.yaml", ""), {
        values: [],
        directive: ":4",
      });
      // Under --debug the reason goes to stderr, which plugin.complete silences (Helm would offer it).
      assert.deepEqual(
        (await complete("--debug", "fastcs", "promote", "--config", "nosuch.yaml", "")).values,
        [],
      );
    });
    await Deno.remove(repo, { recursive: true });
  }
});
