// `helm fastcs promote SOURCE TARGET` in cluster mode, as plain functions: read what runs in the source
// environment, fetch exactly that chart, compute the target's values (its own values files plus the
// promoted keys), diff against what runs in the target, then apply with rollback on failure and record
// where it came from.
import { join } from "node:path";
import type { ReleaseHelm } from "../adapters/helm_release.ts";
import type { Kubectl } from "../adapters/kube.ts";
import type { Helm, RegistryTransport } from "../adapters/helm.ts";
import { type Cosign, type CosignFailure, digestReference } from "../adapters/cosign.ts";
import { finalHelmError } from "../adapters/helm.ts";
import { parseDocument, stringifyYaml } from "../deps/yaml.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode, type ExitCodeValue, FastcsError } from "../runtime/errors.ts";
import { chartContentDigest } from "../chart/content_digest.ts";
import { diffManifests, type ManifestDiff } from "./diff.ts";
import { type Environment, type PromoteConfig, releaseOf, serviceOf } from "./config.ts";
import { leafPaths, pickPromoted } from "./values.ts";
import { lastLine } from "../runtime/runner.ts";
import type { S3Connections } from "../publish/s3_target.ts";
import { fetchChart, parseChartSource } from "./chart_source.ts";
import { chartUsesLookup, valuesCallLookup } from "../chart/lookup.ts";

/** Prefix of the description of every revision a promotion made (`helm history` shows it). */
export const PROMOTED_PREFIX = "promoted from ";

/** What promoting one release will do. */
export interface ReleasePlan {
  service: string;
  source: {
    env: string;
    release: string;
    revision: number;
    chart: string;
    version: string;
    appVersion?: string;
  };
  target: { env: string; release: string; namespace: string; kubeContext?: string; revision?: number };
  /** `install`: the target release does not exist yet (a first install); `upgrade`: it runs `target.revision`. */
  action: "install" | "upgrade";
  /** The pulled chart package and its content digest. */
  chartFile: string;
  contentDigest: string;
  /** The OCI manifest digest of the pulled chart, as Helm reported it. */
  digest?: string;
  /** `--cosign-verify`: the public key a cosign signature of `digest` verified with. */
  verifiedWith?: string;
  /** Dotted keys promoted from the source, and their values file. */
  promotedKeys: string[];
  valuesFiles: string[];
  diff: ManifestDiff;
  /** The chart has `helm test` hooks. */
  hasTests: boolean;
  /** A first install into a namespace that does not exist yet: Helm creates it (`--create-namespace`). */
  createNamespace?: boolean;
  /** The chart (or a value `tpl` renders) calls `lookup`: both renders ran server-side (`helm template
   * --dry-run=server`), the identity check against the source's cluster, the diff against the target's. */
  serverSideRender: boolean;
}

/** Options of {@link planPromotion}. */
export interface PlanOptions {
  /** The source releases to promote, in order, as `chooseReleases` (scope.ts) found them. */
  releases: string[];
  /** Promote a source release that is not deployed or whose last test failed. */
  force: boolean;
  showSecrets: boolean;
  transport: RegistryTransport;
  /** `--cosign-verify`: promote only charts whose pulled digest carries a cosign signature of this key. */
  verify?: SignatureCheck;
}

/** How a pulled chart's signature is checked (`promote --cosign-verify KEY [--cosign-tlog=false]`). */
export interface SignatureCheck {
  /** A cosign public key file (absolute) or KMS URI. */
  publicKey: string;
  /** Ask the transparency log for an inclusion proof, as cosign does (false: signed with no upload). */
  tlog: boolean;
  /** The key as the user named it, for messages. */
  shown: string;
}

interface Step {
  ctx: Context;
  helm: Helm;
  /** cosign, with Helm's registry credentials; needed with {@link PlanOptions.verify}. */
  cosign?: Cosign;
  config: PromoteConfig;
  scratch: string;
  /** The run's S3 repositories (opened only for an `s3://` chart repository). */
  s3: S3Connections;
}

