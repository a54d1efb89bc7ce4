// `helm fastcs debug` as functions: find the release's workload and pod from the cluster, inspect the
// container, start debugpy in it (launching the program, or attaching to a running Python process),
// forward its port, prove it answers DAP, hand out an attach configuration, and take everything down again.
import { HelmCommandError, type ReleaseHelm, releaseNotFound } from "../adapters/helm_release.ts";
import { describeTarget, type Kubectl } from "../adapters/kube.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { attachDebugpy } from "./attach.ts";
import { END_IN_POD_SCRIPT } from "./clean.ts";
import { probeDap } from "./dap.ts";
import { liftCommand, type LiftedProbe, liftLivenessProbe, livenessToLift } from "./liveness.ts";
import { chooseContainer, choosePod, type PodListing, podReady } from "./pods.ts";
import { type ContainerProbes, type ProbeReport, probeReport } from "./probes.ts";
import { attachConfiguration, withPathMapping } from "./launch_json.ts";
import { exitLineCode, launchCommand } from "./launcher.ts";
import { supervisedForward } from "./port_forward.ts";
import {
  chooseProcess,
  chooseWorkers,
  type ContainerReport,
  containerTree,
  INSPECT_SCRIPT,
  missingForDebug,
  type Place,
  pythonIn,
} from "./processes.ts";
import type { SessionRecord, WorkerRecord } from "./session_record.ts";
import {
  type FoundSource,
  localPackageRoot,
  type RemoteSource,
  remoteSource,
  SOURCE_SCRIPT,
} from "./source_root.ts";
import { type LaunchTarget, launchTarget, type Profile, releaseProfile } from "./values.ts";
import { chooseWorkload, findWorkloads, type Workload, workloadName } from "./workloads.ts";

/** Options of {@link prepareDebug} and {@link runDebug}. */
export interface DebugOptions {
  release: string;
  /** Key of the fastcs values when several fastcs sub-charts share the release. */
  valuesKey?: string;
  /** The workload (`KIND/NAME`) when the release has several. */
  workload?: string;
  /** Local port for the forward (default: a free one). */
  localPort?: number;
  /** The debug adapter's port in the pod (default: the fastcs chart's debugPort, else 5678). */
  remotePort?: number;
  /** Process to attach to (default: the only Python process of the container's tree). */
  pid?: number;
  /** --command: the program to launch under debugpy (a command line), in any release, instead of
   * attaching (or of the fastcs chart's command and args); the container's own processes keep running. */
  command?: string[];
  /** --all-workers: attach to every worker process of a multi-process server (one debugpy and one
   * port-forward each, on the remote port + 0, 1, …). */
  allWorkers?: boolean;
  /** How long to wait for the pod to be Ready and for debugpy to answer, in milliseconds. */
  timeoutMs: number;
  /** Local folder of the source, for the attach configuration's `localRoot` (for an installed package: its
   * `src/<package>` or `<package>` folder when it has one). */
  localRoot: string;
  /** Folder of the source in the container (default: where the program's package is, found in the
   * container: an installed package's folder in site-packages, or /workspaces/<project>; else
   * /workspaces/<local folder name> when editable; else the working folder of the process: the attached
   * one's, or the container's for a launch). */
  remoteRoot?: string;
  /** The container (--container); default: the pod's annotated default, its only one, else `fastcs`. */
  container?: string;
  /** The pod (--pod); default: the first Ready pod of the workload. */
  pod?: string;
  /** --lift-liveness-probe: `lifting` is called with the probe before the workload is patched (to record
   * it, and to restore it when the session ends); with `dryRun` nothing is patched, the patch is planned. */
  lift?: { dryRun: boolean; lifting(lifted: LiftedProbe): Promise<void> };
  /** Told what the session starts, as it starts it (the session record). */
  record?: (patch: Partial<SessionRecord>) => Promise<void>;
}

