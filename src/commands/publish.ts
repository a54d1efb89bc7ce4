// `helm fastcs publish`: flags, help and output; the work is in src/publish/.
import { join, resolve } from "node:path";
import { adaptersOf } from "../adapters/factory.ts";
import { keyReference } from "../adapters/cosign.ts";
import { type Command, Option } from "../deps/cli.ts";
import { action, outputOption } from "./wiring.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { helmRegistryConfig } from "../runtime/helm_env.ts";
import { resolveChartsDir } from "../chart/charts.ts";
import type { CosignSigning, PublishReport } from "../publish/model.ts";
import { publishCharts } from "../publish/publish.ts";
import { parseS3Url } from "../publish/s3_target.ts";
import { parseOciBase, type Target } from "../publish/targets.ts";
import { parseAppVersionPolicy, type PrereleasePolicy } from "../publish/version.ts";

async function readStdin(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of Deno.stdin.readable) chunks.push(chunk);
  return new TextDecoder().decode(await new Blob(chunks as Uint8Array<ArrayBuffer>[]).arrayBuffer()).replace(
    /\r?\n$/,
    "",
  );
}

/** Reads a password file: its content without the final line break (as `echo pw > file` writes it). */
async function readPasswordFile(
  file: string,
  flag: string,
  display: (path: string) => string,
): Promise<string> {
  try {
    return (await Deno.readTextFile(file)).replace(/\r?\n$/, "");
  } catch (error) {
    throw new FastcsError(`cannot read ${flag} ${display(file)}: ${(error as Error).message}`, {
      code: "publish.password-file",
      exitCode: ExitCode.input,
      hint: "Name a readable file holding only the password.",
    });
  }
}

/** Renders the summary table (stdout). The status says how each chart was signed (--cosign-key). */
export function renderReport(report: PublishReport, display: (path: string) => string): string[] {
  const rows = report.results.map((r) => [
    r.chart,
    r.version,
    display(r.reference),
    r.digest ? r.digest.slice(0, 19) : "-",
    r.status + (r.error ? `: ${r.error}` : "") +
    (r.signature ? `, ${r.signature}${r.signatureError ? `: ${r.signatureError}` : ""}` : ""),
  ]);
  const header = ["CHART", "VERSION", "REFERENCE", "DIGEST", "STATUS"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === 4 ? 0 : r[i].length))));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 4 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)];
}