/**
 * Plans the promotion of every chosen release of `source` to `target`. Changes nothing.
 *
 * A chart whose templates call `lookup` (itself or a sub-chart) is rendered server-side
 * (`helm template --dry-run=server`): against the source's kube context and namespace for the identity check,
 * against the target's for the diff, so each lookup finds that environment's objects.
 *
 * @throws FastcsError exit 5 (a release name that does not fit the pattern, chart source not configured,
 *   unreadable public key), 6
 *   (cosign missing, the transparency log unreachable; a pulled package that is damaged or over Helm's size
 *   limits; a server-side render whose lookup the cluster
 *   refused, or, Helm 4, that found an object the release does not own), 8 (a source release not deployed,
 *   its last test failed, the registry's chart renders differently from what runs, or renders differently
 *   each time (a random value no lookup keeps); with `verify`, a pulled digest without a valid signature of
 *   the key, which `force` does not override), 9 (the chart version is not in the registry any more, or the
 *   registry cannot be reached)
 */
export async function planPromotion(
  step: Step,
  source: { env: Environment; helm: ReleaseHelm },
  target: { env: Environment; helm: ReleaseHelm },
  o: PlanOptions,
): Promise<ReleasePlan[]> {
  const { config } = step;
  if (!config.chartRepository) {
    throw new FastcsError("the project file names no chart repository to promote charts from", {
      code: "promote.chart-source",
      exitCode: ExitCode.input,
      hint:
        "Add promote.chartRepository to the project file: where helm fastcs publish puts the charts (oci://<registry>/<path>, https://<host>/<path> or s3://<bucket>/<prefix>).",
    });
  }
  const chartSource = parseChartSource(config.chartRepository, step.ctx.display(config.file));
  if (o.verify && chartSource.kind !== "oci") {
    throw new FastcsError(
      `--cosign-verify checks signatures in OCI registries, and the charts come from ${chartSource.reference}`,
      {
        code: "promote.cosign-source",
        exitCode: ExitCode.usage,
        hint:
          "Charts in classic and S3 repositories are signed with .prov files (publish --sign); leave out --cosign-verify, or promote from an oci:// repository.",
      },
    );
  }
  const names = o.releases;
  const plans: ReleasePlan[] = [];
  const refusals: string[] = [];
  /** Refusals because a chart renders differently each time (not the source's fault). */
  const unreproducible: string[] = [];
  const unsigned: string[] = [];
  for (const name of names) {
    const service = serviceOf(source.env, name);
    if (service === undefined) {
      throw new FastcsError(
        `release ${name} does not fit the release names of ${source.env.name} (${source.env.release})`,
        { code: "promote.release", exitCode: ExitCode.input },
      );
    }
    const targetRelease = releaseOf(target.env, service);
    // Independent queries run together: each helm start costs more than the query itself.
    const [meta, status, runningManifest, allValues, userValues, current, targetStatus] = await Promise.all([
      source.helm.metadata(name),
      source.helm.status(name),
      source.helm.manifest(name),
      source.helm.values(name, true),
      source.helm.values(name),
      target.helm.manifest(targetRelease),
      target.helm.status(targetRelease),
    ]);
    if (meta.status !== "deployed") {
      refusals.push(`${name} in ${source.env.name} is ${meta.status}, not deployed`);
    }
    const failedTests =
      ((status?.hooks ?? []) as { name: string; events?: string[]; last_run?: { phase?: string } }[])
        .filter((h) => h.events?.includes("test") && h.last_run?.phase === "Failed").map((h) => h.name);
    if (failedTests.length > 0) {
      refusals.push(`${name} in ${source.env.name}: its last helm test failed (${failedTests.join(", ")})`);
    }
    for (const f of target.env.values) {
      try {
        await Deno.stat(f);
      } catch {
        throw new FastcsError(`values file ${f} of environment ${target.env.name} does not exist`, {
          code: "promote.values",
          exitCode: ExitCode.input,
        });
      }
    }
    const { path: chartFile, digest } = await fetchChart(
      step.helm,
      step.s3,
      chartSource,
      meta.chart,
      meta.version,
      await Deno.makeTempDir({ dir: step.scratch, prefix: "chart-" }),
      o.transport,
    );
    if (o.verify) {
      const problem = await checkSignature(step, meta.chart, meta.version, digest, o.verify, o.transport);
      if (problem) unsigned.push(problem);
    }
    const sourceValues = join(step.scratch, `${name}-source-values.yaml`);
    await Deno.writeTextFile(sourceValues, helmYaml(allValues));
    const promoted = pickPromoted(userValues, config.keys);
    const promotedFile = join(step.scratch, `${name}-promoted.yaml`);
    await Deno.writeTextFile(promotedFile, helmYaml(promoted));
    const valuesFiles = [...target.env.values, promotedFile];
    // A chart whose templates look up live objects renders what runs only against the cluster it runs in:
    // the source's for the identity check, the target's for the diff. So does one whose values hold a lookup
    // that `tpl` renders (the source's values, the target's files: the promoted keys come from the source's).
    const server = await chartUsesLookup(chartFile).catch((error) => {
      // Helm refuses such a package too (a damaged archive, one over its size limits): say which, here.
      throw new FastcsError(
        `cannot read chart ${meta.chart} ${meta.version} pulled from ${chartSource.reference}: ${
          error instanceof Error ? error.message : error
        }`,
        {
          code: "promote.template",
          exitCode: ExitCode.environment,
          hint: "Helm cannot load it either (helm template fails on it): publish the chart again.",
        },
      );
    }) || valuesCallLookup(allValues) || await targetValuesCallLookup(target.env.values);
    const render = (side: "source" | "target") =>
      side === "source"
        ? source.helm.template(name, chartFile, [sourceValues], { server })
        : target.helm.template(targetRelease, chartFile, valuesFiles, { server });
    const [rendered, next] = await Promise.all([render("source"), render("target")]);
    if (rendered.code !== 0) {
      throw renderError(rendered, server, source.env, `helm template of ${meta.chart} ${meta.version}`, {
        code: "promote.template",
        exitCode: ExitCode.environment,
      });
    }
    // The chart in the registry must be what runs in the source: rendered with the source's values it
    // gives the source's manifest.
    const drift = await diffManifests(runningManifest ?? "", stripHooks(rendered.stdout));
    if (drift.changes.length > 0) {
      // Resources that differ between two renders of the same chart with the same values (a random value
      // or the time that no lookup keeps) tell nothing about the artifact: they get a refusal of their own.
      const again = await render("source");
      const unstable = again.code === 0
        ? new Set((await diffManifests(rendered.stdout, again.stdout)).changes.map((c) => c.resource))
        : new Set<string>();
      const differ = (changes: typeof drift.changes) => changes.map((c) => c.resource).join(", ");
      const changed = drift.changes.filter((c) => !unstable.has(c.resource));
      const random = drift.changes.filter((c) => unstable.has(c.resource));
      if (changed.length > 0) {
        refusals.push(
          `${name}: chart ${meta.chart} ${meta.version} in ${config.chartRepository} does not render what runs in ${source.env.name} (${
            differ(changed)
          } differ): the registry's artifact is not the verified one`,
        );
      }
      if (random.length > 0) {
        unreproducible.push(
          `${name}: chart ${meta.chart} ${meta.version} renders ${
            differ(random)
          } differently each time (a random value such as randAlphaNum, or the time, that no lookup of the existing object keeps), so what runs in ${source.env.name} cannot be checked against it`,
        );
      }
    }
    if (next.code !== 0) {
      throw renderError(next, server, target.env, `rendering ${targetRelease} for ${target.env.name}`, {
        code: "promote.template",
        exitCode: ExitCode.input,
        hint: "The target's values do not fit the chart (see Helm's message).",
      });
    }
    plans.push({
      service,
      source: {
        env: source.env.name,
        release: name,
        revision: meta.revision,
        chart: meta.chart,
        version: meta.version,
        appVersion: meta.appVersion,
      },
      target: {
        env: target.env.name,
        release: targetRelease,
        namespace: target.env.namespace,
        kubeContext: target.env.kubeContext,
        revision: targetStatus ? Number(targetStatus.version) : undefined,
      },
      action: targetStatus ? "upgrade" : "install",
      chartFile,
      contentDigest: await chartContentDigest(chartFile),
      digest,
      verifiedWith: o.verify?.shown,
      promotedKeys: leafPaths(promoted),
      valuesFiles,
      diff: await diffManifests(current ?? "", stripHooks(next.stdout), o.showSecrets, {
        before: targetStatus ? "running" : "not installed",
      }),
      hasTests: /helm\.sh\/hook"?:\s*"?test/.test(next.stdout),
      serverSideRender: server,
    });
  }
  // An artifact nobody signed is not promoted, --force or not: without --cosign-verify nothing is asked.
  if (unsigned.length > 0) {
    throw new FastcsError(
      `promotion from ${source.env.name} refused: ${unsigned.length} chart(s) carry no valid cosign signature of ${
        o.verify!.shown
      }`,
      {
        code: "promote.signature",
        exitCode: ExitCode.refused,
        details: unsigned,
        hint:
          "Promote only what the release process signed: publish it with helm fastcs publish --cosign-key (the matching private key), or check that --cosign-verify names the right public key. Nothing was changed.",
      },
    );
  }
  if (refusals.length + unreproducible.length > 0 && !o.force) {
    const hints = [
      ...(refusals.length > 0 ? ["Fix the source environment first."] : []),
      ...(unreproducible.length > 0
        ? [
          "A chart that generates a value should keep it with a lookup of the existing object (as bitnami's charts do for passwords), which promote resolves against each environment's cluster.",
        ]
        : []),
    ];
    throw new FastcsError(
      `promotion from ${source.env.name} refused: what runs there ${
        refusals.length > 0 ? "is not verified" : "cannot be verified"
      }`,
      {
        code: "promote.unverified",
        exitCode: ExitCode.refused,
        details: [...refusals, ...unreproducible],
        hint: `${hints.join(" ")} --force promotes anyway.`,
      },
    );
  }
  return plans;
}