/** What a debug session is, as `-o json` prints it. */
export interface DebugFacts {
  release: string;
  namespace: string;
  kubeContext?: string;
  /** How the release is debugged: the fastcs chart's knobs, the ioc-instance chart's shape, or neither. */
  profile: Profile["name"];
  /** `KIND/NAME` of the workload whose pod is debugged. */
  workload: string;
  pod: string;
  container: string;
  mode: "launch" | "attach";
  /** The process attached to (attach mode). */
  pid?: number;
  remotePort: number;
  localPort?: number;
  /** The command started in the container. */
  command: string[];
  editable: boolean;
  /** What the container's probes do to a program paused at a breakpoint. */
  probes: ProbeReport;
  /** The liveness probe lifted from the workload for the session (--lift-liveness-probe). */
  liftedLivenessProbe?: LiftedProbe;
  attachConfiguration: Record<string, unknown>;
  /** --all-workers: each worker's session (the fields above are the first worker's). */
  workers?: WorkerFacts[];
  /** --all-workers: the VS Code compound configuration that starts every worker's configuration. */
  compound?: { name: string; configurations: string[] };
}

/** One worker of --all-workers: its process, the debugpy injected into it and the attach configuration. */
export interface WorkerFacts {
  pid: number;
  remotePort: number;
  localPort?: number;
  command: string[];
  attachConfiguration: Record<string, unknown>;
}

