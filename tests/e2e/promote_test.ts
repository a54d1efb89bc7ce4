// helm fastcs promote on the local control plane (contexts staging and prod) with charts from a real OCI
// registry, under the real Helm 4 (and Helm 3 for the rollback-on-failure path).
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, freePort, REPO, run, tool } from "../helpers.ts";
import { tempDir } from "../support/files.ts";
import { setUpPromotion as setUp } from "../support/promote.ts";
import { waitFor } from "../support/wait.ts";

Deno.test("helm fastcs promote staging -> prod: gate, diff, promote, no-op, history, rollback, failure", async (t) => {
  await using fixture = await setUp("helm4");
  const {
    cluster,
    registry,
    env,
    dir,
    helm,
    staging,
    stagingNeverReady,
    promote,
    promoteTyping,
    shortTimeout,
    interrupted,
    prodValue,
    prodHistory,
    prodStatus,
    spawnPromote,
  } = fixture;

  await t.step("without a terminal and without --yes it refuses and changes nothing", async () => {
    const r = await promote("staging", "prod");
    assert.equal(r.code, 8, r.stderr);
    assert.match(r.stderr, /needs confirmation, and there is no terminal/);
    assert.match(
      r.stdout,
      /staging\/staging-ioc \(revision 1, fastcs 1\.0\.0\) -> prod\/prod-ioc in namespace prod, kube context prod: install \(no release prod-ioc there yet\)/,
    );
    assert.notEqual((await prodStatus()).code, 0);
  });

  await t.step("--diff-only exits 10 when there are changes and shows them per resource", async () => {
    const r = await promote("staging", "prod", "--diff-only");
    assert.equal(r.code, 10, r.stderr);
    assert.match(r.stdout, /1 added, 0 changed, 0 removed/);
    assert.match(r.stdout, /\+\+\+ StatefulSet\/prod-ioc \(promoted\)/);
    // A first install: every resource is new, against nothing installed.
    assert.match(r.stdout, /--- StatefulSet\/prod-ioc \(not installed\)/);
    assert.match(r.stdout, /promoted keys: image\.tag/);
    const json = await promote("staging", "prod", "--diff-only", "-o", "json");
    assert.equal(json.code, 10, json.stderr);
    const [plan] = JSON.parse(json.stdout);
    assert.equal(plan.action, "install");
    assert.equal(plan.target.revision, undefined);
    // No lookup in the fastcs chart: client-side renders, and the plan says nothing of a cluster render.
    assert.equal(plan.serverSideRender, false);
    assert.doesNotMatch(r.stdout, /calls lookup/);
  });

  await t.step("at a terminal it asks; a protected environment wants its name typed, not yes", async () => {
    const r = await promoteTyping("yes", "staging", "prod");
    assert.equal(r.code, 8, r.screen);
    assert.match(
      r.screen,
      /Promote 1 release\(s\) \(1 of them a first install\) to prod \(protected\)\? Type "prod" to go on:/,
    );
    assert.match(r.screen, /not promoted/);
    assert.notEqual((await prodStatus()).code, 0);
  });

  await t.step(
    "--yes promotes: same chart, promoted keys from staging, prod's own values, provenance",
    async () => {
      const r = await promote("staging", "prod", "--yes");
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /prod-ioc: promoted, installed \(revision 1\)/);
      assert.equal(await prodValue("image.tag"), "2.0.0");
      assert.equal(await prodValue("podLabels.tier"), "prod");
      assert.equal((await prodValue("env") as { value: string }[])[0].value, "prod");
      const history = await prodHistory();
      assert.match(
        history[0].description,
        /^promoted from staging\/staging-ioc revision 1: fastcs 1\.0\.0 sha256:[0-9a-f]{64} by tester$/,
      );
      const again = await promote("staging", "prod", "--yes", "-o", "json");
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /no changes: prod already runs what staging runs/);
      // Under -o json, stdout is exactly one JSON document.
      assert.equal(JSON.parse(again.stdout)[0].diff.changes.length, 0);
      assert.equal((await prodHistory()).length, 1);
    },
  );

  await t.step("a second promotion, history, and rollback to the previous promotion", async () => {
    assert.equal((await staging("--set", "image.tag=2.1.0", "--wait")).code, 0);
    const r = await promoteTyping("prod", "staging", "prod"); // confirmed at the terminal
    assert.equal(r.code, 0, r.screen);
    assert.match(r.screen, /kube context prod: upgrade of revision 1/);
    assert.match(r.screen, /Promote 1 release\(s\) to prod \(protected\)\?/);
    assert.match(r.screen, /prod-ioc: promoted \(revision 2\)/);
    assert.equal(await prodValue("image.tag"), "2.1.0");
    const history = await promote("history", "prod");
    assert.equal(history.code, 0, history.stderr);
    assert.equal(history.stdout.trim().split("\n").length, 2);
    assert.match(history.stdout, /prod-ioc {2}revision 2 .*promoted from staging\/staging-ioc revision 2/);
    assert.equal((await promote("--history", "prod")).stdout, history.stdout, "the old flag is an alias");
    const records = JSON.parse((await promote("history", "prod", "-o", "json")).stdout);
    assert.deepEqual(records.map((r: { release: string; revision: number }) => [r.release, r.revision]), [
      ["prod-ioc", 1],
      ["prod-ioc", 2],
    ]);
    const back = await promote("rollback", "prod", "-o", "json");
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(JSON.parse(back.stdout), { rolledBack: [{ release: "prod-ioc", revision: 1 }] });
    assert.equal(await prodValue("image.tag"), "2.0.0");
  });

  await t.step("a promotion whose pods never get Ready rolls back and leaves prod as it was", async () => {
    await shortTimeout();
    assert.equal((await stagingNeverReady()).code, 0);
    const before = (await prodHistory()).length;
    const r = await promote("staging", "prod", "--yes");
    assert.equal(r.code, 11, r.stdout + r.stderr);
    assert.match(r.stdout, /prod-ioc: rolled back/);
    assert.equal(await prodValue("image.tag"), "2.0.0");
    const after = await prodHistory();
    // The failed revision, Helm's rollback (which cannot replace the stuck pod), our settled rollback.
    assert.equal(after.length, before + 3);
    assert.equal(after[after.length - 1].status, "deployed");
    assert.match(r.stderr, /deleting pod prod-ioc-0, which never got Ready/);
    const ready = await run(tool("kubectl"), [
      "--kubeconfig",
      cluster.kubeconfig,
      "--context",
      "prod",
      "wait",
      "pod/prod-ioc-0",
      "--for=condition=Ready",
      "--timeout=30s",
    ]);
    assert.equal(ready.code, 0, ready.stderr);
  });

  await t.step(
    "Ctrl+C during the upgrade waits for helm and its rollback, exits 130, prod deployed",
    async () => {
      // staging still runs the never-Ready 3.0.0, so the upgrade of prod waits until its timeout.
      const before = await prodHistory();
      const running = spawnPromote("staging", "prod", "--yes");
      const helmPid = await running.helmUpgrade("prod-ioc");
      assert.match(running.stderr(), /promoting staging-ioc \(staging\) to prod-ioc \(prod\)/);
      running.kill("SIGINT");
      const { code, stderr } = await running.finished;
      assert.equal(code, 130, stderr);
      assert.match(stderr, /waiting for helm to finish \(it rolls back on failure\)/);
      const after = await prodHistory();
      assert.ok(after.length > before.length, "the upgrade ran");
      assert.equal(after[after.length - 1].status, "deployed");
      assert.equal(await prodValue("image.tag"), "2.0.0");
      assert.equal(
        await Deno.stat(`/proc/${helmPid}`).then(() => true, () => false),
        false,
        `helm (pid ${helmPid}) outlived the promotion`,
      );
    },
  );

  await t.step(
    "a helm killed mid-upgrade leaves prod-ioc pending-upgrade: refused with an explanation; --recover rolls it back after confirmation",
    async () => {
      // staging runs a promotable revision again (it ran the never-Ready 3.0.0 since the steps above).
      assert.equal((await staging("--set", "image.tag=2.0.0")).code, 0);
      await cluster.kubectl("--context", "staging", "delete", "pod", "staging-ioc-0", "--wait=false");
      assert.equal((await staging("--set", "image.tag=2.0.0", "--wait")).code, 0);
      const history = prodHistory;
      const deployed = (await history()).at(-1)!.revision;
      assert.equal(await interrupted("prod-ioc", "prod", "--reuse-values"), "pending-upgrade");
      const pending = (await history()).at(-1)!.revision;

      const refused = await promote("staging", "prod", "--yes");
      assert.equal(refused.code, 8, refused.stderr);
      assert.match(
        refused.stderr,
        /1 release\(s\) of prod \(namespace prod \(kube context prod\)\) are stuck in a pending status: a helm client was interrupted/,
      );
      assert.match(
        refused.stderr,
        new RegExp(
          `prod-ioc: revision ${pending} is pending-upgrade since \\S+; --recover would roll it back to revision ${deployed}, its last deployed one \\(by hand: helm rollback prod-ioc ${deployed} -n prod --kube-context prod\\)`,
        ),
      );
      assert.match(refused.stderr, /promote again with --recover/);
      const dry = await promote("staging", "prod", "--dry-run", "--recover");
      assert.equal(dry.code, 8, dry.stderr);
      assert.match(dry.stderr, /--recover acts only when promoting/);

      const declined = await promoteTyping("yes", "staging", "prod", "--recover");
      assert.equal(declined.code, 8, declined.screen);
      assert.match(declined.screen, /prod\/prod-ioc is stuck: revision \d+ is pending-upgrade since/);
      assert.match(
        declined.screen,
        /Recover 1 stuck release\(s\) \(no helm may still be working on them\) in prod \(protected\)\? Type "prod"/,
      );
      assert.match(declined.screen, /not recovered/);
      assert.equal((await history()).at(-1)!.status, "pending-upgrade");

      const r = await promote("staging", "prod", "--recover", "--yes", "-o", "json");
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.deepEqual(out.recovered, [{
        release: "prod-ioc",
        stuck: { revision: pending, status: "pending-upgrade" },
        action: "rolled back",
        revision: deployed,
      }]);
      // prod runs what it ran before the interrupted upgrade, which is what staging runs: nothing to promote.
      assert.match(r.stderr, /no changes: prod already runs what staging runs/);
      assert.equal((await history()).at(-1)!.status, "deployed");
      assert.equal(await prodValue("image.tag"), "2.0.0");
    },
  );

  await t.step(
    "--delete-source: asked after the promotion, deletes staging-ioc keeping a history that records it",
    async () => {
      const declined = await promoteTyping("no", "staging", "prod", "--delete-source");
      assert.equal(declined.code, 0, declined.screen); // nothing to promote; deleting the source is declined
      assert.match(
        declined.screen,
        /prod runs them now: delete 1 source release\(s\) \(staging-ioc\) from staging\? Type "yes" to go on:/,
      );
      assert.match(declined.screen, /not deleted/);
      assert.equal(
        (await helm("status", "staging-ioc", "--kube-context", "staging", "-n", "staging")).code,
        0,
      );

      assert.equal((await staging("--set", "image.tag=2.0.1", "--wait")).code, 0);
      const dry = await promote("staging", "prod", "--delete-source", "--dry-run");
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(
        dry.stdout,
        /then \(--delete-source, asked once prod runs it\): delete staging\/staging-ioc/,
      );
      assert.match(dry.stderr, /would be promoted to prod and then deleted from staging/);

      const r = await promote("staging", "prod", "--delete-source", "--yes", "-o", "json");
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      const revision = out.results[0].revision;
      assert.equal(out.results[0].status, "promoted");
      assert.deepEqual(out.deletedSources, [{
        env: "staging",
        release: "staging-ioc",
        deleted: true,
        description: `deleted after its promotion to prod/prod-ioc revision ${revision} by tester`,
      }]);
      assert.equal(await prodValue("image.tag"), "2.0.1");
      const history = JSON.parse(
        (await helm("history", "staging-ioc", "-o", "json", "--kube-context", "staging", "-n", "staging"))
          .stdout,
      );
      assert.equal(history.at(-1).status, "uninstalled");
      assert.equal(history.at(-1).description, out.deletedSources[0].description);
      // Deleted with its history kept: not a release to promote any more.
      const none = await promote("staging", "prod", "--yes");
      assert.equal(none.code, 5, none.stderr);
      assert.match(none.stderr, /environment staging \(.*\) has no release to promote/);
      // Deployed again later, it is a release like any other (Helm installs over the kept history).
      assert.equal((await staging("--set", "image.tag=2.0.1", "--wait")).code, 0);
      assert.equal((await promote("staging", "prod", "--yes")).code, 0);
    },
  );

  await t.step(
    "bad input: unknown environment, unknown release, an unreachable target, a chart no longer in the registry",
    async () => {
      const unknown = await promote("staging", "production", "--yes");
      assert.equal(unknown.code, 5);
      assert.match(
        unknown.stderr,
        /unknown environment "production" \(fastcs\.yaml defines staging, prod\)/,
      );
      const missing = await promote("staging", "prod", "staging-nope", "--yes");
      assert.equal(missing.code, 5);
      assert.match(missing.stderr, /no release staging-nope in environment staging/);

      // prod's kube context points at an API server that is not there (nothing listens on the port).
      await using unreachableKube = await tempDir();
      const kubeconfig = join(unreachableKube.path, "kubeconfig");
      await Deno.writeTextFile(
        kubeconfig,
        (await Deno.readTextFile(cluster.kubeconfig))
          .replace(
            "- name: prod\n  context: {cluster: fastcs-test,",
            "- name: prod\n  context: {cluster: gone,",
          )
          .replace(
            "clusters:\n",
            `clusters:\n- name: gone\n  cluster: {server: "https://127.0.0.1:${freePort()}"}\n`,
          ),
      );
      const unreachable = await cli(["promote", "staging", "prod", "--yes", "--plain-http"], {
        cwd: dir,
        env: { ...env, KUBECONFIG: kubeconfig },
      });
      assert.equal(unreachable.code, 6, unreachable.stderr);
      assert.match(
        unreachable.stderr,
        /helm (list --max 0|status prod-ioc|get manifest prod-ioc) in namespace prod \(kube context prod\) failed: .*cluster unreachable/,
      );
      assert.match(unreachable.stderr, /The API server of kube context prod does not answer/);
      assert.doesNotMatch(unreachable.stderr, /\n\s+at /); // no stack trace
      await Deno.remove(
        join(registry.storage, "docker/registry/v2/repositories/charts/fastcs/_manifests/tags/1.0.0"),
        { recursive: true },
      );
      const gone = await promote("staging", "prod", "--yes", "--force");
      assert.equal(gone.code, 9);
      assert.match(gone.stderr, /chart fastcs 1\.0\.0 is not in oci:\/\/127\.0\.0\.1:\d+\/charts any more/);
    },
  );
});