/** Values as a YAML file for Helm, which reads YAML 1.1: strings such as `yes` or `on` get quoted. */
function helmYaml(values: unknown): string {
  return stringifyYaml(values, { version: "1.1" });
}

/** Where an environment's releases live, for messages: `namespace N, kube context C`. */
function where(env: Environment): string {
  return `namespace ${env.namespace}, kube context ${env.kubeContext ?? "current"}`;
}

/**
 * The error of a failed render. A server-side render (the chart calls `lookup`) that failed in a lookup or
 * could not reach the API server, or (Helm 4) found an object that exists without belonging to the release,
 * is the environment's problem (exit 6): the message names the kube context and namespace, the hint the RBAC
 * it needs or the object's ownership. Any other failure is `otherwise` with Helm's message.
 */
function renderError(
  r: { stderr: string },
  server: boolean,
  env: Environment,
  what: string,
  otherwise: { code: string; exitCode: ExitCodeValue; hint?: string },
): FastcsError {
  const reason = (finalHelmError(r.stderr).split("\n")[0].trim() || lastLine(r.stderr)).replace(
    /^Error: /,
    "",
  );
  const inCluster = (code: string, hint: string) =>
    new FastcsError(`${what} against ${where(env)} failed: ${reason}`, {
      code,
      exitCode: ExitCode.environment,
      hint,
    });
  if (
    server &&
    /error calling lookup|cluster reachability check failed|kubernetes cluster unreachable/.test(r.stderr)
  ) {
    return inCluster(
      "promote.lookup",
      `The chart's templates call lookup, so promote renders them against each environment's cluster (helm template --dry-run=server): your user needs RBAC to get (and list) the objects they look up in the source's and in the target's namespace, here ${
        where(env)
      }.`,
    );
  }
  // Helm 4's server-side render also checks the rendered objects as an install would: one that exists
  // without belonging to the release would make the upgrade fail the same way.
  if (server && /unable to continue with install|exists and cannot be imported/.test(r.stderr)) {
    return inCluster(
      "promote.ownership",
      "An object the chart renders already exists there and belongs to no release or to another one (Helm's meta.helm.sh/release-name annotation): an upgrade would fail on it too. Remove it, or let the release adopt it (Helm's ownership labels and annotations).",
    );
  }
  return new FastcsError(`${what} failed: ${r.stderr.trim()}`, otherwise);
}

