// `helm fastcs publish` as plain functions: check everything (versions, git state, image tags, lint,
// schemas, what the targets already hold), then package and push, so that a bad chart never leaves half
// a release behind and a rerun after a failure completes the release without duplicates.
import { basename, join } from "node:path";
import { adaptersOf } from "../adapters/factory.ts";
import { finalHelmError, type Helm, helmErrorLine } from "../adapters/helm.ts";
import { pLimit } from "../deps/concurrency.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { findCharts, schemasDirOf } from "../chart/charts.ts";
import { checkArtifactsDir, collectArtifacts } from "./artifacts.ts";
import {
  gitRefusals,
  imageRefusals,
  lintRefusals,
  schemaRefusals,
  stageCharts,
  type Step,
} from "./checks.ts";
import type { PackagedChart, PublishOptions, PublishReport, PublishResult, VersionedChart } from "./model.ts";
import { chartContentDigest, fileSha256 } from "../chart/content_digest.ts";
import { type S3Connections, s3Connections } from "./s3_target.ts";
import {
  existingAt,
  ociHost,
  PushConflict,
  pushTo,
  readBack,
  RegistryError,
  type RetryPolicy,
  type Target,
  targetReference,
  updateRepoIndex,
} from "./targets.ts";
import { findReleaseTag, parseReleaseTag } from "./version.ts";
import { checkSigningKey, signPublished } from "./signing.ts";
import {
  refuseInsecureTokenEndpoint,
  type RegistryApi,
  registryApi,
  registryCredentials,
} from "./oci_push.ts";
import { dockerConfigFor } from "../adapters/cosign.ts";
import { helmRegistryConfig } from "../runtime/helm_env.ts";

function globToRegExp(glob: string): RegExp {
  return new RegExp(
    `^${glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`,
  );
}

/**
 * Publishes every chart under `options.chartsDir` to every target.
 *
 * @returns the report; its results say per chart and target what happened
 * @throws FastcsError before anything is pushed: exit code 2 (no target, --cosign-key without an OCI
 *   target), 5 (bad tag, version, chart, unreadable cosign key), 6 (wrong or missing cosign key password,
 *   cosign missing), 8 (a policy refused: dirty tree, branch, image tag, lint, stale schemas, version taken
 *   by other content), 9 (a registry or S3 could not be asked).
 */
