// helm fastcs promote with a chart whose templates `lookup` live objects, on the local control plane under
// the real Helm 4 and Helm 3: fixture chart tests/testdata/charts/lookup copies a `site` value from a Secret
// that exists before the release, and its packaged sub-chart db keeps a generated password through a lookup
// of its own Secret (bitnami's mysql and rabbitmq in diracx do the same). A client-side render gets a new
// password at every render and no site, so before server-side rendering such a chart was refused as "not
// what runs". `unguardedToken` switches on a random token that no lookup keeps: still refused, as such.
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, run, tool } from "../helpers.ts";
import { copyFixtureChart, FIXTURE_CHARTS, tempDir } from "../support/files.ts";
import { setUpPromotion } from "../support/promote.ts";

interface Change {
  resource: string;
  change: string;
  patch: string;
}

for (const helmName of ["helm4", "helm3"] as const) {
  Deno.test(`${helmName}: promote a chart that looks up live objects (server-side render)`, async (t) => {
    await using charts = await tempDir("fastcs-lookup-chart-");
    const chart = join(charts.path, "fastcs");
    await copyFixtureChart("lookup", chart);
    // Vendored as `helm dependency build` does: a package under charts/.
    const pkg = await run(tool(helmName), [
      "package",
      join(FIXTURE_CHARTS, "lookup-db"),
      "-d",
      join(chart, "charts"),
    ]);
    assert.equal(pkg.code, 0, pkg.stderr);
    await using fixture = await setUpPromotion(helmName, chart);
    const { cluster, staging, promote, prodValue, dir, env } = fixture;
    const kubectl = async (...args: string[]) => {
      const r = await cluster.kubectl(...args);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout;
    };
    const secretValue = async (namespace: string, name: string, key: string) =>
      atob(await kubectl("get", "secret", name, "-n", namespace, "-o", `jsonpath={.data.${key}}`));
    const settings = async (namespace: string, release: string) =>
      JSON.parse(await kubectl("get", "configmap", `${release}-settings`, "-n", namespace, "-o", "json"))
        .data as Record<string, string>;
    /** The changes `promote --diff-only` shows. */
    const diffOnly = async () => {
      const r = await promote("staging", "prod", "--diff-only", "-o", "json");
      const plan = JSON.parse(r.stdout)[0];
      assert.equal(plan.serverSideRender, true, "the plan says the chart rendered against each cluster");
      const changes = plan.diff.changes as Change[];
      // Exit 10 says there are changes, 0 that there are none.
      assert.equal(r.code, changes.length > 0 ? 10 : 0, r.stderr);
      return changes;
    };

    // Each environment's own site credentials, made before the release by an administrator; staging-ioc
    // is deployed again so that what runs there read them.
    for (const ns of ["staging", "prod"]) {
      await kubectl(
        "create",
        "secret",
        "generic",
        "site-credentials",
        "-n",
        ns,
        `--from-literal=site=${ns}-site`,
      );
    }
    assert.equal((await staging("--set", "image.tag=2.0.0", "--wait")).code, 0);
    const stagingPassword = await secretValue("staging", "staging-ioc-db", "password");
    assert.equal((await settings("staging", "staging-ioc")).site, "staging-site");

    await t.step(
      "the identity check looks up in staging; the diff of a first install looks up in prod, secrets redacted",
      async () => {
        const changes = await diffOnly();
        assert.deepEqual(changes.map((c) => [c.change, c.resource]), [
          ["added", "ConfigMap/prod-ioc-settings"],
          ["added", "Secret/prod-ioc-db"],
        ]);
        const [config, secret] = changes;
        // prod's own Secret was looked up (a client-side render would give an empty site).
        assert.match(config.patch, /^\+ {2}site: prod-site$/m);
        // prod has no db Secret yet: a new password, shown only as a hash.
        assert.match(secret.patch, /^\+ {2}password: <redacted sha256:[0-9a-f]{12}>$/m);
        assert.ok(!secret.patch.includes(btoa(stagingPassword)));

        const r = await promote("staging", "prod", "--yes");
        assert.equal(r.code, 0, r.stderr);
        assert.equal(await prodValue("image.tag"), "2.0.0");
        assert.equal((await settings("prod", "prod-ioc")).site, "prod-site");
        // prod generated a password of its own; staging's is untouched.
        assert.match(await secretValue("prod", "prod-ioc-db", "password"), /^[A-Za-z0-9]{16}$/);
        assert.notEqual(await secretValue("prod", "prod-ioc-db", "password"), stagingPassword);
        assert.equal(await secretValue("staging", "staging-ioc-db", "password"), stagingPassword);
      },
    );

    await t.step(
      "an upgrade keeps each environment's generated password: only the promoted key changes",
      async () => {
        const prodPassword = await secretValue("prod", "prod-ioc-db", "password");
        assert.deepEqual(await diffOnly(), []);
        assert.equal((await staging("--set", "image.tag=2.1.0", "--wait")).code, 0);
        assert.equal(await secretValue("staging", "staging-ioc-db", "password"), stagingPassword);
        const changes = await diffOnly();
        assert.deepEqual(changes.map((c) => [c.change, c.resource]), [[
          "changed",
          "ConfigMap/prod-ioc-settings",
        ]]);
        assert.match(changes[0].patch, /^-\s+image: 2\.0\.0$/m);
        assert.match(changes[0].patch, /^\+\s+image: 2\.1\.0$/m);
        const r = await promote("staging", "prod", "--yes");
        assert.equal(r.code, 0, r.stderr);
        assert.equal(await prodValue("image.tag"), "2.1.0");
        assert.equal(await secretValue("prod", "prod-ioc-db", "password"), prodPassword);
      },
    );

    await t.step(
      "a random value that no lookup keeps is refused (exit 8) as unreproducible; --force promotes",
      async () => {
        assert.equal(
          (await staging("--set", "image.tag=2.2.0", "--set", "unguardedToken=true", "--wait")).code,
          0,
        );
        const r = await promote("staging", "prod", "--yes");
        assert.equal(r.code, 8, r.stderr);
        assert.match(r.stderr, /promotion from staging refused: what runs there cannot be verified/);
        assert.match(
          r.stderr,
          /staging-ioc: chart fastcs 1\.0\.0 renders Secret\/staging-ioc-token differently each time \(a random value such as randAlphaNum, or the time, that no lookup of the existing object keeps\), so what runs in staging cannot be checked against it/,
        );
        // Not blamed on the registry, and the generated password kept by its lookup is not named.
        assert.doesNotMatch(r.stderr, /not the verified one|staging-ioc-db|staging-ioc-settings/);
        assert.match(r.stderr, /keep it with a lookup of the existing object.*--force promotes anyway/);
        assert.equal(await prodValue("image.tag"), "2.1.0");

        const forced = await promote("staging", "prod", "--yes", "--force");
        assert.equal(forced.code, 0, forced.stderr);
        assert.equal(await prodValue("image.tag"), "2.2.0");
      },
    );

    await t.step(
      "an object in prod that the release does not own: Helm 4's server-side render stops at the plan (exit 6), Helm 3's upgrade fails and rolls back (exit 11)",
      async () => {
        const revision = async () =>
          JSON.parse(
            (await fixture.helm("status", "prod-ioc", "-o", "json", "--kube-context", "prod", "-n", "prod"))
              .stdout,
          ) as { version: number; info: { status: string } };
        const before = await revision();
        // prod's values switch the token on, and a Secret of that name was made by hand.
        const prodValues = join(dir, "envs/prod.yaml");
        const values = await Deno.readTextFile(prodValues);
        await Deno.writeTextFile(prodValues, `${values}unguardedToken: true\n`);
        await kubectl(
          "create",
          "secret",
          "generic",
          "prod-ioc-token",
          "-n",
          "prod",
          "--from-literal=token=x",
        );
        try {
          const r = await promote("staging", "prod", "--yes", "--force");
          const conflict = /Secret "prod-ioc-token" in namespace "prod" exists and cannot be imported/;
          if (helmName === "helm4") {
            assert.equal(r.code, 6, r.stderr);
            assert.match(
              r.stderr,
              /rendering prod-ioc for prod against namespace prod, kube context prod failed: .*Secret "prod-ioc-token"/,
            );
            assert.match(r.stderr, conflict);
            assert.match(r.stderr, /belongs to no release or to another one/);
            assert.deepEqual(await revision(), before);
          } else {
            assert.equal(r.code, 11, r.stderr);
            assert.match(r.stdout + r.stderr, conflict);
            assert.equal((await revision()).info.status, "deployed");
          }
        } finally {
          await Deno.writeTextFile(prodValues, values);
          await kubectl("delete", "secret", "prod-ioc-token", "-n", "prod");
        }
      },
    );

    await t.step(
      "a user who may not get what the chart looks up: exit 6, naming the lookup, the kube context and the RBAC",
      async () => {
        // Allowed to list Secrets (all Helm's read commands need) but not to get one by name (a lookup).
        await kubectl("create", "serviceaccount", "auditor", "-n", "staging");
        for (const ns of ["staging", "prod"]) {
          await kubectl("create", "role", "list-secrets", "-n", ns, "--verb=list", "--resource=secrets");
          await kubectl(
            "create",
            "rolebinding",
            "auditor",
            "-n",
            ns,
            "--role=list-secrets",
            "--serviceaccount=staging:auditor",
          );
        }
        const token = (await kubectl("create", "token", "auditor", "-n", "staging")).trim();
        await using home = await tempDir("fastcs-auditor-");
        const kubeconfig = join(home.path, "kubeconfig");
        await Deno.writeTextFile(
          kubeconfig,
          (await Deno.readTextFile(cluster.kubeconfig)).replace(/token: .*/, `token: ${token}`),
        );
        const r = await cli(["promote", "staging", "prod", "--diff-only", "--plain-http"], {
          cwd: dir,
          env: { ...env, KUBECONFIG: kubeconfig },
        });
        assert.equal(r.code, 6, r.stderr);
        assert.match(
          r.stderr,
          /helm template of fastcs 1\.0\.0 against namespace staging, kube context staging failed: .*error calling lookup: secrets "[a-z-]+" is forbidden/,
        );
        assert.match(
          r.stderr,
          /your user needs RBAC to get \(and list\) the objects they look up in the source.s and in the target.s namespace, here namespace staging, kube context staging\./,
        );
      },
    );
  });
}
