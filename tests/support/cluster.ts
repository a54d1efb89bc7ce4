// A real, throw-away Kubernetes control plane for tests: etcd, kube-apiserver, kube-controller-manager
// and kube-scheduler (built by scripts/setup-kube.sh), with kwok simulating one node and its pods. Pods of
// a StatefulSet get Running and Ready; PVCs bind to pre-made hostPath volumes; `kubectl exec` runs a
// local command and `kubectl port-forward` reaches a local port (kwok's ClusterExec and
// ClusterPortForward). Two kube contexts, staging and prod, are namespaces of one control plane.
//
// An existing cluster can stand in: set FASTCS_TEST_KUBECONFIG (it must have contexts "staging" and
// "prod"); exec and port-forward then reach real pods.
import { join } from "node:path";
import { freePort, run, toolsBin } from "../helpers.ts";
import { waitFor } from "./wait.ts";

/** A running test cluster: `await using cluster = await startCluster()` stops it at the end of the scope. */
export interface TestCluster extends AsyncDisposable {
  kubeconfig: string;
  /** `kubectl` with this cluster's kubeconfig. */
  kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Stops every process and removes every file; safe to call twice. */
  stop(): Promise<void>;
  /** Process ids of the components (for leak checks). */
  pids: number[];
  dir: string;
}

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** `kubectl exec` into any simulated pod runs the command locally, in this folder. */
  execWorkDir?: string;
  /** Environment of those local commands (e.g. PATH with a python that has debugpy). */
  execEnv?: Record<string, string>;
  /** Milliseconds a simulated pod takes to get Ready (default 0), to stand for image pulls and start-up. */
  podStartMs?: number;
  /** `kubectl port-forward` to pod port P reaches 127.0.0.1:forwards[P]. */
  forwards?: Record<number, number>;
}

/** Folder of the binaries scripts/setup-kube.sh builds. */
export async function kubeBin(): Promise<string> {
  const out = await run("bash", [
    new URL("../../scripts/setup-kube.sh", import.meta.url).pathname,
    "--print",
  ]);
  return out.stdout.trim();
}

