// The local Kubernetes harness (tests/support/cluster.ts) proven with the real helm 3 and 4 and kubectl:
// charts/fastcs installs with editable on and off, its pod gets Running and Ready, its PVC binds, exec and
// port-forward reach local processes, upgrade, rollback and uninstall work, and teardown leaves nothing.
import assert from "node:assert/strict";
import { join } from "node:path";
import { helmHomes, REPO, run, tool } from "../helpers.ts";
import { startCluster, type TestCluster } from "../support/cluster.ts";
import { tempDir } from "../support/files.ts";

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

Deno.test("the local control plane runs charts/fastcs under Helm 3 and Helm 4", async (t) => {
  // The cluster is stopped at the end of this block; the last step checks what it left behind.
  let stopped: TestCluster;
  {
    await using work = await tempDir("fastcs-exec-");
    // A local TCP service standing in for a process listening inside the pod.
    await using service = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () => new Response("from the pod"),
    );
    await using cluster = await startCluster({
      execWorkDir: work.path,
      forwards: { 5678: service.addr.port },
    });
    stopped = cluster;
    for (const [helm, ns] of [["helm3", "staging"], ["helm4", "prod"]] as const) {
      await using home = await tempDir();
      const env = {
        KUBECONFIG: cluster.kubeconfig,
        ...helmHomes(home.path),
      };
      const h = (...args: string[]) => run(tool(helm), [...args, "--kube-context", ns], { env });
      const k = (...args: string[]) => cluster.kubectl("--context", ns, ...args);

      await t.step(`${helm}: install editable, pod Ready, PVC bound`, async () => {
        const r = await h(
          "install",
          "svc",
          join(REPO, "charts/fastcs"),
          "--set",
          "editable=true",
          "--set",
          "autostart=false",
          "--wait",
          "--timeout",
          "60s",
        );
        assert.equal(r.code, 0, r.stderr);
        const ready = await k("wait", "pod/svc-0", "--for=condition=Ready", "--timeout=30s");
        assert.equal(ready.code, 0, ready.stderr);
        const pvc = await k("get", "pvc", "svc-develop", "-o", "jsonpath={.status.phase}");
        assert.equal(pvc.stdout, "Bound");
      });

      await t.step(
        `${helm}: exec runs the configured local command; port-forward reaches the local port`,
        async () => {
          const exec = await k(
            "exec",
            "svc-0",
            "-c",
            "fastcs",
            "--",
            "sh",
            "-c",
            `echo ${helm} > marker-${helm} && echo done`,
          );
          assert.equal(exec.code, 0, exec.stderr);
          assert.equal(exec.stdout.trim(), "done");
          assert.equal((await Deno.readTextFile(join(work.path, `marker-${helm}`))).trim(), helm);
          const pf = new Deno.Command(tool("kubectl"), {
            args: ["--kubeconfig", cluster.kubeconfig, "--context", ns, "port-forward", "pod/svc-0", ":5678"],
            stdout: "piped",
            stderr: "piped",
          }).spawn();
          try {
            const reader = pf.stdout.pipeThrough(new TextDecoderStream()).getReader();
            let text = "";
            while (!/Forwarding from 127\.0\.0\.1:(\d+)/.test(text)) {
              const { value, done } = await reader.read();
              if (done) throw new Error(`port-forward ended: ${text}`);
              text += value;
            }
            const port = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(text)![1];
            assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), "from the pod");
            reader.releaseLock();
          } finally {
            pf.kill();
            await pf.status;
            await pf.stderr.cancel().catch(() => {});
            await pf.stdout.cancel().catch(() => {});
          }
        },
      );

      await t.step(`${helm}: upgrade to editable off, rollback, uninstall`, async () => {
        const up = await h(
          "upgrade",
          "svc",
          join(REPO, "charts/fastcs"),
          "--set",
          "editable=false",
          "--wait",
          "--timeout",
          "60s",
        );
        assert.equal(up.code, 0, up.stderr);
        const image = await k(
          "get",
          "statefulset",
          "svc",
          "-o",
          "jsonpath={.spec.template.spec.containers[0].image}",
        );
        assert.doesNotMatch(image.stdout, /-debug:/);
        const back = await h("rollback", "svc", "1", "--wait", "--timeout", "60s");
        assert.equal(back.code, 0, back.stderr);
        const again = await k(
          "get",
          "statefulset",
          "svc",
          "-o",
          "jsonpath={.spec.template.spec.containers[0].image}",
        );
        assert.match(again.stdout, /-debug:/);
        const history = await h("history", "svc", "-o", "json");
        assert.deepEqual(JSON.parse(history.stdout).map((r: { revision: number }) => r.revision), [1, 2, 3]);
        const un = await h("uninstall", "svc", "--wait");
        assert.equal(un.code, 0, un.stderr);
        assert.notEqual((await k("get", "statefulset", "svc")).code, 0);
      });
    }
  }
  await t.step("teardown leaves no process and no file", () => {
    assert.deepEqual(stopped.pids.filter(alive), []);
    assert.throws(() => Deno.statSync(stopped.dir));
  });
});