/** True when a string of one of the values files `files` calls `lookup` (see {@link valuesCallLookup}); a
 * file that cannot be read or parsed counts as none (Helm's render says what is wrong with it). */
async function targetValuesCallLookup(files: string[]): Promise<boolean> {
  for (const file of files) {
    try {
      if (valuesCallLookup(parseDocument(await Deno.readTextFile(file)).toJS())) return true;
    } catch { /* Helm reports it */ }
  }
  return false;
}

/** `helm template` prints hooks (tests) too; `helm get manifest` does not. */
function stripHooks(manifest: string): string {
  return manifest.split(/^---$/m).filter((doc) => !/helm\.sh\/hook/.test(doc)).join("---");
}

/**
 * Verifies the cosign signature of the digest Helm pulled (the bytes that will be installed) with the
 * public key of `check`.
 *
 * @returns undefined when a signature verifies, else why not (unsigned, signed with another key), naming
 *   the chart, its digest and the key
 * @throws FastcsError when the signature cannot be checked: exit 5 (the key cannot be read), 6 (cosign
 *   missing, the transparency log unreachable), 9 (the registry cannot be reached or refused cosign)
 */
async function checkSignature(
  step: Step,
  chart: string,
  version: string,
  digest: string | undefined,
  check: SignatureCheck,
  transport: RegistryTransport,
): Promise<string | undefined> {
  const base = step.config.chartRepository!;
  if (!digest) {
    return `${chart} ${version} (${base}/${chart}): Helm reported no manifest digest for it, so no signature can be checked`;
  }
  const reference = digestReference(base, chart, digest);
  const r = await step.cosign!.verify(reference, check.publicKey, { transport, tlog: check.tlog });
  if (!r.failure) return undefined;
  const what = `${chart} ${version} (${reference})`;
  switch (r.failure) {
    case "no signature":
      return `${what}: not signed (no cosign signature at all)`;
    case "bad signature":
      return `${what}: signed, but by no signature that ${check.shown} verifies (${r.reason})`;
  }
  const hints: Partial<Record<CosignFailure, [ExitCodeValue, string]>> = {
    "bad key": [ExitCode.input, "--cosign-verify takes a cosign public key (cosign.pub) or a KMS URI."],
    "tlog unreachable": [
      ExitCode.environment,
      "The transparency log cannot be reached: for signatures made with --cosign-tlog=false (private or offline registries) verify with --cosign-tlog=false too.",
    ],
    unauthorized: [
      ExitCode.publishFailed,
      "cosign uses Helm's registry credentials (HELM_REGISTRY_CONFIG): log in with helm registry login.",
    ],
    unreachable: [ExitCode.publishFailed, "Check the registry address and --plain-http."],
  };
  const [exitCode, hint] = hints[r.failure] ?? [ExitCode.environment, "See cosign's message."];
  throw new FastcsError(`cannot check the cosign signature of ${what} with ${check.shown}: ${r.reason}`, {
    code: "promote.signature-check",
    exitCode,
    hint: `${hint} Nothing was changed.`,
  });
}

