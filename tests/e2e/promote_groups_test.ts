// helm fastcs promote of several releases at once on the local control plane, under the real Helm 4 and
// Helm 3: a group of the project file (in its order), a label selector on release labels (by name), one
// combined plan with the order stated before the one confirmation, and a summary with every release's
// outcome when one of three fails (rolled back; the others promoted, or with --stop-on-failure or Ctrl+C
// not attempted). Also: a first install into a namespace that does not exist yet.
import assert from "node:assert/strict";
import { setUpPromotion } from "../support/promote.ts";

/** The project file's additions: the group (db first, then api, then worker) and an environment qa whose
 * namespace does not exist. */
const LINES = {
  environments: ["qa: {kubeContext: prod, namespace: qa, release: 'qa-{service}', values: [envs/prod.yaml]}"],
  extra: ["groups:", "  core: [db, api, worker]"],
};

/** A pod annotation the test cluster's kwok stages read: the pod never gets Ready. */
const NEVER_READY = 'podAnnotations={"fastcs.test/unready":"yes"}';

type Result = { release: string; status: string; revision?: number; reason?: string; error?: string };

async function setUp(helmName: "helm3" | "helm4") {
  const fixture = await setUpPromotion(helmName, undefined, LINES);
  const { deploy, prodValue } = fixture;
  /** Deploys staging-db, staging-api and staging-worker labelled team=core at image `tag`; api's pod never
   * gets Ready when `apiNeverReady` (deployed without waiting, so it is promotable). */
  const core = async (tag: string, apiNeverReady = false) => {
    for (const service of ["db", "api", "worker"]) {
      const broken = apiNeverReady && service === "api";
      const r = await deploy(
        `staging-${service}`,
        "--labels",
        "team=core",
        "--set",
        `image.tag=${tag}`,
        ...(broken ? ["--set-json", NEVER_READY] : ["--set-json", "podAnnotations={}", "--wait"]),
      );
      assert.equal(r.code, 0, r.stderr);
    }
  };
  /** prod's image tags of db, api and worker, and the status of each release's last revision. */
  const prod = async () => {
    const out: string[] = [];
    for (const service of ["db", "api", "worker"]) {
      const history = await fixture.prodHistory(`prod-${service}`);
      out.push(`${service} ${await prodValue("image.tag", `prod-${service}`)} ${history.at(-1)!.status}`);
    }
    return out;
  };
  const statuses = (results: Result[]) => results.map((r) => `${r.release} ${r.status}`);
  return { ...fixture, core, prod, statuses };
}

