// Helm's environment, read once. Helm strips its global flags (--namespace, --kube-context, --kubeconfig,
// --debug, --registry-config) before it runs a plugin and passes them as environment variables instead
// (https://helm.sh/docs/topics/plugins/#environment-variables).
import { join } from "node:path";

/** The Helm environment a plugin runs in. Paths are as Helm gave them; absent values are `undefined`. */
export interface HelmEnv {
  /** `HELM_BIN`: the helm executable that started us; `helm` (looked up on PATH) when run outside Helm. */
  helmBin: string;
  /** `HELM_NAMESPACE` (from `-n`); undefined when Helm did not set it. */
  namespace?: string;
  /** `HELM_KUBECONTEXT` (from `--kube-context`). */
  kubeContext?: string;
  /** `KUBECONFIG` (from `--kubeconfig` or the user's environment). */
  kubeconfig?: string;
  /** `HELM_DEBUG` is `true` or `1` (from `--debug`). */
  debug: boolean;
  /** `HELM_REGISTRY_CONFIG`: the OCI registry credentials file. */
  registryConfig?: string;
  /** `HELM_REPOSITORY_CONFIG` and `HELM_REPOSITORY_CACHE`. */
  repositoryConfig?: string;
  repositoryCache?: string;
  /** `HELM_DATA_HOME`, `HELM_CONFIG_HOME`, `HELM_CACHE_HOME`. */
  dataHome?: string;
  configHome?: string;
  cacheHome?: string;
  /** `HELM_PLUGIN_DIR`: this plugin's installed directory; undefined when run from source. */
  pluginDir?: string;
  /** `HOME` (`USERPROFILE` on Windows): the default of Helm's config and cache homes. */
  home?: string;
  /** `USER` (`USERNAME` on Windows): who is recorded as having run a promotion. */
  user?: string;
  /** `GITHUB_REF` (set by GitHub Actions, e.g. `refs/tags/v1.2.3`): the release tag of a CI run. */
  githubRef?: string;
  /** `HELM_FASTCS_REGISTRY_USERNAME` and `HELM_FASTCS_REGISTRY_PASSWORD`: a registry login for `publish`. */
  registryUsername?: string;
  registryPassword?: string;
  /** The standard AWS variables, for `publish --s3` (see {@link AwsEnv}). */
  aws: AwsEnv;
  /** `HELM_FASTCS_COSIGN`: the cosign executable for signing and verifying charts; `cosign` (looked up on
   * PATH) when unset. */
  cosignBin: string;
  /** `COSIGN_PASSWORD` (cosign's own variable): the password of a cosign private key. Kept when set to the
   * empty string, which is the password of a key generated without one. */
  cosignPassword?: string;
  /** True when `NO_COLOR` is set to any non-empty value (https://no-color.org). */
  noColor: boolean;
}

/**
 * The standard AWS variables that `publish --s3` honours, named as the AWS CLI and SDKs document them
 * (https://docs.aws.amazon.com/sdkref/latest/guide/settings-reference.html). The secret ones are held here
 * only to hand them to the S3 client: nothing prints, logs or writes this object.
 */
export interface AwsEnv {
  /** `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`: static credentials. */
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** `AWS_PROFILE`: the profile of the shared files (default `default`). */
  profile?: string;
  /** `AWS_SHARED_CREDENTIALS_FILE` (default `~/.aws/credentials`) and `AWS_CONFIG_FILE` (`~/.aws/config`). */
  sharedCredentialsFile?: string;
  configFile?: string;
  /** `AWS_REGION`, else `AWS_DEFAULT_REGION`. */
  region?: string;
  /** `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`: an S3-compatible server instead of AWS. */
  endpointUrl?: string;
}

/** Reads {@link HelmEnv} from a plain variable map (e.g. `Deno.env.toObject()`). Never throws. */
export function readHelmEnv(vars: Record<string, string | undefined>): HelmEnv {
  const value = (name: string) => {
    const v = vars[name];
    return v === undefined || v === "" ? undefined : v;
  };
  const debug = value("HELM_DEBUG");
  return {
    helmBin: value("HELM_BIN") ?? "helm",
    namespace: value("HELM_NAMESPACE"),
    kubeContext: value("HELM_KUBECONTEXT"),
    kubeconfig: value("KUBECONFIG"),
    debug: debug === "true" || debug === "1",
    registryConfig: value("HELM_REGISTRY_CONFIG"),
    repositoryConfig: value("HELM_REPOSITORY_CONFIG"),
    repositoryCache: value("HELM_REPOSITORY_CACHE"),
    dataHome: value("HELM_DATA_HOME"),
    configHome: value("HELM_CONFIG_HOME"),
    cacheHome: value("HELM_CACHE_HOME"),
    pluginDir: value("HELM_PLUGIN_DIR"),
    home: value("HOME") ?? value("USERPROFILE"),
    user: value("USER") ?? value("USERNAME"),
    githubRef: value("GITHUB_REF"),
    registryUsername: value("HELM_FASTCS_REGISTRY_USERNAME"),
    registryPassword: value("HELM_FASTCS_REGISTRY_PASSWORD"),
    aws: {
      accessKeyId: value("AWS_ACCESS_KEY_ID"),
      secretAccessKey: value("AWS_SECRET_ACCESS_KEY"),
      sessionToken: value("AWS_SESSION_TOKEN"),
      profile: value("AWS_PROFILE"),
      sharedCredentialsFile: value("AWS_SHARED_CREDENTIALS_FILE"),
      configFile: value("AWS_CONFIG_FILE"),
      region: value("AWS_REGION") ?? value("AWS_DEFAULT_REGION"),
      endpointUrl: value("AWS_ENDPOINT_URL_S3") ?? value("AWS_ENDPOINT_URL"),
    },
    cosignBin: value("HELM_FASTCS_COSIGN") ?? "cosign",
    cosignPassword: vars.COSIGN_PASSWORD,
    noColor: value("NO_COLOR") !== undefined,
  };
}

/**
 * The registry config (OCI credentials) Helm uses: HELM_REGISTRY_CONFIG (Helm always sets it for plugins),
 * else Helm's default `$HELM_CONFIG_HOME/registry/config.json` (`~/.config/helm/...`).
 */
export function helmRegistryConfig(env: HelmEnv): string {
  return env.registryConfig ??
    join(env.configHome ?? join(env.home ?? "", ".config", "helm"), "registry", "config.json");
}

/**
 * This plugin's folder in Helm's cache home: `$HELM_CACHE_HOME/fastcs` (Helm always sets it for plugins),
 * else under Helm's default `~/.cache/helm`.
 */
export function pluginCacheDir(env: HelmEnv): string {
  return join(env.cacheHome ?? join(env.home ?? ".", ".cache", "helm"), "fastcs");
}