/**
 * After Helm rolled a failed upgrade back, pods of the failed revision that never got Ready stay: a
 * StatefulSet does not replace a pod that is not Ready (Kubernetes' "forced rollback" case). Delete those
 * pods so the restored template takes over, then roll back once more, waiting, so the release ends on a
 * deployed revision that runs what ran before.
 */
export async function settleRollback(
  helm: ReleaseHelm,
  kubectl: Kubectl,
  release: string,
  revision: number,
  timeout: string,
  ctx: Context,
) {
  const meta = await helm.metadata(release);
  if (meta.status === "deployed") return;
  const { data } = await kubectl.getJson(["pods", "-l", `app.kubernetes.io/instance=${release}`]);
  type Pod = { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } };
  const stuck = ((data?.items ?? []) as Pod[]).filter((p) =>
    !p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")
  );
  for (const pod of stuck) {
    ctx.log.info(
      `deleting pod ${pod.metadata.name}, which never got Ready, so that revision ${revision} takes over again`,
    );
    // Not --wait: the StatefulSet recreates the pod under the same name at once, and kubectl would go on
    // waiting for that name to vanish. The rollback below waits for the new pod instead.
    await kubectl.run(["delete", "pod", pod.metadata.name, "--wait=false"]);
  }
  const again = await helm.rollback(release, revision, timeout);
  if (again.code !== 0) {
    ctx.log.warn(
      `helm rollback ${release} ${revision} did not settle: ${lastLine(again.stderr)}`,
    );
  }
}

