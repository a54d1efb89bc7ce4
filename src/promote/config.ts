// The project file of `helm fastcs promote`: the environments a service moves through, where their
// releases live, their own values, and which values keys are promoted (the rest belongs to each
// environment). Default file: fastcs.yaml at the repo root.
import { dirname, resolve } from "node:path";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import type { JsonSchema } from "../schema/drafts.ts";
import { compileSchema, formatProblems, validateSource, type ValuesProblem } from "../chart/validate.ts";
import { isMap, isScalar, isSeq, type YamlNode } from "../deps/yaml.ts";
import { nodeStart, parseYamlSource, resolveNode, type YamlSource } from "../chart/yaml_source.ts";

/** One environment. Cluster mode uses `kubeContext`/`namespace`; GitOps mode uses `path`. */
export interface Environment {
  name: string;
  kubeContext?: string;
  namespace: string;
  /** Release name pattern with `{service}` (e.g. `prod-{service}`; Toolchain's `<namespace>-<service>`). */
  release: string;
  /** Values files of this environment, absolute paths, applied in order before the promoted keys. */
  values: string[];
  /** Promotions into a protected environment need typed confirmation (or --yes). */
  protected: boolean;
  /** GitOps: folder holding one umbrella chart folder per service (absolute). */
  path?: string;
}

/** The parsed project file. */
export interface PromoteConfig {
  file: string;
  environments: Map<string, Environment>;
  /** Promoted values keys: dotted paths where `*` matches one key (default: image tags). */
  keys: string[];
  /** Where the charts come from in cluster mode: an OCI reference such as oci://ghcr.io/org/charts, a chart
   * repository's https:// address (its index.yaml), or an S3 chart repository s3://bucket/prefix. */
  chartRepository?: string;
  /** How long Helm waits for readiness, e.g. 5m0s. */
  timeout: string;
  /**
   * Named service groups (`groups:`), each a list of `{service}` names in the order its releases are
   * promoted (`promote --group NAME`). Services, not release names: one group serves every environment.
   */
  groups: Map<string, string[]>;
}

/** The default promoted keys: image tags and digests, at the top and one level down (sub-charts). */
export const DEFAULT_KEYS = ["image.tag", "image.digest", "*.image.tag", "*.image.digest"];

/** JSON Schema of the project file (unknown keys are errors, so typos surface). */
export const PROMOTE_SCHEMA: JsonSchema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  additionalProperties: false,
  required: ["environments"],
  $defs: {
    group: {
      type: "array",
      minItems: 1,
      uniqueItems: true,
      // A service is the {service} part of a release name, so it follows Helm's release name rule.
      items: {
        type: "string",
        pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
      },
    },
  },
  properties: {
    environments: {
      type: "object",
      minProperties: 1,
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        properties: {
          kubeContext: { type: "string", minLength: 1 },
          namespace: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" },
          release: { type: "string", pattern: "\\{service\\}" },
          values: { type: "array", items: { type: "string", minLength: 1 } },
          protected: { type: "boolean" },
          path: { type: "string", minLength: 1 },
        },
      },
    },
    groups: {
      type: "object",
      // Group names are typed on the command line: kept to the letters of a release name. Any other key is
      // an unknown key, reported where it stands.
      additionalProperties: false,
      patternProperties: { "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$": { $ref: "#/$defs/group" } },
    },
    promote: {
      type: "object",
      additionalProperties: false,
      properties: {
        keys: { type: "array", items: { type: "string", pattern: "^[^.]+(\\.[^.]+)*$" }, minItems: 1 },
        chartRepository: { type: "string", pattern: "^(oci|https?|s3)://" },
        timeout: { type: "string", pattern: "^[0-9]+(ms|s|m|h)([0-9]+(ms|s|m|h))*$" },
      },
    },
  },
};

/** Helm's longest release name (`maxReleaseNameLen`, helm/helm pkg/chartutil/validate_name.go). */
export const MAX_RELEASE_NAME_LENGTH = 53;

/** Helm's rule for release names (`ValidateReleaseName`: the DNS-1123 subdomain pattern, whole string). */
const RELEASE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Why Helm would refuse `release` as a release name (`ValidateReleaseName`: at most
 * {@link MAX_RELEASE_NAME_LENGTH} characters, lower-case letters, digits, `-` and `.` between letters or
 * digits), or undefined when it accepts it.
 */
export function releaseNameProblem(release: string): string | undefined {
  if (release.length > MAX_RELEASE_NAME_LENGTH) {
    return `${release.length} characters, Helm allows at most ${MAX_RELEASE_NAME_LENGTH}`;
  }
  if (!RELEASE_NAME.test(release)) {
    return "Helm allows only lower-case letters, digits, '-' and '.', starting and ending with a letter or digit";
  }
  return undefined;
}

/**
 * The services of `groups:` whose release name in some environment (its `release` pattern, default
 * `{service}`, with the service in place of `{service}`) Helm would refuse, each at the service's
 * file:line:column: such a release can never run there, so promoting the group would only fail later.
 * Reads what the schema let through and skips the rest (the schema reports it).
 */