export async function publishCharts(
  ctx: Context,
  helm: Helm,
  options: PublishOptions,
  scratch: string,
): Promise<PublishReport> {
  const display = ctx.display;
  if (options.targets.length === 0 && !options.artifacts && !options.dryRun) {
    throw new FastcsError("no target: nothing would be published", {
      code: "publish.no-target",
      exitCode: ExitCode.usage,
      hint:
        "Give --oci oci://host/path, --repo-dir DIR and/or --s3 s3://bucket/prefix (or --artifacts DIR to only package).",
    });
  }
  if (options.cosign && !options.targets.some((t) => t.kind === "oci")) {
    throw new FastcsError(
      "--cosign-key signs charts pushed to OCI registries, and no --oci target is given",
      {
        code: "publish.cosign-target",
        exitCode: ExitCode.usage,
        hint:
          "Add --oci oci://host/path; repository folders and S3 repositories are signed with --sign (.prov files) instead.",
      },
    );
  }
  // Every destination is checked before anything is built or pushed.
  for (const target of options.targets) {
    if (target.kind !== "repo") continue;
    if (await Deno.stat(target.dir).then((i) => !i.isDirectory, () => false)) {
      throw new FastcsError(`--repo-dir ${display(target.dir)} is a file, not a chart repository folder`, {
        code: "publish.repo-not-folder",
        exitCode: ExitCode.input,
        hint: "Name the folder that holds (or will hold) index.yaml and the packages. Nothing was pushed.",
      });
    }
  }
  const schemasDir = await schemasDirOf(options.chartsDir, ctx.cwd);
  if (options.artifacts) await checkArtifactsDir(options.artifacts, options.chartsDir, schemasDir, display);
  const excluded = options.exclude.map(globToRegExp);
  const charts = (await findCharts(options.chartsDir, display)).filter((c) =>
    !excluded.some((re) => re.test(c.name) || re.test(basename(c.dir)))
  );
  if (charts.length === 0) {
    throw new FastcsError("every chart is excluded", { code: "publish.no-charts", exitCode: ExitCode.usage });
  }

  // 1. The version, then every check; packaging (which publishes nothing) runs alongside the checks.
  const git = adaptersOf(ctx).git(options.chartsDir);
  const tagged = findReleaseTag(options.tag, options.githubRef, await git.tagsAtHead(), options.tagPrefix);
  const found = tagged.tag === undefined ? undefined : tagged;
  if (tagged.tag === undefined && tagged.ignored.length > 0) {
    ctx.log.warn(
      `HEAD carries ${tagged.ignored.join(", ")}, which is no SemVer release tag${
        options.tagPrefix ? ` with prefix ${options.tagPrefix}` : ""
      }: publishing an untagged (dev) build. Tag MAJOR.MINOR.PATCH, or give --tag-prefix for prefixed tags.`,
    );
  }
  const release = found
    ? parseReleaseTag(found.tag, options.prerelease, found.source, options.tagPrefix)
    : undefined;
  const hash = await git.shortHead();
  const limit = pLimit(options.concurrency);
  const step = { ctx, helm, options, scratch, schemasDir, limit };
  const [gitProblems, staged] = await Promise.all([
    gitRefusals(git, options, hash),
    stageCharts(step, charts, release, hash),
  ]);
  const [lintProblems, schemaProblems, imageProblems, prepared] = await Promise.all([
    options.skipLint ? [] : lintRefusals(helm, staged),
    options.skipSchemaCheck ? [] : schemaRefusals(step, charts),
    imageRefusals(step, staged),
    packageCharts(step, staged),
  ]);
  const refusals = [
    ...gitProblems,
    ...staged.flatMap((s) => s.problems),
    ...imageProblems,
    ...lintProblems,
    ...schemaProblems,
  ];
  if (refusals.length > 0) {
    throw new FastcsError(`publish refused, nothing was pushed (${refusals.length} problem(s))`, {
      code: "publish.refused",
      exitCode: ExitCode.refused,
      details: refusals,
      hint: "Each problem names its override flag; fix the cause rather than overriding where you can.",
    });
  }
  if (options.stopRequested?.()) throw interrupted();
  // The signing key and its password are proven before anything is pushed (a dry run too).
  const publicKey = options.cosign
    ? await checkSigningKey(
      ctx,
      adaptersOf(ctx).cosign({ password: options.cosign.password }),
      options.cosign,
      scratch,
    )
    : undefined;
  if (options.login) await login(helm, options.targets, options.login);

  // S3 repositories are opened (the AWS SDK loaded) only when a target asks for one.
  const s3 = s3Connections(options.s3 ?? { aws: {} }, helm, scratch, options.attempts, ctx.log);
  // One distribution API client per OCI target, with the credentials Helm would use there.
  const pushers = new Map<Target, Promise<RegistryApi>>();
  const registryApiOf = (target: Extract<Target, { kind: "oci" }>) => {
    let pusher = pushers.get(target);
    if (!pusher) {
      pusher = registryCredentials(ociHost(target.base), options.login, helmRegistryConfig(ctx.env)).then(
        async (credentials) => {
          // Credentials of Helm's registry config (--registry-username's were checked before the login): our
          // client refuses a plain-HTTP token endpoint where it meets one, but helm pull and helm push, which
          // take over where it cannot, follow a redirect of /v2/ to one and send them there.
          if (!options.login && credentials.kind !== "anonymous") {
            await refuseInsecureTokenEndpoint(
              target.base,
              target.transport,
              credentials.kind === "basic" ? credentials.source : credentials.why,
            );
          }
          return registryApi(target.base, target.transport, credentials);
        },
      );
      pushers.set(target, pusher);
    }
    return pusher;
  };
  try {
    return await pushEverything(
      step,
      s3,
      { tag: found?.tag, source: found?.source, hash },
      prepared,
      publicKey,
      registryApiOf,
    );
  } finally {
    await s3.close();
    for (const pusher of pushers.values()) (await pusher.catch(() => undefined))?.close();
  }
}