Deno.test("helm fastcs promote under Helm 3: --delete-source; --atomic rolls a failed promotion back; a stuck pending-install is uninstalled by --recover; a failed first install leaves nothing", async () => {
  await using fixture = await setUp("helm3");
  const {
    helm,
    staging,
    stagingNeverReady,
    promote,
    shortTimeout,
    interrupted,
    prodHistory,
    prodStatus,
    prodValue,
  } = fixture;
  const first = await promote("staging", "prod", "--yes", "--delete-source");
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /prod-ioc: promoted, installed \(revision 1\)/);
  assert.match(
    first.stdout,
    /staging-ioc: deleted from staging \(helm history staging-ioc keeps "deleted after its promotion to prod\/prod-ioc revision 1 by tester"\)/,
  );
  // Helm 3 lists the deleted release (history kept) only with --all: it is no release to promote.
  const none = await promote("staging", "prod", "--yes");
  assert.equal(none.code, 5, none.stderr);
  assert.match(none.stderr, /has no release to promote/);
  assert.equal((await staging("--set", "image.tag=2.0.0", "--wait")).code, 0);
  await shortTimeout();
  assert.equal((await stagingNeverReady()).code, 0);
  const failed = await promote("staging", "prod", "--yes");
  assert.equal(failed.code, 11, failed.stdout + failed.stderr);
  assert.equal(await prodValue("image.tag"), "2.0.0");
  const history = await prodHistory();
  assert.equal(history[history.length - 1].status, "deployed");

  // A first install killed mid-way: pending-install with no deployed revision.
  assert.equal(
    (await helm("uninstall", "prod-ioc", "--kube-context", "prod", "-n", "prod", "--wait")).code,
    0,
  );
  assert.equal(await interrupted("prod-ioc", "prod"), "pending-install");
  const refused = await promote("staging", "prod", "--yes");
  assert.equal(refused.code, 8, refused.stderr);
  assert.match(
    refused.stderr,
    /prod-ioc: revision 1 is pending-install since \S+; --recover would uninstall it: no revision of it ever got deployed \(by hand: helm uninstall prod-ioc -n prod --kube-context prod\)/,
  );
  // Recovered (uninstalled), then a first install of staging's never-Ready revision: Helm's --atomic
  // removes it again, and the summary says so.
  const r = await promote("staging", "prod", "--yes", "--recover");
  assert.equal(r.code, 11, r.stdout + r.stderr);
  assert.match(r.stdout, /prod-ioc: recovered from pending-install \(revision 1\): uninstalled/);
  assert.match(r.stdout, /kube context prod: install \(no release prod-ioc there yet\)/);
  assert.match(r.stdout, /prod-ioc: failed: .*the first install was removed \(nothing of prod-ioc runs\)/);
  assert.notEqual((await prodStatus()).code, 0, "no prod-ioc release after a failed first install");
});