/** Everything found before anything is started. */
export interface DebugPlan {
  facts: DebugFacts;
  profile: Profile;
  /** Commands a real run would start, for `--dry-run`. */
  commands: string[][];
  /** Resolves once the attach configuration's pathMappings hold where the source was found in the container
   * (never rejects; the facts keep the fallback when nothing was found). */
  mapped: Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** debugpy's default port, used when the chart has no debugPort. */
const DEBUGPY_PORT = 5678;

/**
 * Reads the release (values, manifest) and its pod from the cluster, inspects the container, and decides
 * what to run: the release's workload and pod, launch or attach, the process, the path mappings. Starts
 * nothing; what would stop the session (no python, debugpy, gdb or ptrace) is diagnosed here.
 *
 * @throws FastcsError exit 5 (release not found, workload or process to choose, no command to launch), 6
 *   (pod never Ready, kubectl or helm failing, no python, debugpy or gdb in the container, ptrace refused)
 */
export async function prepareDebug(
  ctx: Context,
  helm: ReleaseHelm,
  kubectl: Kubectl,
  o: DebugOptions,
): Promise<DebugPlan> {
  for (
    const [a, b, both] of [
      ["--command", "--pid", o.command && o.pid !== undefined],
      ["--command", "--all-workers", o.command && o.allWorkers],
      ["--all-workers", "--pid", o.allWorkers && o.pid !== undefined],
    ] as const
  ) {
    if (both) {
      throw new FastcsError(`${a} and ${b} do not go together`, {
        code: "usage",
        exitCode: ExitCode.usage,
        hint: a === "--command"
          ? "--command launches a new program under debugpy; --pid and --all-workers attach to running ones."
          : "Leave --all-workers out to attach to one process.",
      });
    }
  }
  const target = helm.target;
  const where = describeTarget(target);
  let all: Record<string, unknown>;
  let manifest: string | undefined;
  try {
    [all, manifest] = await Promise.all([helm.values(o.release, true), helm.manifest(o.release)]);
  } catch (error) {
    if (!(error instanceof HelmCommandError) || !releaseNotFound(error.result)) throw error;
    manifest = undefined;
    all = {};
  }
  if (manifest === undefined) {
    throw new FastcsError(`release ${o.release} not found in ${where}`, {
      code: "debug.release",
      exitCode: ExitCode.input,
      hint:
        `helm list -n ${target.namespace} shows the releases there; pass -n or --kube-context to look elsewhere.`,
    });
  }
  const profile = releaseProfile(all, o.release, o.valuesKey);
  const fastcs = profile.name === "fastcs" ? profile.values : undefined;
  const workload = chooseWorkload(findWorkloads(manifest), {
    release: o.release,
    asked: o.workload,
    // The fastcs chart's pods carry its name label (the sub-chart's name or alias).
    prefer: fastcs && ((w) => w.podLabels["app.kubernetes.io/name"] === fastcs.nameLabel),
  });
  if (workload.namespace !== undefined && workload.namespace !== target.namespace) {
    throw new FastcsError(
      `${
        workloadName(workload)
      } of release ${o.release} is in namespace ${workload.namespace}, not ${target.namespace}`,
      { code: "debug.workload-namespace", exitCode: ExitCode.input, hint: `Pass -n ${workload.namespace}.` },
    );
  }
  let chosen = await readyPod(ctx, kubectl, o, workload, where);
  const planned: string[][] = [];
  let lifted: LiftedProbe | undefined;
  if (o.lift) {
    const toLift = chosen.spec.livenessProbe
      ? await livenessToLift(kubectl, workload, chosen.container)
      : undefined;
    if (!toLift) ctx.log.info(`container ${chosen.container} has no liveness probe to lift`);
    else if (o.lift.dryRun) planned.push(liftCommand(kubectl, toLift));
    else {
      await o.lift.lifting(toLift);
      lifted = toLift;
      ctx.log.info(
        `liveness probe of container ${chosen.container} lifted from ${lifted.workload}: waiting for its new pods (a rollout)...`,
      );
      await liftLivenessProbe(kubectl, lifted);
      // A StatefulSet's new pod keeps its name; other workloads' new pods have new names.
      const asked = workload.kind === "StatefulSet" ? o.pod : undefined;
      chosen = await readyPod(ctx, kubectl, { ...o, pod: asked }, workload, where, chosen.container);
    }
  }
  const { pod, container, spec } = chosen;
  const place = { pod, container };
  // Said up front: a paused program that fails its liveness probe is restarted, which ends the session.
  const probes = probeReport(spec, lifted !== undefined);
  ctx.log.info(probes.summary);
  const mode = o.command || (fastcs && !fastcs.autostart) ? "launch" : "attach";
  // In launch mode the inspector also finds where the program's source is (no exec of its own).
  const program = mode !== "launch"
    ? undefined
    : o.command
    ? launchTarget(o.command, [])
    : launchTarget(fastcs?.command ?? [], fastcs?.args ?? []);
  const report = await inspectContainer(
    kubectl,
    place,
    !program || o.remoteRoot !== undefined
      ? undefined
      : program.kind === "module"
      ? ["-m", program.module]
      : [program.kind === "file" ? program.file : program.script],
  );
  const remotePort = o.remotePort ?? fastcs?.debugPort ?? DEBUGPY_PORT;
  // What is missing whatever the process, then (once it is known) what blocks tracing that one.
  const missing = missingForDebug(report, { ...place, mode });
  if (missing) throw missing;
  if (o.allWorkers && mode === "launch") {
    throw new FastcsError(
      `--all-workers attaches to running workers, and release ${o.release} is launched under debugpy (autostart: false)`,
      { code: "usage", exitCode: ExitCode.usage, hint: "Leave --all-workers out." },
    );
  }
  if (o.command) {
    const own = containerTree(report.processes).find((p) => p.pid === 1);
    ctx.log.info(
      `--command: the program is launched beside the container's own processes, which keep running${
        own ? ` (PID 1: ${own.cmdline.join(" ")})` : ""
      }; ports or files they hold are still theirs`,
    );
  }
  const targets = mode === "launch" ? [] : o.allWorkers ? chooseWorkers(report, place) : [
    chooseProcess(report, {
      ...place,
      pid: o.pid,
      childOf: profile.name === "ioc-instance" ? 1 : undefined,
    }),
  ];
  for (const t of targets) {
    const refused = missingForDebug(report, { ...place, mode, target: t });
    if (refused) throw refused;
  }
  const process = targets[0];
  if (process && (o.pid === undefined)) {
    for (const t of targets) ctx.log.info(`attaching to PID ${t.pid}: ${t.cmdline.join(" ")}`);
  }
  const debugpy = ["python", "-Xfrozen_modules=off", "-m", "debugpy", "--listen", `127.0.0.1:${remotePort}`];
  let command: string[];
  if (mode === "launch") {
    if (!program) {
      throw new FastcsError(`release ${o.release}: command is empty, so the program to launch is not known`, {
        code: "debug.no-command",
        exitCode: ExitCode.input,
        hint:
          "Set command in the release's values, e.g. command: [python, -m, my_service] (or the console script's name).",
      });
    }
    command = [...debugpy, "--wait-for-client", ...await programArgs(kubectl, pod, container, program)];
  } else command = [...debugpy, "--pid", String(process!.pid)];
  const editable = fastcs?.editable ?? false;
  // The source root in the container: where the program's package is (an installed package's folder in
  // site-packages, a dev container's /workspaces/<project>), else the working folder. For a process to
  // attach to, looked up with its own interpreter while the session starts (one more exec): the attach
  // configuration waits for it, not the rest.
  const fallbackRoot = o.remoteRoot ??
    (editable
      ? `/workspaces/${o.localRoot.split("/").filter(Boolean).pop() ?? ""}`
      : (process ? process.cwd : report.self.cwd) ?? "/");
  const mapping = (
    o.remoteRoot !== undefined
      ? Promise.resolve(undefined)
      : process
      ? findSource(ctx, kubectl, place, process.pid)
      : Promise.resolve(report.source ? foundSource(ctx, place, report.source) : undefined)
  ).catch(() => undefined).then(async (source) => {
    if (!source) return;
    const localRoot = source.package ? await localPackageRoot(o.localRoot, source.package) : o.localRoot;
    ctx.log.info(`source: ${source.why}; pathMappings ${localRoot} -> ${source.remoteRoot}`);
    facts.attachConfiguration = withPathMapping(facts.attachConfiguration, localRoot, source.remoteRoot);
    for (const w of facts.workers ?? []) {
      w.attachConfiguration = withPathMapping(w.attachConfiguration, localRoot, source.remoteRoot);
    }
  });
  const workers = o.allWorkers
    ? targets.map((t, i): WorkerFacts => ({
      pid: t.pid,
      remotePort: remotePort + i,
      command: [...debugpy.slice(0, -1), `127.0.0.1:${remotePort + i}`, "--pid", String(t.pid)],
      attachConfiguration: attachConfiguration(
        o.release,
        0,
        o.localRoot,
        o.remoteRoot ?? t.cwd ?? fallbackRoot,
        `helm fastcs debug ${o.release} PID ${t.pid}`,
      ),
    }))
    : undefined;
  const facts: DebugFacts = {
    release: o.release,
    namespace: target.namespace,
    kubeContext: target.context,
    profile: profile.name,
    workload: workloadName(workload),
    pod,
    container,
    mode,
    ...(process ? { pid: process.pid } : {}),
    remotePort,
    command,
    editable,
    probes,
    ...(lifted ? { liftedLivenessProbe: lifted } : {}),
    attachConfiguration: attachConfiguration(o.release, 0, o.localRoot, fallbackRoot),
    ...(workers
      ? {
        workers,
        compound: {
          name: `helm fastcs debug ${o.release} (all workers)`,
          configurations: workers.map((w) => w.attachConfiguration.name as string),
        },
      }
      : {}),
  };
  const forward = [
    "kubectl",
    ...kubectl.flags,
    "port-forward",
    `pod/${pod}`,
    `${o.localPort ?? ""}:${remotePort}`,
  ];
  const exec = [
    "kubectl",
    ...kubectl.flags,
    "exec",
    pod,
    "-c",
    container,
    "--",
    ...(mode === "launch" ? launchCommand(command) : command),
  ];
  const perWorker = (workers ?? []).flatMap((w, i) => [
    [
      "kubectl",
      ...kubectl.flags,
      "port-forward",
      `pod/${pod}`,
      `${o.localPort !== undefined ? o.localPort + i : ""}:${w.remotePort}`,
    ],
    ["kubectl", ...kubectl.flags, "exec", pod, "-c", container, "--", ...w.command],
  ]);
  return {
    facts,
    profile,
    commands: [
      ...planned,
      ...(workers ? perWorker : mode === "launch" ? [exec, forward] : [forward, exec]),
    ],
    mapped: mapping,
  };
}

/**
 * Runs {@link INSPECT_SCRIPT} with the container's `python` and parses its report; with `sourceArgs` (a
 * command line to launch, after its interpreter) the report says where its source is.
 *
 * @throws FastcsError (exit code 6) when the container has no python on PATH, or the inspection fails
 */
async function inspectContainer(
  kubectl: Kubectl,
  place: Place,
  sourceArgs?: string[],
): Promise<ContainerReport> {
  const r = await pythonIn(
    kubectl,
    place,
    INSPECT_SCRIPT,
    ...(sourceArgs ? [JSON.stringify(sourceArgs)] : []),
  );
  const where = `container ${place.container} of pod ${place.pod}`;
  if (r.code === 0) {
    try {
      return JSON.parse(r.stdout) as ContainerReport;
    } catch { /* reported below */ }
  }
  const noPython = /executable file not found|no such file or directory|exit code 127/i.test(r.stderr);
  throw new FastcsError(
    noPython
      ? `there is no python on PATH in ${where}`
      : `cannot inspect the processes of ${where}: ${
        (r.stderr.trim() || r.stdout.trim()).split("\n").at(-1)
      }`,
    {
      code: noPython ? "debug.no-python" : "debug.inspect",
      exitCode: ExitCode.environment,
      hint: noPython
        ? "debug needs the image's Python on PATH as python (put the virtual environment's bin folder on PATH, " +
          "or link python to python3); is this the container of the program (--container)?"
        : "The container needs Python 3.6+ and /proc; check kubectl exec into it works.",
    },
  );
}

/**
 * Waits for the pod to debug (--pod, else the first Ready one) among the workload's pods and chooses its
 * container; says which when there was a choice. With `withoutLiveness` (a container's name), only pods
 * whose container of that name has no liveness probe count (the new pods of a lifted probe's rollout).
 */
async function readyPod(
  ctx: Context,
  kubectl: Kubectl,
  o: DebugOptions,
  workload: Workload,
  where: string,
  withoutLiveness?: string,
): Promise<{ pod: string; container: string; spec: ContainerProbes }> {
  const selector = workload.selector;
  const name = workloadName(workload);
  const deadline = Date.now() + o.timeoutMs;
  let told = false;
  while (true) {
    const { data, error } = await kubectl.getJson(["pods", "-l", selector]);
    if (error) {
      throw new FastcsError(
        `cannot list the pods of ${name} (release ${o.release}) in ${where}: ${error.stderr.trim()}`,
        {
          code: "debug.kubectl",
          exitCode: ExitCode.environment,
          hint: error.code === 127
            ? "Install kubectl (it must be on PATH)."
            : "Check the kube context and your access to it.",
        },
      );
    }
    const pods = ((data?.items ?? []) as PodListing[]).filter((p) =>
      !p.spec.containers.some((c) => c.name === withoutLiveness && c.livenessProbe)
    );
    const pod = choosePod(pods, o.pod, o.release);
    const container = pod ? chooseContainer(pod, o.container, o.release) : undefined;
    if (pod && container && podReady(pod)) {
      const live = pods.filter((p) => !p.metadata.deletionTimestamp);
      if (live.length > 1 && o.pod === undefined) {
        ctx.log.info(
          `pod ${pod.metadata.name}: the first Ready of ${live.length} pods of ${name} (--pod to choose)`,
        );
      }
      return {
        pod: pod.metadata.name,
        container,
        spec: pod.spec.containers.find((c) => c.name === container) ?? {},
      };
    }
    if (Date.now() > deadline) {
      throw new FastcsError(
        pod
          ? `pod ${pod.metadata.name} of release ${o.release} did not become Ready within ${
            o.timeoutMs / 1000
          } s`
          : `no pod of ${name} (labels ${selector})${o.pod ? ` named ${o.pod}` : ""} in ${where} within ${
            o.timeoutMs / 1000
          } s`,
        {
          code: "debug.pod",
          exitCode: ExitCode.environment,
          hint: pod
            ? `kubectl describe pod ${pod.metadata.name} -n ... shows why; --timeout waits longer.`
            : "Is the release installed with pods running (helm status)? A Job's pods may be gone once it completed.",
        },
      );
    }
    if (!told) {
      ctx.log.info(
        pod
          ? `waiting for pod ${pod.metadata.name} to be Ready...`
          : `waiting for a pod of ${name} (labels ${selector})${
            withoutLiveness ? " without the liveness probe" : ""
          }...`,
      );
      told = true;
    }
    await sleep(500);
  }
}

async function programArgs(
  kubectl: Kubectl,
  pod: string,
  container: string,
  program: LaunchTarget,
): Promise<string[]> {
  if (program.kind === "module") return ["-m", program.module, ...program.args];
  if (program.kind === "file") return [program.file, ...program.args];
  // A console script's file is a wrapper around `module:function`: launching that under debugpy directly
  // needs the entry point, read from the container's installed distributions (not guessed from the name).
  const find =
    "import importlib.metadata as m, sys; e = [x for x in m.entry_points(group='console_scripts') if x.name == sys.argv[1]]; print(e[0].value if e else '')";
  const r = await pythonIn(kubectl, { pod, container }, find, program.script);
  const entry = r.stdout.trim();
  if (r.code !== 0 || !/^[\w.]+:[\w.]+$/.test(entry)) {
    throw new FastcsError(
      r.code !== 0
        ? `cannot run python in container ${container} of pod ${pod}: ${r.stderr.trim()}`
        : `${program.script} is not a Python console script in container ${container} of pod ${pod}`,
      {
        code: "debug.program",
        exitCode: r.code !== 0 ? ExitCode.environment : ExitCode.input,
        hint:
          "Set command to [python, -m, <module>] in the release's values, or use an image with the program installed.",
      },
    );
  }
  const [module, func] = entry.split(":");
  const code = `import sys; sys.argv[0] = ${JSON.stringify(program.script)}; from ${module} import ${
    func.split(".")[0]
  } as _entry; sys.exit(_entry${func.includes(".") ? "." + func.split(".").slice(1).join(".") : ""}())`;
  return ["-c", code, ...program.args];
}

/**
 * Runs {@link SOURCE_SCRIPT} in the container for process `pid`, and turns what it found into the remote
 * source root.
 */
async function findSource(
  ctx: Context,
  kubectl: Kubectl,
  place: Place,
  pid: number,
): Promise<RemoteSource | undefined> {
  const r = await pythonIn(kubectl, place, SOURCE_SCRIPT, String(pid));
  let found: FoundSource | undefined;
  try {
    found = r.code === 0 ? JSON.parse(r.stdout) as FoundSource : undefined;
  } catch { /* said below */ }
  return foundSource(
    ctx,
    place,
    found ?? { module: null, path: null, error: r.stderr.trim() || r.stdout.trim() },
  );
}

/** The remote source root of what was found; nothing found (a package beside the working folder, an
 * interpreter that failed): undefined, said under --debug. */
function foundSource(ctx: Context, place: Place, found: FoundSource): RemoteSource | undefined {
  if (found.error) {
    ctx.log.debug(
      `where the program's source is in container ${place.container} of pod ${place.pod} is not known: ${found.error}`,
    );
  }
  return remoteSource(found);
}

/** A running session: call `stop()` to take it all down. */
export interface RunningDebug {
  facts: DebugFacts;
  /** Resolves when the session ends by itself (launch mode: the program ended), with its exit code. */
  ended: Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts the session of a plan: debugpy in the container, a supervised port-forward, and a DAP probe.
 *
 * @throws FastcsError (exit code 6) when debugpy does not answer within the timeout, when attaching is
 *   impossible, or when the port-forward fails; everything started is stopped before it throws.
 */
export async function runDebug(
  ctx: Context,
  kubectl: Kubectl,
  plan: DebugPlan,
  o: DebugOptions,
): Promise<RunningDebug> {
  const { facts } = plan;
  const stoppers: (() => Promise<void>)[] = [];
  let active = true;
  // Until debugpy answers, the readiness probes themselves end kubectl's forward (one refused
  // connection ends it): those re-opens are expected and not worth a warning.
  let ready = false;
  const stop = async () => {
    active = false;
    for (const s of stoppers.reverse()) await s().catch(() => {});
  };
  try {
    let ended: Promise<number> = new Promise(() => {});
    const record = o.record ?? (() => Promise.resolve());
    await record({ pod: facts.pod, container: facts.container, remotePort: facts.remotePort });
    if (facts.mode === "launch") {
      // The wrapper (src/debug/launcher.ts) ends the exec when the program ends and says its exit code.
      const args = ["exec", facts.pod, "-c", facts.container, "--", ...launchCommand(facts.command)];
      const exec = kubectl.start(args);
      await record({
        exec: { pid: exec.pid, argv: kubectl.commandLine(args) },
        debugpy: { argv: facts.command },
      });
      stoppers.push(() => exec.stop());
      stoppers.push(() => killRemoteDebugpy(kubectl, facts));
      let said: number | undefined;
      const drained = (async () => {
        for await (const { line } of exec.lines) {
          const code = exitLineCode(line);
          if (code === undefined) ctx.log.info(line);
          else said = code;
        }
      })();
      // Without the wrapper's line (it was killed, the pod went away), kubectl's own exit code.
      ended = Promise.all([exec.exited, drained]).then(([code]) => said ?? code);
    }
    const forward = await supervisedForward(ctx, kubectl, {
      pod: facts.pod,
      remotePort: facts.remotePort,
      localPort: o.localPort,
      active: () => active,
      ready: () => ready,
      started: (pid, argv, localPort) => record({ portForward: { pid, argv }, localPort }),
    });
    stoppers.push(forward.stop);
    facts.localPort = forward.port;
    if (facts.mode === "attach") {
      await attachDebugpy(ctx, kubectl, facts, {
        pid: facts.pid!,
        remotePort: facts.remotePort,
        debugpy: facts.command,
      });
    }
    const deadline = Date.now() + o.timeoutMs;
    while (!(await probeDap(forward.port, 1500))) {
      if (Date.now() > deadline) {
        throw new FastcsError(
          `debugpy did not answer on port ${facts.remotePort} of pod ${facts.pod} within ${
            o.timeoutMs / 1000
          } s`,
          {
            code: "debug.not-listening",
            exitCode: ExitCode.environment,
            hint:
              `Is debugpy installed in container ${facts.container} (pip install debugpy)? Its output is above.`,
          },
        );
      }
      const done = await Promise.race([ended.then((c) => c), sleep(300).then(() => undefined)]);
      if (done !== undefined) {
        throw new FastcsError(
          `the program under debugpy in pod ${facts.pod} ended (exit code ${done}) before a debugger could attach`,
          {
            code: "debug.exited",
            exitCode: ExitCode.environment,
            hint: "Its output is above: a missing module, python or debugpy?",
          },
        );
      }
    }
    ready = true;
    if (facts.mode === "launch") {
      // The launched debugpy's PID in the pod, for the record (clean then ends exactly that process); in the
      // background: it is not needed to attach.
      pythonIn(kubectl, facts, END_IN_POD_SCRIPT, JSON.stringify(facts.command), "0", "find").then(
        async (r) => {
          const found = r.code === 0 ? JSON.parse(r.stdout.trim() || "[]") as number[] : [];
          if (found.length === 1 && active) await record({ debugpy: { argv: facts.command, pid: found[0] } });
        },
      ).catch(() => {});
    }
    await plan.mapped;
    facts.attachConfiguration = {
      ...facts.attachConfiguration,
      connect: { host: "127.0.0.1", port: forward.port },
    };
    return { facts, ended, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Starts one session per worker of the plan (--all-workers), side by side: debugpy injected into each, each
 * with its own port-forward (local ports `o.localPort` + 0, 1, … or free ones), each recorded under the
 * record's `workers`. Returns when all answer DAP, with each worker's local port and attach configuration.
 *
 * @throws FastcsError as {@link runDebug} does, for the first worker that failed; the others are stopped.
 */
export async function runDebugWorkers(
  ctx: Context,
  kubectl: Kubectl,
  plan: DebugPlan,
  o: DebugOptions,
): Promise<RunningDebug> {
  const { facts } = plan;
  const workers = facts.workers ?? [];
  await plan.mapped;
  const recorded: WorkerRecord[] = workers.map((w) => ({ pid: w.pid, remotePort: w.remotePort }));
  const started = await Promise.allSettled(workers.map((w, i) =>
    runDebug(ctx, kubectl, {
      ...plan,
      facts: {
        ...facts,
        pid: w.pid,
        remotePort: w.remotePort,
        command: w.command,
        attachConfiguration: w.attachConfiguration,
        workers: undefined,
        compound: undefined,
      },
    }, {
      ...o,
      localPort: o.localPort !== undefined ? o.localPort + i : undefined,
      record: (patch) => {
        const { portForward, localPort, remotePort: _, ...rest } = patch;
        if (portForward) recorded[i].portForward = portForward;
        if (localPort !== undefined) recorded[i].localPort = localPort;
        return o.record?.({ ...rest, workers: recorded.map((r) => ({ ...r })) }) ?? Promise.resolve();
      },
    })
  ));
  const running = started.flatMap((r) => r.status === "fulfilled" ? [r.value] : []);
  const stop = async () => {
    await Promise.all(running.map((r) => r.stop()));
  };
  const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await stop();
    throw failed.reason;
  }
  running.forEach((r, i) => {
    workers[i].localPort = r.facts.localPort;
    workers[i].attachConfiguration = r.facts.attachConfiguration;
  });
  facts.localPort = workers[0].localPort;
  facts.attachConfiguration = workers[0].attachConfiguration;
  return { facts, ended: new Promise(() => {}), stop };
}

/** Ends the launched debugpy in the container too (stopping kubectl exec does not always end it): the
 * launch wrapper and the program under debugpy, by their command line; waits up to 5 s for them to end (the
 * wrapper then ends what still holds its output, debugpy's adapter), then SIGKILLs what is left. */
async function killRemoteDebugpy(kubectl: Kubectl, facts: DebugFacts) {
  const marker = `127.0.0.1:${facts.remotePort}`;
  const script = `import os, signal, sys, time
def find():
    found = []
    for p in os.listdir('/proc'):
        if p.isdigit() and int(p) != os.getpid():
            try:
                c = open('/proc/' + p + '/cmdline', 'rb').read().split(b'\\0')
                zombie = open('/proc/' + p + '/stat', 'rb').read().rsplit(b')', 1)[1].split()[0] == b'Z'
            except (OSError, IndexError):
                continue
            if b'debugpy' in c and sys.argv[1].encode() in c and not zombie:
                found.append(int(p))
    return found
for sig in (signal.SIGTERM, None, signal.SIGKILL):
    for p in find() if sig else ():
        try:
            os.kill(p, sig)
        except OSError:
            pass
    for _ in range(50 if sig is None else 0):
        if not find():
            break
        time.sleep(0.1)`;
  await pythonIn(kubectl, facts, script, marker);
}