/** Starts a control plane on 127.0.0.1 with its own data folder and kubeconfig. */
export async function startCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  const existing = Deno.env.get("FASTCS_TEST_KUBECONFIG");
  const kubectlBin = join(toolsBin(), "kubectl");
  if (existing) {
    return {
      kubeconfig: existing,
      kubectl: (...args) => run(kubectlBin, ["--kubeconfig", existing, ...args]),
      stop: async () => {},
      [Symbol.asyncDispose]: async () => {},
      pids: [],
      dir: "",
    };
  }
  const bin = await kubeBin();
  const dir = await Deno.makeTempDir({ prefix: "fastcs-cluster-" });
  const children: Deno.ChildProcess[] = [];
  const ports = { etcd: freePort(), peer: freePort(), api: freePort(), kwok: freePort() };
  const kubeconfig = join(dir, "kubeconfig");
  let stopped = false;

  // kwok, whose children are what `kubectl exec` started on simulated pods (a launch wrapper and the
  // debugpy it started in a session of its own): a test that fails mid-session leaves them running.
  let kwok: Deno.ChildProcess | undefined;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (kwok) {
      // SIGTERM first, so that each ends what it started (the launch wrapper ends its program and debugpy's
      // adapter): kwok itself would SIGKILL them on its way out, and what they started would be orphaned.
      const execs = (await run("pgrep", ["-P", String(kwok.pid)])).stdout.split("\n").filter(Boolean).map(
        Number,
      );
      for (const pid of execs) {
        try {
          Deno.kill(pid, "SIGTERM");
        } catch { /* gone */ }
      }
      for (let i = 0; i < 50 && execs.some((pid) => isRunning(pid)); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    for (const c of [...children].reverse()) {
      try {
        c.kill("SIGTERM");
      } catch { /* gone */ }
    }
    const killLater = setTimeout(() =>
      children.forEach((c) => {
        try {
          c.kill("SIGKILL");
        } catch { /* gone */ }
      }), 2000);
    await Promise.all(children.map((c) => c.status));
    clearTimeout(killLater);
    Deno.removeSignalListener("SIGINT", onSignal);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const onSignal = () => {
    stop().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);

  const spawn = async (name: string, cmd: string, args: string[], env?: Record<string, string>) => {
    const log = await Deno.open(join(dir, `${name}.log`), { write: true, create: true });
    const child = new Deno.Command(cmd, { args, env, stdin: "null", stdout: "piped", stderr: "piped" })
      .spawn();
    child.stdout.pipeTo(log.writable, { preventClose: true }).catch(() => {});
    child.stderr.pipeTo((await Deno.open(join(dir, `${name}.log`), { write: true, append: true })).writable)
      .catch(() => {});
    children.push(child);
    return child;
  };
  const logTail = (name: string) => async () =>
    (await Deno.readTextFile(join(dir, `${name}.log`)).catch(() => "")).split("\n").slice(-15).join("\n");

  try {
    const openssl = async (...args: string[]) => {
      const r = await run("openssl", args, { cwd: dir });
      if (r.code !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
    };
    await openssl("genrsa", "-out", "sa.key", "2048");
    await openssl("rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub");
    await openssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "kwok.key",
      "-out",
      "kwok.crt",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    );
    const token = crypto.randomUUID();
    await Deno.writeTextFile(join(dir, "tokens.csv"), `${token},admin,admin,"system:masters"\n`);

    await spawn("etcd", join(bin, "etcd"), [
      "--name",
      "default",
      "--data-dir",
      join(dir, "etcd"),
      "--unsafe-no-fsync",
      "--listen-client-urls",
      `http://127.0.0.1:${ports.etcd}`,
      "--advertise-client-urls",
      `http://127.0.0.1:${ports.etcd}`,
      "--listen-peer-urls",
      `http://127.0.0.1:${ports.peer}`,
      "--initial-advertise-peer-urls",
      `http://127.0.0.1:${ports.peer}`,
      "--initial-cluster",
      `default=http://127.0.0.1:${ports.peer}`,
    ]);
    await waitFor(
      "etcd",
      async () => (await fetch(`http://127.0.0.1:${ports.etcd}/health`)).ok,
      { timeoutMs: 20_000, details: logTail("etcd") },
    );

    await spawn("kube-apiserver", join(bin, "kube-apiserver"), [
      "--etcd-servers",
      `http://127.0.0.1:${ports.etcd}`,
      "--bind-address",
      "127.0.0.1",
      "--advertise-address",
      "127.0.0.1",
      "--secure-port",
      String(ports.api),
      "--cert-dir",
      join(dir, "pki"),
      "--token-auth-file",
      join(dir, "tokens.csv"),
      "--authorization-mode",
      "RBAC",
      "--service-account-issuer",
      "https://kubernetes.default.svc",
      "--service-account-key-file",
      join(dir, "sa.pub"),
      "--service-account-signing-key-file",
      join(dir, "sa.key"),
      "--service-cluster-ip-range",
      "10.96.0.0/16",
      "--allow-privileged",
      "--kubelet-preferred-address-types",
      "InternalIP",
      "--enable-priority-and-fairness=false",
    ]);
    const kubeconfigText = [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: fastcs-test",
      "  cluster:",
      `    server: https://127.0.0.1:${ports.api}`,
      "    insecure-skip-tls-verify: true",
      "users:",
      "- name: admin",
      "  user:",
      `    token: ${token}`,
      "contexts:",
      "- name: staging",
      "  context: {cluster: fastcs-test, user: admin, namespace: staging}",
      "- name: prod",
      "  context: {cluster: fastcs-test, user: admin, namespace: prod}",
      "current-context: staging",
      "",
    ].join("\n");
    await Deno.writeTextFile(kubeconfig, kubeconfigText);
    const kubectl = (...args: string[]) => run(kubectlBin, ["--kubeconfig", kubeconfig, ...args]);
    await waitFor(
      "kube-apiserver",
      async () => (await kubectl("get", "--raw", "/readyz")).code === 0,
      { timeoutMs: 60_000, details: logTail("kube-apiserver") },
    );

    const common = [
      "--kubeconfig",
      kubeconfig,
      "--leader-elect=false",
      "--bind-address",
      "127.0.0.1",
      "--secure-port",
      "0",
    ];
    await spawn("kube-controller-manager", join(bin, "kube-controller-manager"), [
      ...common,
      "--service-account-private-key-file",
      join(dir, "sa.key"),
      "--use-service-account-credentials=false",
      "--controllers",
      "*,-nodelifecycle,-nodeipam,-cloud-node-lifecycle",
    ]);
    await spawn("kube-scheduler", join(bin, "kube-scheduler"), common);

    const forwards = Object.entries(options.forwards ?? {}).map(([port, target]) =>
      `  - ports: [${port}]\n    target: {address: 127.0.0.1, port: ${target}}`
    );
    await Deno.writeTextFile(
      join(dir, "kwok.yaml"),
      [
        "apiVersion: kwok.x-k8s.io/v1alpha1",
        "kind: ClusterExec",
        "metadata: {name: local}",
        "spec:",
        "  execs:",
        `  - local: {workDir: ${JSON.stringify(options.execWorkDir ?? dir)}, envs: ${
          JSON.stringify(Object.entries(options.execEnv ?? {}).map(([name, value]) => ({ name, value })))
        }}`,
        ...(forwards.length
          ? [
            "---",
            "apiVersion: kwok.x-k8s.io/v1alpha1",
            "kind: ClusterPortForward",
            "metadata: {name: local}",
            "spec:",
            "  forwards:",
            ...forwards,
          ]
          : []),
        "---",
        (await Deno.readTextFile(new URL("./kwok-stages.yaml", import.meta.url))).replace(
          "  name: test-pod-ready\nspec:\n",
          `  name: test-pod-ready\nspec:\n  delay: {durationMilliseconds: ${options.podStartMs ?? 0}}\n`,
        ),
      ].join("\n"),
    );
    // kwok looks up an exec's program with its own PATH (Go's exec.Command), so the exec PATH goes first.
    const kwokEnv = options.execEnv?.PATH
      ? { PATH: `${options.execEnv.PATH}:${Deno.env.get("PATH") ?? ""}` }
      : undefined;
    kwok = await spawn("kwok", join(bin, "kwok"), [
      "--kubeconfig",
      kubeconfig,
      "--config",
      join(dir, "kwok.yaml"),
      "--manage-all-nodes=false",
      "--manage-nodes-with-annotation-selector",
      "kwok.x-k8s.io/node=fake",
      "--manage-nodes-with-label-selector=",
      "--node-ip",
      "127.0.0.1",
      "--node-port",
      String(ports.kwok),
      "--server-address",
      `127.0.0.1:${ports.kwok}`,
      "--tls-cert-file",
      join(dir, "kwok.crt"),
      "--tls-private-key-file",
      join(dir, "kwok.key"),
      "--cidr",
      "10.244.0.0/24",
    ], kwokEnv);

    const objects = [
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: staging}",
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}",
      [
        "apiVersion: v1",
        "kind: Node",
        "metadata:",
        "  name: kwok-node-0",
        "  annotations: {kwok.x-k8s.io/node: fake}",
        "  labels: {kubernetes.io/hostname: kwok-node-0, type: kwok}",
        "status:",
        "  allocatable: {cpu: '32', memory: 256Gi, pods: '110'}",
        "  capacity: {cpu: '32', memory: 256Gi, pods: '110'}",
      ].join("\n"),
      ...Array.from({ length: 6 }, (_, i) =>
        [
          "apiVersion: v1",
          "kind: PersistentVolume",
          `metadata: {name: local-pv-${i}}`,
          "spec:",
          "  capacity: {storage: 10Gi}",
          "  accessModes: [ReadWriteOnce, ReadWriteMany]",
          "  persistentVolumeReclaimPolicy: Delete",
          "  storageClassName: ''",
          `  hostPath: {path: ${join(dir, `pv-${i}`)}}`,
        ].join("\n")),
    ];
    await Deno.writeTextFile(join(dir, "objects.yaml"), objects.join("\n---\n") + "\n");
    await waitFor(
      "default namespace",
      async () => (await kubectl("get", "namespace", "default")).code === 0,
      { timeoutMs: 30_000 },
    );
    const applied = await kubectl("apply", "-f", join(dir, "objects.yaml"));
    if (applied.code !== 0) throw new Error(`kubectl apply: ${applied.stderr}`);
    await waitFor(
      "simulated node Ready",
      async () => {
        const r = await kubectl(
          "get",
          "node",
          "kwok-node-0",
          "-o",
          'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
        );
        return r.stdout.trim() === "True";
      },
      { timeoutMs: 30_000, details: logTail("kwok") },
    );
    // New nodes get the not-ready taint at admission; the node-lifecycle controller, which would lift it,
    // is left out (it evicts pods of nodes without kubelet leases), so lift it here.
    const taint = await kubectl("taint", "node", "kwok-node-0", "node.kubernetes.io/not-ready:NoSchedule-");
    if (taint.code !== 0 && !/not found/.test(taint.stderr)) {
      throw new Error(`kubectl taint: ${taint.stderr}`);
    }
    // The default service account appears once the controller manager runs; pods need it.
    await waitFor(
      "service accounts",
      async () =>
        (await kubectl("get", "serviceaccount", "default", "-n", "staging")).code === 0 &&
        (await kubectl("get", "serviceaccount", "default", "-n", "prod")).code === 0,
      { timeoutMs: 30_000, details: logTail("kube-controller-manager") },
    );
    return { kubeconfig, kubectl, stop, [Symbol.asyncDispose]: stop, pids: children.map((c) => c.pid), dir };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Whether process `pid` still runs (a zombie waiting for its reaper does not). */
function isRunning(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return false;
  }
}