Deno.test("promote a group under Helm 4: stated order, one confirmation, one of three fails, --stop-on-failure, Ctrl+C, selectors", async (t) => {
  await using fixture = await setUp("helm4");
  const { helm, prodStatus, core, prod, promote, promoteTyping, shortTimeout, spawnPromote, statuses } =
    fixture;
  await core("2.0.0");

  await t.step(
    "bad choices: two ways at once, an unknown group, a selector Helm refuses, one that matches nothing",
    async () => {
      const both = await promote("staging", "prod", "staging-db", "--group", "core", "--yes");
      assert.equal(both.code, 2, both.stderr);
      assert.match(
        both.stderr,
        /release names \(staging-db\) and --group each choose the releases to promote: give one of them/,
      );
      const all = await promote("staging", "prod", "--all", "-l", "team=core", "--yes");
      assert.equal(all.code, 2, all.stderr);
      const unknown = await promote("staging", "prod", "--group", "edge", "--yes");
      assert.equal(unknown.code, 5, unknown.stderr);
      assert.match(unknown.stderr, /unknown group "edge" \(fastcs\.yaml defines core\)/);
      const bad = await promote("staging", "prod", "--selector", "team=core=x", "--yes");
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, /helm refused the label selector "team=core=x": .*found '='/);
      assert.doesNotMatch(bad.stderr, /\n\s+at /);
      const none = await promote("staging", "prod", "-l", "team=edge", "--yes");
      assert.equal(none.code, 5, none.stderr);
      assert.match(
        none.stderr,
        /no release of staging \(namespace staging, kube context staging\) matches the selector team=edge/,
      );
    },
  );

  await t.step(
    "the plan states the group's order before the one question, and -o json numbers it",
    async () => {
      const declined = await promoteTyping("no", "staging", "prod", "--group", "core");
      assert.equal(declined.code, 8, declined.screen);
      assert.match(
        declined.screen,
        /promotion order \(group core \(fastcs\.yaml\), the group's order\):\s+1\. staging-db -> prod-db: install\s+2\. staging-api -> prod-api: install\s+3\. staging-worker -> prod-worker: install\s+a release that fails is rolled back, and the next one goes on \(--stop-on-failure stops there\)\s+Promote 3 release\(s\) \(3 of them a first install\) to prod \(protected\)\?/,
      );
      assert.doesNotMatch(declined.screen, /staging-ioc/, "not in the group");
      const json = await promote("staging", "prod", "--group", "core", "--diff-only", "-o", "json");
      assert.equal(json.code, 10, json.stderr);
      assert.deepEqual(
        JSON.parse(json.stdout).map((
          p: { order: number; target: { release: string } },
        ) => [p.order, p.target.release]),
        [[1, "prod-db"], [2, "prod-api"], [3, "prod-worker"]],
      );
    },
  );

  await t.step("a selector on release labels promotes the releases it matches, by name", async () => {
    const r = await promote("staging", "prod", "-l", "team=core", "--yes", "-o", "json");
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(statuses(out.results), [
      "prod-api promoted",
      "prod-db promoted",
      "prod-worker promoted",
    ]);
    assert.deepEqual(out.plans.map((p: { order: number }) => p.order), [1, 2, 3]);
    assert.equal(out.interrupted, false);
    assert.match(r.stderr, /prod: 3 promoted \(of 3 release\(s\)\)/);
    assert.deepEqual(await prod(), ["db 2.0.0 deployed", "api 2.0.0 deployed", "worker 2.0.0 deployed"]);
    const ioc = await prodStatus();
    assert.notEqual(ioc.code, 0, "staging-ioc has no team=core label: not promoted");
    // The source's own labels went with them (Helm 4 shows them), so the same selector finds them in prod.
    const metadata = await helm(
      "get",
      "metadata",
      "prod-db",
      "-o",
      "json",
      "--kube-context",
      "prod",
      "-n",
      "prod",
    );
    assert.equal(metadata.code, 0, metadata.stderr);
    const labels = JSON.parse(metadata.stdout).labels;
    assert.equal(labels.team, "core");
    assert.equal(labels.promotedFrom, "staging");
    const listed = await helm("list", "-l", "team=core", "-q", "--kube-context", "prod", "-n", "prod");
    assert.deepEqual(listed.stdout.trim().split("\n").sort(), ["prod-api", "prod-db", "prod-worker"]);
  });

  await t.step(
    "one of three fails: it is rolled back, the others are promoted, all in the summary, exit 11",
    async () => {
      await shortTimeout();
      await core("2.1.0", true);
      const r = await promote("staging", "prod", "--group", "core", "--yes");
      assert.equal(r.code, 11, r.stdout + r.stderr);
      assert.match(
        r.stdout,
        /prod-db: promoted \(revision 2\)\nprod-api: rolled back \(revision 1\): .+\nprod-worker: promoted \(revision 2\)\n$/,
      );
      assert.match(r.stderr, /prod: 2 promoted, 1 rolled back \(of 3 release\(s\)\)/);
      assert.deepEqual(await prod(), ["db 2.1.0 deployed", "api 2.0.0 deployed", "worker 2.1.0 deployed"]);
    },
  );

  await t.step("--stop-on-failure: the releases after the failed one are not attempted", async () => {
    await core("2.2.0", true);
    const r = await promote("staging", "prod", "--group", "core", "--yes", "--stop-on-failure", "-o", "json");
    assert.equal(r.code, 11, r.stdout + r.stderr);
    const { results } = JSON.parse(r.stdout);
    assert.deepEqual(statuses(results), [
      "prod-db promoted",
      "prod-api rolled back",
      "prod-worker not attempted",
    ]);
    assert.equal(results[2].reason, "stopped after prod-api failed (--stop-on-failure)");
    assert.equal(results[2].revision, 2, "prod-worker's running revision");
    assert.deepEqual(await prod(), ["db 2.2.0 deployed", "api 2.0.0 deployed", "worker 2.1.0 deployed"]);
  });

  await t.step(
    "Ctrl+C during the second release: it is rolled back, the third not attempted, exit 130",
    async () => {
      // prod-db already runs staging's 2.2.0 (unchanged); prod-api's upgrade waits for a pod that never gets
      // Ready; prod-worker would go from 2.1.0 to 2.2.0.
      const running = spawnPromote("staging", "prod", "--group", "core", "--yes", "-o", "json");
      const helmPid = await running.helmUpgrade("prod-api");
      running.kill("SIGINT");
      const { code, stdout, stderr } = await running.finished;
      assert.equal(code, 130, stderr);
      assert.match(
        stderr,
        /interrupted: waiting for helm to finish \(it rolls back on failure\); no further release starts/,
      );
      const out = JSON.parse(stdout);
      assert.equal(out.interrupted, true);
      assert.deepEqual(statuses(out.results), [
        "prod-db unchanged",
        "prod-api rolled back",
        "prod-worker not attempted",
      ]);
      assert.equal(out.results[2].reason, "interrupted (Ctrl+C)");
      assert.deepEqual(await prod(), ["db 2.2.0 deployed", "api 2.0.0 deployed", "worker 2.1.0 deployed"]);
      assert.equal(
        await Deno.stat(`/proc/${helmPid}`).then(() => true, () => false),
        false,
        `helm (pid ${helmPid}) outlived the promotion`,
      );
    },
  );
});

