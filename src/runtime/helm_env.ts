// Helm's environment, read once. Helm strips its global flags (--namespace, --kube-context, --kubeconfig,
// --debug, --registry-config) before it runs a plugin and passes them as environment variables instead
// (https://helm.sh/docs/topics/plugins/#environment-variables).

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
  /** True when `NO_COLOR` is set to any non-empty value (https://no-color.org). */
  noColor: boolean;
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
    noColor: value("NO_COLOR") !== undefined,
  };
}
