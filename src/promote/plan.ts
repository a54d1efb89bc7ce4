// Planning a promotion between clusters: for each source release, what runs there (deployed, its tests), the
// chart of the same version fetched from the chart repository and checked to render exactly what runs, the
// target's values (its own files plus the promoted keys), and the diff against what the target runs (the
// checks of the source are in identity.ts). The result is a list of plans; nothing changes. apply.ts carries
// them out.
import { join } from "node:path";
import type { ReleaseHelm } from "../adapters/helm_release.ts";
import type { Helm, RegistryTransport } from "../adapters/helm.ts";
import type { Cosign } from "../adapters/cosign.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { redactUrls } from "../runtime/redact.ts";
import { chartContentDigest } from "../chart/content_digest.ts";
import { chartUsesLookup, valuesCallLookup } from "../chart/lookup.ts";
import type { S3Connections } from "../publish/s3_target.ts";
import { diffManifests, type ManifestDiff } from "./diff.ts";
import { type Environment, type PromoteConfig, releaseOf, serviceOf } from "./config.ts";
import { leafPaths, pickPromoted } from "./values.ts";
import { fetchChart, type KnownRepositories, parseChartSource } from "./chart_source.ts";
import { compareWithRunning, sourceRefusals } from "./identity.ts";
import { helmYaml, renderError, stripHooks, targetValuesCallLookup } from "./render.ts";
import { checkSignature, type SignatureCheck } from "./signature.ts";

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
    /** The source release's own labels (`helm install --labels`), without Helm's; carried over to the
     * target (Helm 4 shows them; under Helm 3 none are known). */
    labels: Record<string, string>;
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

/** What planning works with, for the whole run: the context, a Helm outside any release (pulls), the project
 * file, a scratch folder removed after the run (pulled packages, values files), and the run's S3 connections. */
export interface PlanStep {
  ctx: Context;
  helm: Helm;
  /** cosign, with Helm's registry credentials; needed with {@link PlanOptions.verify}. */
  cosign?: Cosign;
  config: PromoteConfig;
  scratch: string;
  /** The run's S3 repositories (opened only for an `s3://` chart repository). */
  s3: S3Connections;
  /** The run's names of HTTP(S) chart repositories Helm knows (see fetchChart). */
  knownRepositories: KnownRepositories;
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
  step: PlanStep,
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
      `--cosign-verify checks signatures in OCI registries, and the charts come from ${
        redactUrls(chartSource.reference)
      }`,
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
    refusals.push(...sourceRefusals(name, source.env.name, meta, status));
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
      step.knownRepositories,
    );
    if (o.verify) {
      const problem = await checkSignature(
        step.cosign!,
        config.chartRepository,
        meta.chart,
        meta.version,
        digest,
        o.verify,
        o.transport,
      );
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
        `cannot read chart ${meta.chart} ${meta.version} pulled from ${redactUrls(chartSource.reference)}: ${
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
    const { changed, unstable } = await compareWithRunning(
      runningManifest ?? "",
      rendered.stdout,
      () => render("source"),
    );
    if (changed.length > 0) {
      refusals.push(
        `${name}: chart ${meta.chart} ${meta.version} in ${
          redactUrls(config.chartRepository)
        } does not render what runs in ${source.env.name} (${
          changed.join(", ")
        } differ): the registry's artifact is not the verified one`,
      );
    }
    if (unstable.length > 0) {
      unreproducible.push(
        `${name}: chart ${meta.chart} ${meta.version} renders ${
          unstable.join(", ")
        } differently each time (a random value such as randAlphaNum, or the time, that no lookup of the existing object keeps), so what runs in ${source.env.name} cannot be checked against it`,
      );
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
        labels: ownLabels(meta.labels),
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

/** The labels Helm's storage sets on every release itself (`systemLabels` of Helm's
 * pkg/storage/driver/util.go, Helm 3 and 4); `helm install --labels` refuses them. */
const HELM_LABELS = new Set(["name", "owner", "status", "version", "createdAt", "modifiedAt"]);

/** A release's labels without those Helm sets itself (see {@link HELM_LABELS}); none when unknown. */
export function ownLabels(labels: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([k]) => !HELM_LABELS.has(k)));
}