function groupReleaseNameProblems(source: YamlSource): ValuesProblem[] {
  const root = source.doc.contents;
  if (!isMap(root)) return [];
  const environments = resolveNode(source, root.get("environments", true) as YamlNode | undefined);
  const groups = resolveNode(source, root.get("groups", true) as YamlNode | undefined);
  if (!isMap(environments) || !isMap(groups)) return [];
  const patterns: [string, string][] = [];
  for (const pair of environments.items) {
    const env = resolveNode(source, pair.value as YamlNode | undefined);
    const release = isMap(env) ? env.get("release") : undefined;
    if (isScalar(pair.key) && (release === undefined || typeof release === "string")) {
      patterns.push([String(pair.key.value), release ?? "{service}"]);
    }
  }
  const problems: ValuesProblem[] = [];
  for (const pair of groups.items) {
    const services = resolveNode(source, pair.value as YamlNode | undefined);
    if (!isScalar(pair.key) || !isSeq(services)) continue;
    for (const [i, item] of services.items.entries()) {
      const service = resolveNode(source, item as YamlNode | undefined);
      if (!isScalar(service) || typeof service.value !== "string") continue;
      const refused = patterns.flatMap(([env, pattern]) => {
        const release = pattern.replace("{service}", service.value as string);
        const why = releaseNameProblem(release);
        return why ? [`${release} in ${env} (${why})`] : [];
      });
      if (refused.length === 0) continue;
      problems.push({
        position: source.position(nodeStart(item as YamlNode | undefined)),
        path: `groups.${pair.key.value}[${i}]`,
        message: `service ${service.value} makes release names Helm refuses: ${refused.join(", ")}`,
      });
    }
  }
  return problems;
}

/**
 * Reads and checks the project file.
 *
 * @throws FastcsError (exit code 5) for a missing file, malformed YAML, or every schema problem at its
 *   file:line:column
 */
export async function loadPromoteConfig(
  file: string,
  display: (p: string) => string,
): Promise<PromoteConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch {
    throw new FastcsError(`no promotion project file ${display(file)}`, {
      code: "promote.config-missing",
      exitCode: ExitCode.input,
      hint:
        'Create fastcs.yaml with an environments: section (see the README, "helm fastcs promote"), or name it with --config.',
    });
  }
  const source = parseYamlSource(display(file), text, { uniqueKeys: true });
  const problems = [
    ...validateSource(source, await compileSchema(PROMOTE_SCHEMA, "promote schema", "file:///")),
    ...groupReleaseNameProblems(source),
  ];
  if (problems.length > 0) {
    throw new FastcsError(`${display(file)}: invalid promotion project file`, {
      code: "promote.config",
      exitCode: ExitCode.input,
      details: formatProblems(problems),
    });
  }
  const raw = source.doc.toJS() as {
    environments: Record<
      string,
      {
        kubeContext?: string;
        namespace?: string;
        release?: string;
        values?: string[];
        protected?: boolean;
        path?: string;
      }
    >;
    promote?: { keys?: string[]; chartRepository?: string; timeout?: string };
    groups?: Record<string, string[]>;
  };
  const base = dirname(file);
  const environments = new Map<string, Environment>();
  for (const [name, e] of Object.entries(raw.environments)) {
    environments.set(name, {
      name,
      kubeContext: e.kubeContext,
      namespace: e.namespace ?? name,
      release: e.release ?? "{service}",
      values: (e.values ?? []).map((v) => resolve(base, v)),
      protected: e.protected ?? false,
      path: e.path ? resolve(base, e.path) : undefined,
    });
  }
  return {
    file,
    environments,
    keys: raw.promote?.keys ?? DEFAULT_KEYS,
    chartRepository: raw.promote?.chartRepository?.replace(/\/+$/, ""),
    timeout: raw.promote?.timeout ?? "5m0s",
    groups: new Map(Object.entries(raw.groups ?? {})),
  };
}

/**
 * An environment by name.
 *
 * @throws FastcsError (exit code 5) naming the known environments.
 */
export function environment(
  config: PromoteConfig,
  name: string,
  display: (p: string) => string,
): Environment {
  const env = config.environments.get(name);
  if (!env) {
    throw new FastcsError(
      `unknown environment "${name}" (${display(config.file)} defines ${
        [...config.environments.keys()].join(", ")
      })`,
      {
        code: "promote.environment",
        exitCode: ExitCode.input,
      },
    );
  }
  return env;
}

/**
 * The services of a named group, in promotion order.
 *
 * @throws FastcsError (exit code 5) naming the groups the project file defines.
 */
export function group(config: PromoteConfig, name: string, display: (p: string) => string): string[] {
  const services = config.groups.get(name);
  if (!services) {
    const known = [...config.groups.keys()];
    throw new FastcsError(
      `unknown group "${name}" (${display(config.file)} defines ${
        known.length > 0 ? known.join(", ") : "no groups"
      })`,
      {
        code: "promote.group",
        exitCode: ExitCode.input,
        hint: known.length > 0
          ? `Give one of those to --group, or add ${name} under groups: in ${display(config.file)}.`
          : "Name the services of a group under groups: in the project file, e.g. groups: {core: [db, api]}.",
      },
    );
  }
  return services;
}

/** The service name of a release of `env` (`{service}` in its pattern), or undefined when it does not fit. */
export function serviceOf(env: Environment, release: string): string | undefined {
  const [before, after] = env.release.split("{service}");
  if (
    !release.startsWith(before) || !release.endsWith(after) || release.length <= before.length + after.length
  ) return undefined;
  return release.slice(before.length, release.length - after.length);
}

/** The release name of a service in `env`. */
export function releaseOf(env: Environment, service: string): string {
  return env.release.replace("{service}", service);
}