/**
 * A first install that failed leaves nothing behind: Helm's `--atomic`/`--rollback-on-failure` uninstalls it,
 * and when it did not (e.g. the uninstall itself failed), it is uninstalled here.
 *
 * @returns what happened, for the result's error text
 */
async function removeFailedInstall(helm: ReleaseHelm, release: string, timeout: string): Promise<string> {
  if (!await helm.status(release)) return `the first install was removed (nothing of ${release} runs)`;
  const r = await helm.uninstall(release, timeout);
  return r.code === 0
    ? `the failed first install was uninstalled (nothing of ${release} runs)`
    : `the failed first install could not be uninstalled: ${lastLine(r.stderr)}`;
}

/** What applying one plan did. */
export interface PromoteResult {
  release: string;
  /** A first install, or an upgrade of the running revision (as planned). */
  action: "install" | "upgrade";
  /**
   * `failed`: a first install that failed (and was removed); an upgrade that fails is `rolled back`;
   * `test failed`: its tests failed and `--on-test-failure keep` kept the new revision; `not attempted`: the
   * promotion stopped before it (Ctrl+C, or `--stop-on-failure` after an earlier failure), `reason` says
   * which, and the target runs what it ran.
   */
  status: "promoted" | "unchanged" | "rolled back" | "failed" | "test failed" | "not attempted";
  revision?: number;
  /** `helm test` after the upgrade, when the chart has tests. */
  tests?: TestRun;
  error?: string;
  /** Why a release was `not attempted`. */
  reason?: string;
}

/** How `helm test` runs after an upgrade (`--test-retries`, `--test-retry-delay`, `--test-timeout`, `--on-test-failure`). */
export interface TestPolicy {
  /** Further runs after a failed one (0: one run only). */
  retries: number;
  /** Milliseconds between runs. */
  retryDelayMs: number;
  /** Helm's `--timeout` of each run, a Go duration (e.g. `5m0s`). */
  timeout: string;
  /** After the last failed run: back to the previous revision, or keep the new one and report. */
  onFailure: "rollback" | "keep";
}

/** The outcome of `helm test` after a promotion. */
export interface TestRun {
  passed: boolean;
  /** Runs made (1 + retries used). */
  attempts: number;
  /** Helm's message of the last failed run. */
  error?: string;
}