/** Steps 4 to 8 of {@link publishCharts}: ask the targets, push, read back, sign, index, collect artifacts.
 * `publicKey`: the --cosign-key's public key, proven before; `registryApiOf`: the distribution API client of an
 * OCI target (its reads and pushes). */
async function pushEverything(
  { ctx, helm, options, scratch, limit, schemasDir }: Step,
  s3: S3Connections,
  version: PublishReport["version"],
  prepared: PackagedChart[],
  publicKey: string | undefined,
  registryApiOf: (target: Extract<Target, { kind: "oci" }>) => Promise<RegistryApi>,
): Promise<PublishReport> {
  const display = ctx.display;
  // 4. Ask every target what it holds; refuse to overwrite other content before pushing anything.
  const policy: RetryPolicy = {
    attempts: options.attempts,
    backoffMs: options.backoffMs,
    credentials: options.login
      ? `username ${options.login.username} (--registry-username)`
      : `the registry config ${
        ctx.env.registryConfig ?? "of Helm (HELM_REGISTRY_CONFIG unset: Helm's default)"
      }`,
    log: (m) => ctx.log.info(m),
    debug: (m) => ctx.log.debug(m),
    stopRequested: options.stopRequested,
  };
  const pairs = prepared.flatMap((p) => options.targets.map((target) => ({ p, target })));
  const jobs = await Promise.all(pairs.map(({ p, target }) =>
    limit(async () => {
      let existing: Awaited<ReturnType<typeof existingAt>>;
      let unchecked: string | undefined;
      try {
        existing = await existingAt(
          helm,
          target,
          p.chart.name,
          p.version,
          p.contentDigest,
          scratch,
          policy,
          s3,
          target.kind === "oci" ? await registryApiOf(target) : undefined,
        );
      } catch (error) {
        // A dry run shows the whole plan even offline, marking what could not be checked.
        if (!options.dryRun || !(error instanceof RegistryError)) throw error;
        existing = { state: "absent" };
        unchecked = error.message;
      }
      const result: PublishResult = {
        chart: p.chart.name,
        version: p.version,
        appVersion: p.appVersion,
        reference: targetReference(target, p.chart.name, p.version),
        contentDigest: p.contentDigest,
        status: existing.state === "same" ? "already published" : options.dryRun ? "would push" : "skipped",
      };
      if (existing.state === "same" && existing.digest) result.digest = existing.digest;
      if (unchecked) result.error = `not checked: ${unchecked}`;
      const conflict = existing.state === "different"
        ? `${result.reference}: version ${p.version} is already published with other content: ${existing.detail}`
        : undefined;
      return { p, target, result, conflict };
    })
  ));
  const conflicts = options.force ? [] : jobs.flatMap((j) => (j.conflict ? [j.conflict] : []));
  if (conflicts.length > 0) {
    throw new FastcsError("publish refused, nothing was pushed: a published version is never overwritten", {
      code: "publish.overwrite",
      exitCode: ExitCode.refused,
      details: conflicts,
      hint:
        "Bump the chart version (or tag a new release). --force overwrites, which breaks everyone who installed that version.",
    });
  }
  const report: PublishReport = {
    version,
    dryRun: options.dryRun,
    results: jobs.map((j) => j.result),
  };
  // Credentials for cosign: Helm's registry config of this run, as it is after the login.
  const cosign = async () =>
    adaptersOf(ctx).cosign({
      password: options.cosign!.password,
      dockerConfig: await dockerConfigFor(options.cosign!.registryConfig, scratch),
    });
  if (options.dryRun) {
    if (options.cosign) await signPublished(await cosign(), publicKey!, jobs, options.cosign, limit, true);
    return report;
  }
  if (options.stopRequested?.()) throw interrupted();

  // 5. Push, concurrently with a bound; every failure is recorded and the rest goes on. A chart that depends
  // on another chart of this publish waits for that one's push to the same target, so a parent never
  // references a version not there yet.
  type Job = typeof jobs[number];
  const pushing = new Map<Job, Promise<void>>();
  const visiting = new Set<Job>(); // the charts whose dependencies are being followed: a cycle ends there
  const pushOf = (j: Job): Promise<void> => {
    const known = pushing.get(j);
    if (known) return known;
    visiting.add(j);
    const deps = jobs.filter((d) =>
      d !== j && !visiting.has(d) && d.target === j.target &&
      j.p.chart.dependencies.some((dep) => dep.name === d.p.chart.name)
    );
    const done = Promise.all(deps.map(pushOf)).then(() => {
      const failed = deps.find((d) =>
        d.result.status !== "pushed" && d.result.status !== "already published"
      );
      if (failed) {
        j.result.error = `not pushed: its dependency ${failed.p.chart.name} ${failed.p.version} is not there`;
        return;
      }
      return limit(() => pushOne(j));
    });
    visiting.delete(j);
    pushing.set(j, done);
    return done;
  };
  const pushOne = async (j: Job) => {
    if (j.result.status === "already published") return;
    if (options.stopRequested?.()) {
      j.result.error = "interrupted before it was pushed";
      return;
    }
    ctx.log.info(`pushing ${j.result.reference}`);
    try {
      const pushed = await pushTo(
        helm,
        j.target,
        j.p.tgz,
        j.p.chart.name,
        j.p.version,
        policy,
        s3,
        j.target.kind === "oci" ? await registryApiOf(j.target) : undefined,
      );
      // A repository folder's or S3 package is named by its sha256; an OCI chart only by the manifest
      // digest of the push (the package's sha256 is no digest a registry or cosign knows).
      j.result.digest = pushed.digest ??
        (j.target.kind === "oci" ? undefined : `sha256:${await fileSha256(j.p.tgz)}`);
      if (pushed.pushedWith) {
        j.result.pushedWith = pushed.pushedWith;
        ctx.log.debug(`${j.result.reference}: pushed with ${pushed.pushedWith}`);
      }
      j.result.status = "pushed";
    } catch (error) {
      j.result.status = error instanceof PushConflict ? "conflict" : "failed";
      j.result.error = error instanceof Error ? error.message : String(error);
      if (!(error instanceof FastcsError)) ctx.log.debug(String((error as Error).stack));
    }
  };
  await Promise.all(jobs.filter((j) => j.result.status !== "already published").map(pushOf));
  // 6. Read every pushed tag back once the pushes have settled: another publish of the same version (two
  // CI jobs at once) may have pushed between our check and our push, or just after it. A registry with
  // immutable tags refuses the second push instead; without them, this is how a lost race is found. In S3
  // the upload was conditional; the read-back still catches a server that ignored the condition.
  const pushedRemote = jobs.filter((j) => j.result.status === "pushed" && j.target.kind !== "repo");
  if (pushedRemote.length > 0 && !options.stopRequested?.()) {
    await new Promise((r) => setTimeout(r, options.settleMs ?? 250));
    await Promise.all(pushedRemote.map((j) =>
      limit(async () => {
        const target = j.target;
        const other = await (target.kind === "s3"
          ? s3.of(target).then((repository) => repository.readBack(j.p.chart.name, j.p.version))
          : readBack(
            helm,
            target as Extract<Target, { kind: "oci" }>,
            j.p.chart.name,
            j.p.version,
            j.result.digest,
            j.p.contentDigest,
            scratch,
            policy,
            await registryApiOf(target as Extract<Target, { kind: "oci" }>),
          )).catch(() =>
            undefined
          ); // an unreadable registry now is no proof of a race
        if (other) {
          Object.assign(j.result, {
            status: "conflict",
            error: `another publish of ${j.p.version} pushed other content at the same time: the tag holds ` +
              `${other}. Bump the version; a published version is never overwritten on purpose`,
          });
        }
      })
    ));
  }
  // 7. Sign what the OCI targets now hold for us, by the digest read back.
  if (options.cosign) {
    await signPublished(
      await cosign(),
      publicKey!,
      jobs,
      options.cosign,
      limit,
      false,
      options.stopRequested,
    );
  }
  // 8. Index what was pushed to repository folders and S3; a version another publish took is not indexed.
  for (const target of options.targets) {
    if (target.kind === "oci") continue;
    const mine = jobs.filter((j) => j.target === target);
    if (!mine.some((j) => j.result.status === "pushed")) continue;
    try {
      if (target.kind === "s3") await (await s3.of(target)).updateIndex();
      else await updateRepoIndex(helm, target);
    } catch (error) {
      for (const j of mine) {
        if (j.result.status === "pushed") {
          Object.assign(j.result, { status: "failed", error: (error as Error).message });
        }
      }
    }
  }
  if (options.artifacts && !options.stopRequested?.()) {
    try {
      report.artifacts = await collectArtifacts(options.artifacts, prepared, report, schemasDir);
    } catch (error) {
      report.artifactsError = `cannot write artifacts to ${display(options.artifacts)}: ${
        (error as Error).message
      }`;
    }
  }
  return report;
}

