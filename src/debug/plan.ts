// Everything `helm fastcs debug` decides before it starts anything: the release's workload and pod (from the
// cluster), the container's processes and what debugging needs there, launch or attach, the process, the
// debugpy command line, the path mappings, and the commands a real run would start (for --dry-run).
import { HelmCommandError, type ReleaseHelm, releaseNotFound } from "../adapters/helm_release.ts";
import { describeTarget, type Kubectl } from "../adapters/kube.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { attachConfiguration, withPathMapping } from "./launch_json.ts";
import { programArgs } from "./launch.ts";
import { launchCommand } from "./launcher.ts";
import { liftCommand, type LiftedProbe, liftLivenessProbe, livenessToLift } from "./liveness.ts";
import { probeReport } from "./probes.ts";
import {
  chooseProcess,
  chooseWorkers,
  containerTree,
  inspectContainer,
  missingForDebug,
  type Place,
  pythonIn,
} from "./processes.ts";
import { readyPod } from "./ready_pod.ts";
import type { DebugFacts, DebugOptions, DebugPlan, WorkerFacts } from "./session.ts";
import {
  type FoundSource,
  localPackageRoot,
  type RemoteSource,
  remoteSource,
  SOURCE_SCRIPT,
} from "./source_root.ts";
import { launchTarget, releaseProfile } from "./values.ts";
import { chooseWorkload, findWorkloads, workloadName } from "./workloads.ts";

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
  // Known from the values: refused before a pod is waited for, a probe lifted or a container inspected.
  if (o.allWorkers && fastcs && !fastcs.autostart) {
    throw new FastcsError(
      `--all-workers attaches to running workers, and release ${o.release} is launched under debugpy (autostart: false)`,
      { code: "usage", exitCode: ExitCode.usage, hint: "Leave --all-workers out." },
    );
  }
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
    // `-c CODE` names no file or package: the source root is the working folder then.
    !program || o.remoteRoot !== undefined || program.kind === "code"
      ? undefined
      : program.kind === "module"
      ? ["-m", program.module]
      : [program.kind === "file" ? program.file : program.script],
  );
  const remotePort = o.remotePort ?? fastcs?.debugPort ?? DEBUGPY_PORT;
  // What is missing whatever the process, then (once it is known) what blocks tracing that one.
  const missing = missingForDebug(report, { ...place, mode });
  if (missing) throw missing;
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
  const fallbackRoot = fallbackSourceRoot(o, editable, process ? process.cwd : report.self.cwd);
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
        fallbackSourceRoot(o, editable, t.cwd),
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

/**
 * The source root in the container for an attach configuration, until (unless) the process's own package is
 * found: `--remote-root`, else for an editable release the dev container's `/workspaces/<last folder of the
 * local root>`, else the process's working folder `cwd`, else `/`. The same rule for one process and for
 * each worker of `--all-workers`.
 */
export function fallbackSourceRoot(
  o: { remoteRoot?: string; localRoot: string },
  editable: boolean,
  cwd: string | null | undefined,
): string {
  if (o.remoteRoot !== undefined) return o.remoteRoot;
  if (editable) return `/workspaces/${o.localRoot.split("/").filter(Boolean).pop() ?? ""}`;
  return cwd ?? "/";
}