for (const helmName of ["helm4", "helm3"] as const) {
  Deno.test(`${helmName}: helm test: a failing test after the upgrade rolls prod back; retries, --test-timeout, --on-test-failure keep; a source whose last test failed is refused`, async () => {
    // The fastcs chart plus a `helm test` hook pod (a fixture: the chart itself ships no tests). The hook
    // pod fails when the release has podAnnotations.fail-tests, runs without end with hang-tests (kwok stages
    // in tests/support/kwok-stages.yaml), and runs as the service account podAnnotations.test-account (the
    // API server refuses to create it while that account does not exist: a test that fails, then passes).
    await using copy = await tempDir();
    const chart = join(copy.path, "fastcs");
    assert.equal((await run("cp", ["-a", join(REPO, "charts/fastcs"), chart])).code, 0);
    await Deno.mkdir(join(chart, "templates/tests"));
    await Deno.writeTextFile(
      join(chart, "templates/tests/check.yaml"),
      [
        "apiVersion: v1",
        "kind: Pod",
        "metadata:",
        "  name: {{ .Release.Name }}-check",
        "  annotations:",
        '    "helm.sh/hook": test',
        '    "helm.sh/hook-delete-policy": before-hook-creation',
        '    {{- if hasKey .Values.podAnnotations "fail-tests" }}',
        '    fastcs.test/fail: "yes"',
        "    {{- end }}",
        '    {{- if hasKey .Values.podAnnotations "hang-tests" }}',
        '    fastcs.test/hang: "yes"',
        "    {{- end }}",
        "spec:",
        "  restartPolicy: Never",
        '  {{- with index .Values.podAnnotations "test-account" }}',
        "  serviceAccountName: {{ . }}",
        "  {{- end }}",
        "  containers:",
        "    - {name: check, image: busybox:1.36, command: [sh, -c, 'true']}",
        "",
      ].join("\n"),
    );
    await using fixture = await setUp(helmName, chart);
    const { cluster, helm, staging, promote, prodValue, spawnPromote } = fixture;
    const prodTag = () => prodValue("image.tag");

    assert.equal((await helm("test", "staging-ioc", "--kube-context", "staging", "-n", "staging")).code, 0);
    const first = await promote("staging", "prod", "--yes");
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.equal(await prodTag(), "2.0.0");

    // Staging runs a revision whose tests fail in prod's run of them after the upgrade.
    assert.equal(
      (await staging("--set", "image.tag=2.1.0", "--set-json", 'podAnnotations={"fail-tests":"x"}', "--wait"))
        .code,
      0,
    );
    const failed = await promote("staging", "prod", "--yes");
    assert.equal(failed.code, 11, failed.stdout + failed.stderr);
    assert.match(failed.stdout, /prod-ioc: rolled back \(revision 1\): helm test failed/);
    assert.equal(await prodTag(), "2.0.0");

    // A test that fails once (its service account is missing), then passes: --test-retries runs it again.
    assert.equal(
      (await staging(
        "--set",
        "image.tag=2.2.0",
        "--set-json",
        'podAnnotations={"test-account":"checker"}',
        "--wait",
      ))
        .code,
      0,
    );
    const running = spawnPromote(
      "staging",
      "prod",
      "--yes",
      "--test-retries",
      "2",
      "--test-retry-delay",
      "5s",
    );
    await waitFor("the first failed helm test", () => /retrying in 5s/.test(running.stderr()), {
      timeoutMs: 60_000,
      details: running.stderr,
    });
    assert.match(
      running.stderr(),
      /helm test of prod-ioc failed \(attempt 1 of 3\): .*serviceaccount "checker" not found.*; retrying in 5s/,
    );
    assert.equal((await cluster.kubectl("--context", "prod", "create", "serviceaccount", "checker")).code, 0);
    const { code, stdout: retried, stderr } = await running.finished;
    assert.equal(code, 0, stderr);
    assert.match(retried, /prod-ioc: promoted \(revision \d+\); helm test passed on attempt 2/);
    assert.equal(await prodTag(), "2.2.0");

    // --on-test-failure keep: the failing revision stays, reported, exit 11.
    assert.equal(
      (await staging(
        "--set",
        "image.tag=2.3.0",
        "--set-json",
        'podAnnotations={"test-account":"checker","fail-tests":"x"}',
        "--wait",
      )).code,
      0,
    );
    const kept = await promote("staging", "prod", "--yes", "--on-test-failure", "keep", "-o", "json");
    assert.equal(kept.code, 11, kept.stderr);
    const [result] = JSON.parse(kept.stdout).results;
    assert.equal(result.status, "test failed");
    assert.deepEqual({ ...result.tests, error: undefined }, { passed: false, attempts: 1, error: undefined });
    assert.match(
      result.error,
      /helm test failed after 1 attempt\(s\): .*; revision \d+ is kept \(--on-test-failure keep\)/,
    );
    assert.equal(await prodTag(), "2.3.0");

    // --test-timeout: a test pod that never ends fails the run after that long, and prod goes back.
    assert.equal(
      (await staging("--set", "image.tag=2.4.0", "--set-json", 'podAnnotations={"hang-tests":"x"}', "--wait"))
        .code,
      0,
    );
    const hung = await promote("staging", "prod", "--yes", "--test-timeout", "2s");
    assert.equal(hung.code, 11, hung.stdout + hung.stderr);
    assert.match(
      hung.stdout,
      /prod-ioc: rolled back \(revision \d+\): helm test failed after 1 attempt\(s\): .*(timed out|deadline|not ready)/,
    );
    assert.equal(await prodTag(), "2.3.0");
    const badFlag = await promote("staging", "prod", "--yes", "--test-retry-delay", "5");
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /--test-retry-delay takes a duration such as 30s/);

    // The source's own last test failed: refused unless --force.
    assert.equal(
      (await staging("--set", "image.tag=2.1.0", "--set-json", 'podAnnotations={"fail-tests":"x"}', "--wait"))
        .code,
      0,
    );
    assert.notEqual(
      (await helm("test", "staging-ioc", "--kube-context", "staging", "-n", "staging")).code,
      0,
    );
    const refused = await promote("staging", "prod", "--yes");
    assert.equal(refused.code, 8);
    assert.match(refused.stderr, /staging-ioc in staging: its last helm test failed \(staging-ioc-check\)/);
  });
}