/** Runs `helm test` until it passes or the retries are used up, waiting `retryDelayMs` between runs. */
async function runTests(
  ctx: Context,
  helm: ReleaseHelm,
  release: string,
  policy: TestPolicy,
): Promise<TestRun> {
  for (let attempt = 1;; attempt++) {
    const test = await helm.test(release, policy.timeout);
    if (test.code === 0) return { passed: true, attempts: attempt };
    // Helm 3 puts the reason on the lines after "Error: … failed: 1 error occurred:" ("\t* pods … forbidden"):
    // the whole final error, on one line.
    const error = finalHelmError(test.stderr).split("\n").map((l) =>
      l.trim()
    ).filter((l) => l !== "").join(" ") ||
      lastLine(test.stderr);
    if (attempt > policy.retries) return { passed: false, attempts: attempt, error };
    ctx.log.info(
      `helm test of ${release} failed (attempt ${attempt} of ${policy.retries + 1}): ${error}; retrying in ${
        policy.retryDelayMs / 1000
      }s`,
    );
    await new Promise((r) => setTimeout(r, policy.retryDelayMs));
  }
}

/** When {@link applyPromotion} stops before the next release (the one in progress always finishes). */
export interface StopPolicy {
  /** After a release fails (rolled back, removed, or its tests failed), promote no further release. */
  onFailure: boolean;
  /** Asked before each release: a reason (e.g. `interrupted (Ctrl+C)`) stops the promotion there. */
  requested(): string | undefined;
}

/**
 * Applies plans one by one, in their order: `helm upgrade --install` with rollback on failure, then `helm
 * test` when the chart has tests, as `tests` says (retries; after the last failure a rollback to the
 * previous revision, or with `keep` the new revision stays and the result says `test failed`). Provenance
 * goes into the revision's description and labels. A failed release does not stop the others unless
 * `stop.onFailure`; `stop.requested()` is asked before each release. Releases not reached are `not
 * attempted` (with the reason); unchanged ones stay `unchanged`.
 *
 * @returns one result per plan, in plan order
 */