/** Ctrl+C before the first push. */
function interrupted(): FastcsError {
  return new FastcsError("interrupted: nothing was pushed", {
    code: "interrupted",
    exitCode: ExitCode.interrupted,
  });
}

/** Packages every chart in one helm process: the staged copies already hold their version and appVersion. */
async function packageCharts(step: Step, all: VersionedChart[]): Promise<PackagedChart[]> {
  // A chart already refused while staging (its dependencies could not be built) is not packaged: its refusal
  // says why, where packaging would only fail on the missing dependency.
  const staged = all.filter((s) => s.problems.length === 0);
  const destination = join(step.scratch, "packages");
  await Deno.mkdir(destination, { recursive: true });
  const packaged = new Map<string, string>();
  if (staged.length > 0) {
    const p = await step.helm.package(staged.map((s) => s.dir), { destination, sign: step.options.sign });
    for (const s of staged) {
      const path = p.paths.find((x) => basename(x) === `${s.chart.name}-${s.version}.tgz`);
      if (p.code !== 0 || !path) {
        throw new FastcsError(
          `helm package failed for ${staged.map((s) => s.chart.name).join(", ")}: ${
            finalHelmError(p.stderr).trim() || "no package written"
          }`,
          { code: "publish.package", exitCode: ExitCode.refused },
        );
      }
      packaged.set(s.chart.name, path);
    }
  }
  return await Promise.all(staged.map(async (s) => {
    const tgz = packaged.get(s.chart.name)!;
    return {
      chart: s.chart,
      version: s.version,
      appVersion: s.appVersion,
      tgz,
      contentDigest: await chartContentDigest(tgz),
    };
  }));
}

async function login(helm: Helm, targets: Target[], credentials: { username: string; password: string }) {
  for (const target of targets) {
    if (target.kind !== "oci") continue;
    const host = ociHost(target.base);
    await refuseInsecureTokenEndpoint(
      target.base,
      target.transport,
      `username ${credentials.username} (--registry-username)`,
    );
    const r = await helm.registryLogin(host, credentials.username, credentials.password, target.transport);
    if (r.code !== 0) {
      throw new FastcsError(
        `helm registry login ${host} as ${credentials.username} failed: ${helmErrorLine(r.stderr)}`,
        {
          code: "publish.login",
          exitCode: ExitCode.publishFailed,
          hint: "Check the username and the password given on stdin or in HELM_FASTCS_REGISTRY_PASSWORD.",
        },
      );
    }
  }
}