Deno.test("promote a group under Helm 3: one of three fails and is rolled back, the others promoted; a first install creates its namespace", async () => {
  await using fixture = await setUp("helm3");
  const { helm, core, prod, promote, shortTimeout, statuses } = fixture;
  await core("2.0.0");
  const first = await promote("staging", "prod", "--group", "core", "--yes");
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.match(first.stdout, /prod-db: promoted, installed \(revision 1\)\nprod-api: promoted, installed/);

  await shortTimeout();
  await core("2.1.0", true);
  const r = await promote("staging", "prod", "--selector", "team in (core)", "--yes", "-o", "json");
  assert.equal(r.code, 11, r.stdout + r.stderr);
  const { results } = JSON.parse(r.stdout);
  assert.deepEqual(statuses(results), ["prod-api rolled back", "prod-db promoted", "prod-worker promoted"]);
  assert.match(results[0].error, /.+/);
  assert.deepEqual(await prod(), ["db 2.1.0 deployed", "api 2.0.0 deployed", "worker 2.1.0 deployed"]);

  // qa's namespace does not exist: the plan says so, and Helm creates it with the first install.
  assert.notEqual((await fixture.cluster.kubectl("--context", "prod", "get", "namespace", "qa")).code, 0);
  const qa = await promote("staging", "qa", "staging-ioc", "--yes");
  assert.equal(qa.code, 0, qa.stdout + qa.stderr);
  assert.match(
    qa.stdout,
    /install \(no release qa-ioc there yet; namespace qa does not exist: helm creates it\)/,
  );
  assert.match(qa.stdout, /qa-ioc: promoted, installed \(revision 1\)/);
  assert.equal((await helm("status", "qa-ioc", "--kube-context", "prod", "-n", "qa")).code, 0);
});