export async function applyPromotion(
  ctx: Context,
  helm: ReleaseHelm,
  kubectl: Kubectl,
  plans: ReleasePlan[],
  timeout: string,
  tests: TestPolicy,
  stop: StopPolicy = { onFailure: false, requested: () => undefined },
): Promise<PromoteResult[]> {
  const results: PromoteResult[] = [];
  const who = (ctx.env.user ?? "unknown").replace(/[^A-Za-z0-9_.-]/g, "_")
    .slice(0, 63);
  let stopped: string | undefined;
  for (const plan of plans) {
    if (!stopped && plan.diff.changes.length > 0) {
      stopped = stop.requested();
      const failed = results.find((r) => FAILED.includes(r.status));
      if (!stopped && stop.onFailure && failed) {
        stopped = `stopped after ${failed.release} failed (--stop-on-failure)`;
      }
    }
    if (stopped && plan.diff.changes.length > 0) {
      results.push({
        release: plan.target.release,
        action: plan.action,
        status: "not attempted",
        revision: plan.target.revision,
        reason: stopped,
      });
      continue;
    }
    if (plan.diff.changes.length === 0) {
      results.push({
        release: plan.target.release,
        action: plan.action,
        status: "unchanged",
        revision: plan.target.revision,
      });
      continue;
    }
    const s = plan.source;
    const description =
      `${PROMOTED_PREFIX}${s.env}/${s.release} revision ${s.revision}: ${s.chart} ${s.version} ${plan.contentDigest} by ${who}`;
    const labels = {
      promotedFrom: s.env,
      promotedRevision: String(s.revision),
      chartVersion: s.version.replace(/\+/g, "_").slice(0, 63),
      chartDigest: plan.contentDigest.slice("sha256:".length, "sha256:".length + 16),
      promotedBy: who,
    };
    ctx.log.info(`promoting ${s.release} (${s.env}) to ${plan.target.release} (${plan.target.env})...`);
    const up = await helm.upgradeInstall(plan.target.release, plan.chartFile, {
      valuesFiles: plan.valuesFiles,
      timeout,
      description,
      labels,
      createNamespace: plan.createNamespace,
    });
    if (up.code !== 0) {
      const error = lastLine(up.stderr);
      if (plan.target.revision) {
        await settleRollback(helm, kubectl, plan.target.release, plan.target.revision, timeout, ctx);
        results.push({
          release: plan.target.release,
          action: plan.action,
          status: "rolled back",
          revision: plan.target.revision,
          error,
        });
      } else {
        results.push({
          release: plan.target.release,
          action: plan.action,
          status: "failed",
          error: `${error}; ${await removeFailedInstall(helm, plan.target.release, timeout)}`,
        });
      }
      continue;
    }
    const revision = Number(
      /^REVISION: (\d+)/m.exec(up.stdout)?.[1] ?? (await helm.metadata(plan.target.release)).revision,
    );
    if (plan.hasTests) {
      const run = await runTests(ctx, helm, plan.target.release, tests);
      if (!run.passed) {
        const error = `helm test failed after ${run.attempts} attempt(s): ${run.error}`;
        if (tests.onFailure === "keep") {
          results.push({
            release: plan.target.release,
            action: plan.action,
            status: "test failed",
            revision,
            tests: run,
            error: `${error}; revision ${revision} is kept (--on-test-failure keep)`,
          });
          continue;
        }
        if (plan.target.revision) {
          const back = await helm.rollback(plan.target.release, plan.target.revision, timeout);
          if (back.code !== 0) {
            await settleRollback(helm, kubectl, plan.target.release, plan.target.revision, timeout, ctx);
          }
        } else await helm.uninstall(plan.target.release, timeout);
        results.push({
          release: plan.target.release,
          action: plan.action,
          status: plan.target.revision ? "rolled back" : "failed",
          revision: plan.target.revision,
          tests: run,
          error: plan.target.revision ? error : `${error}; the first install was uninstalled`,
        });
        continue;
      }
      results.push({
        release: plan.target.release,
        action: plan.action,
        status: "promoted",
        revision,
        tests: run,
      });
      continue;
    }
    results.push({ release: plan.target.release, action: plan.action, status: "promoted", revision });
  }
  return results;
}

/** The statuses of a release whose promotion failed (exit code 11). */
export const FAILED: readonly PromoteResult["status"][] = ["rolled back", "failed", "test failed"];

/** What `--delete-source` did to one source release after its promotion. */
export interface SourceDeletion {
  /** The source environment and release. */
  env: string;
  release: string;
  deleted: boolean;
  /** The description of its last revision, which its kept history shows (`helm history`). */
  description?: string;
  error?: string;
}

/**
 * `--delete-source`: uninstalls the source release of each plan (all of them promoted, or already running
 * in the target), keeping its history with a description that records where it went, so `helm history`
 * in the source still tells. Goes on after a failure; each outcome is returned.
 */
export async function deleteSources(
  ctx: Context,
  helm: ReleaseHelm,
  plans: ReleasePlan[],
  results: (PromoteResult | undefined)[],
  timeout: string,
): Promise<SourceDeletion[]> {
  const who = (ctx.env.user ?? "unknown").replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 63);
  const done: SourceDeletion[] = [];
  for (const [i, plan] of plans.entries()) {
    const revision = results[i]?.revision ?? plan.target.revision;
    const description =
      `deleted after its promotion to ${plan.target.env}/${plan.target.release} revision ${revision} by ${who}`;
    ctx.log.info(`deleting ${plan.source.release} from ${plan.source.env}...`);
    const r = await helm.uninstall(plan.source.release, timeout, { keepHistory: true, description });
    done.push(
      r.code === 0 ? { env: plan.source.env, release: plan.source.release, deleted: true, description } : {
        env: plan.source.env,
        release: plan.source.release,
        deleted: false,
        error: finalHelmError(r.stderr).split("\n")[0].trim() || lastLine(r.stderr),
      },
    );
  }
  return done;
}