/** Registers `publish` on the program. */
export function registerPublish(program: Command, ctx: Context) {
  program
    .command("publish")
    .description(
      "package every chart and push it to OCI registries, chart repository folders and/or S3 chart repositories, never overwriting a published version",
    )
    .option("--charts-dir <dir>", "folder holding the charts (default: charts/, else Charts/)")
    .option("--exclude <glob...>", "leave out charts whose name or folder matches")
    .option("--oci <reference...>", "push to these OCI references, e.g. oci://ghcr.io/owner/charts")
    .option(
      "--repo-dir <dir...>",
      "add to these chart repository folders (index.yaml merged, old entries kept)",
    )
    .option("--repo-url <url>", "URL the repository folder is served at (written into index.yaml)")
    .option(
      "--s3 <url...>",
      "add to these S3 chart repositories (helm-s3 layout: packages and index.yaml under s3://bucket/prefix)",
    )
    .option(
      "--s3-endpoint <url>",
      "an S3-compatible server instead of AWS, path-style (default: AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL)",
    )
    .option(
      "--tag <tag>",
      "release tag (default: GITHUB_REF refs/tags/..., else the tag on HEAD; none: a dev build)",
    )
    .option(
      "--tag-prefix <prefix>",
      "release tags start with this before the version (e.g. diracx- for diracx-1.1.6)",
    )
    .addOption(
      new Option(
        "--prerelease <policy>",
        "pre-releases a tag may carry: any, none, or fastcs (-alpha.N|-beta.N|-rc.N)",
      ).choices(["any", "none", "fastcs"] as const).default("any" as const),
    )
    .option(
      "--dev-version <version>",
      "version of untagged builds instead of <Chart.yaml version>-<short hash>",
    )
    .option(
      "--app-version <policy>",
      "appVersion: auto (the tag's version, the short hash for untagged builds), tag, hash, keep (Chart.yaml's), or a literal value",
      "auto",
    )
    .option("--keep-app-version", "the same as --app-version keep")
    .option("--branch <name>", "release branch HEAD must be on", "main")
    .option("--allow-dirty", "publish from a working tree with uncommitted changes")
    .option("--allow-any-branch", "publish from a HEAD that is not on the release branch")
    .option("--allow-latest", "allow images with :latest or no tag")
    .option(
      "--image-values <file...>",
      "also render with these values files for the image policy (defaults and ci/*.yaml always)",
    )
    .option("--skip-schema-check", "do not require schemas to be up to date")
    .option("--skip-lint", "do not run helm lint")
    .option(
      "--skip-dependency-build",
      "use the dependencies vendored under charts/ as they are (default: build them unless they match Chart.lock)",
    )
    .option("--force", "overwrite a version published with other content (breaks whoever installed it)")
    .option("--dry-run", "check and package, show what would be pushed where, push nothing")
    .option("--artifacts <dir>", "collect the packages, schemas/, SHA256SUMS and a manifest here")
    .option("--plain-http", "talk to OCI registries over HTTP")
    .option("--insecure-skip-tls-verify", "do not verify the registry's TLS certificate")
    .option("--ca-file <file>", "CA bundle for the registry's TLS certificate")
    .option(
      "--registry-username <name>",
      "log in to each OCI registry first (password from --password-stdin or HELM_FASTCS_REGISTRY_PASSWORD)",
    )
    .option("--password-stdin", "read the registry password from stdin")
    .option(
      "--keep-login",
      "keep the --registry-username login in Helm's registry config (default: a config for this run only)",
    )
    .option("--sign", "sign packages (helm package --sign); the .prov is pushed with the chart")
    .option("--key <name>", "signing key name")
    .option("--keyring <file>", "GnuPG secret keyring")
    .option("--passphrase-file <file>", "file holding the key's passphrase")
    .option(
      "--cosign-key <key>",
      "sign each chart pushed to an OCI registry with cosign, by digest: a cosign private key file or KMS URI (password from COSIGN_PASSWORD or --cosign-password-file)",
    )
    .option(
      "--cosign-password-file <file>",
      "file holding the cosign key's password (instead of COSIGN_PASSWORD)",
    )
    .addOption(
      new Option(
        "--cosign-tlog <upload>",
        "upload signatures to the transparency log (Rekor), as cosign does; false for private or offline registries",
      ).choices(["true", "false"] as const).default("true" as const),
    )
    .option("--concurrency <n>", "pushes at once", (v) => Number(v), 4)
    .option("--retries <n>", "retries for an unreachable registry", (v) => Number(v), 3)
    .addOption(outputOption())
    .helpOption("-h, --help", "show help")
    .action(action(async (opts) => {
      const chartsDir = await resolveChartsDir(ctx.cwd, opts.chartsDir);
      const transport = {
        plainHttp: opts.plainHttp,
        insecureSkipTlsVerify: opts.insecureSkipTlsVerify,
        caFile: opts.caFile,
      };
      const targets: Target[] = [
        ...(opts.oci ?? []).map((ref): Target => ({ kind: "oci", base: parseOciBase(ref), transport })),
        ...(opts.repoDir ?? []).map((dir): Target => ({
          kind: "repo",
          dir: resolve(ctx.cwd, dir),
          url: opts.repoUrl,
        })),
        ...(opts.s3 ?? []).map(parseS3Url),
      ];
      const endpoint = opts.s3Endpoint ?? ctx.env.aws.endpointUrl;
      const s3Used = targets.some((t) => t.kind === "s3");
      if (s3Used && endpoint !== undefined && (!URL.canParse(endpoint) || !/^https?:\/\//i.test(endpoint))) {
        throw new FastcsError(`S3 endpoint "${endpoint}" is not an http:// or https:// URL`, {
          code: "publish.s3-endpoint",
          exitCode: ExitCode.usage,
          hint: `Give the server's address, e.g. --s3-endpoint https://minio.example.org:9000 (from ${
            opts.s3Endpoint ? "--s3-endpoint" : "AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL"
          }).`,
        });
      }
      const username = opts.registryUsername ?? ctx.env.registryUsername;
      let login: { username: string; password: string } | undefined;
      if (username) {
        const password = opts.passwordStdin ? await readStdin() : ctx.env.registryPassword;
        if (!password) {
          throw new FastcsError(`no password for registry user ${username}`, {
            code: "publish.password",
            exitCode: ExitCode.usage,
            hint:
              "Pipe it to --password-stdin or set HELM_FASTCS_REGISTRY_PASSWORD; it never goes on the command line.",
          });
        }
        login = { username, password };
      }
      if (opts.sign && (!opts.key || !opts.keyring)) {
        throw new FastcsError("--sign needs --key and --keyring", {
          code: "publish.sign",
          exitCode: ExitCode.usage,
        });
      }
      if (opts.cosignPasswordFile && !opts.cosignKey) {
        throw new FastcsError("--cosign-password-file is the password of --cosign-key, which is not given", {
          code: "publish.cosign",
          exitCode: ExitCode.usage,
        });
      }
      for (const [flag, n] of [["--concurrency", opts.concurrency], ["--retries", opts.retries]] as const) {
        if (!Number.isInteger(n) || n < (flag === "--retries" ? 0 : 1)) {
          throw new FastcsError(`${flag} takes a whole number`, { code: "usage", exitCode: ExitCode.usage });
        }
      }
      const scratch = await Deno.makeTempDir({ prefix: "helm-fastcs-publish-" });
      // Ctrl+C: no further push starts, those under way finish, then the summary says what was pushed and
      // the scratch folder is removed (main exits 130 once this handler is done).
      let stop = false;
      let shown = false;
      const show = (report: PublishReport) => {
        if (shown) return;
        shown = true;
        if (opts.output === "json") ctx.log.emit(report);
        else for (const line of renderReport(report, ctx.display)) ctx.log.out(line);
      };
      let publishing: Promise<PublishReport> | undefined;
      const unregister = ctx.onInterrupt(async () => {
        stop = true;
        const report = await publishing?.catch(() => undefined);
        if (report) show(report);
        ctx.log.error(
          report
            ? "interrupted: the summary above says what was pushed; rerun to complete the release"
            : "interrupted: nothing was pushed",
        );
        await Deno.remove(scratch, { recursive: true }).catch(() => {});
      });
      try {
        // A login for this run goes into a registry config of this run (a copy of Helm's, so other
        // registries' logins still work), removed with the scratch folder: no credential stays on disk.
        const env: Record<string, string> = {};
        const own = helmRegistryConfig(ctx.env);
        if (login && !opts.keepLogin) {
          // Named config.json: cosign reads the same file as a docker config folder (DOCKER_CONFIG).
          env.HELM_REGISTRY_CONFIG = join(scratch, "registry", "config.json");
          await Deno.mkdir(join(scratch, "registry"), { mode: 0o700 });
          await Deno.copyFile(own, env.HELM_REGISTRY_CONFIG).catch(() => {});
        }
        let cosign: CosignSigning | undefined;
        if (opts.cosignKey) {
          const passwordFile = opts.cosignPasswordFile
            ? resolve(ctx.cwd, opts.cosignPasswordFile)
            : undefined;
          cosign = {
            key: keyReference(opts.cosignKey, ctx.cwd),
            password: passwordFile
              ? await readPasswordFile(passwordFile, "--cosign-password-file", ctx.display)
              : ctx.env.cosignPassword,
            passwordFile,
            tlog: opts.cosignTlog === "true",
            registryConfig: env.HELM_REGISTRY_CONFIG ?? own,
          };
        }
        const helm = adaptersOf(ctx).helm(env);
        publishing = publishCharts(ctx, helm, {
          chartsDir,
          exclude: opts.exclude ?? [],
          tag: opts.tag,
          tagPrefix: opts.tagPrefix,
          githubRef: ctx.env.githubRef,
          prerelease: opts.prerelease as PrereleasePolicy,
          devVersion: opts.devVersion,
          appVersion: parseAppVersionPolicy(opts.appVersion, opts.keepAppVersion),
          branch: opts.branch,
          allowDirty: opts.allowDirty ?? false,
          allowAnyBranch: opts.allowAnyBranch ?? false,
          allowLatest: opts.allowLatest ?? false,
          imageValues: opts.imageValues?.map((f) => resolve(ctx.cwd, f)),
          skipSchemaCheck: opts.skipSchemaCheck ?? false,
          skipLint: opts.skipLint ?? false,
          skipDependencyBuild: opts.skipDependencyBuild ?? false,
          force: opts.force ?? false,
          dryRun: opts.dryRun ?? false,
          targets,
          s3: { endpoint, aws: ctx.env.aws, home: ctx.env.home },
          artifacts: opts.artifacts ? resolve(ctx.cwd, opts.artifacts) : undefined,
          sign: opts.sign
            ? { key: opts.key!, keyring: opts.keyring!, passphraseFile: opts.passphraseFile }
            : undefined,
          cosign,
          login,
          concurrency: opts.concurrency,
          attempts: opts.retries + 1,
          backoffMs: (attempt) => 500 * 2 ** (attempt - 1),
          stopRequested: () => stop,
        }, scratch);
        let report: PublishReport;
        try {
          report = await publishing;
        } catch (error) {
          // After Ctrl+C, what failed is what the interrupt cut short (a retry, a check).
          if (stop) {
            throw new FastcsError("interrupted", { code: "interrupted", exitCode: ExitCode.interrupted });
          }
          throw error;
        }
        show(report);
        let code: number = ExitCode.ok;
        const conflicts = report.results.filter((r) => r.status === "conflict");
        if (conflicts.length > 0) {
          ctx.log.error(
            `${conflicts.length} version(s) were pushed by another publish at the same time with other content`,
          );
          code = ExitCode.refused;
        }
        const unsigned = report.results.filter((r) => r.signature === "not signed");
        if (unsigned.length > 0) {
          ctx.log.error(
            `${unsigned.length} chart(s) published but not signed (see above); rerun to sign them (published ones are not pushed again)`,
          );
          if (conflicts.length === 0) code = ExitCode.publishFailed;
        }
        const failed = report.results.filter((r) => r.status === "failed");
        if (failed.length > 0) {
          ctx.log.error(
            `${failed.length} of ${report.results.length} publication(s) failed; rerun to complete the release (published ones are skipped)`,
          );
          if (conflicts.length === 0) code = ExitCode.publishFailed;
        } else if (report.dryRun) ctx.log.info("dry run: nothing was pushed");
        if (report.artifacts) ctx.log.info(`artifacts in ${ctx.display(report.artifacts)}`);
        if (report.artifactsError) {
          ctx.log.error(`${report.artifactsError} (the publications above stand)`);
          if (failed.length === 0) code = ExitCode.environment;
        }
        return stop ? ExitCode.interrupted : code;
      } finally {
        unregister();
        await Deno.remove(scratch, { recursive: true }).catch(() => {});
      }
    }));
}
