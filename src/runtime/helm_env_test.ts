import assert from "node:assert/strict";
import { readHelmEnv } from "./helm_env.ts";

Deno.test("Helm's variables are read into one typed object", () => {
  const env = readHelmEnv({
    HELM_BIN: "/usr/bin/helm",
    HELM_NAMESPACE: "staging",
    HELM_KUBECONTEXT: "lab",
    KUBECONFIG: "/k/config",
    HELM_DEBUG: "true",
    HELM_REGISTRY_CONFIG: "/r.json",
    HELM_DATA_HOME: "/d",
    HELM_CONFIG_HOME: "/c",
    HELM_CACHE_HOME: "/k",
    HELM_PLUGIN_DIR: "/p",
    NO_COLOR: "1",
  });
  assert.deepEqual(
    [
      env.helmBin,
      env.namespace,
      env.kubeContext,
      env.kubeconfig,
      env.debug,
      env.registryConfig,
      env.dataHome,
      env.configHome,
      env.cacheHome,
      env.pluginDir,
      env.noColor,
    ],
    ["/usr/bin/helm", "staging", "lab", "/k/config", true, "/r.json", "/d", "/c", "/k", "/p", true],
  );
});

Deno.test("HELM_DEBUG is on for true or 1 only; empty values count as unset", () => {
  assert.equal(readHelmEnv({ HELM_DEBUG: "1" }).debug, true);
  assert.equal(readHelmEnv({ HELM_DEBUG: "false" }).debug, false);
  assert.equal(readHelmEnv({ HELM_DEBUG: "yes" }).debug, false);
  const bare = readHelmEnv({ HELM_NAMESPACE: "", NO_COLOR: "" });
  assert.equal(bare.namespace, undefined);
  assert.equal(bare.noColor, false);
  assert.equal(bare.helmBin, "helm");
});

Deno.test("the AWS variables of publish --s3: the service-specific endpoint and AWS_REGION win", () => {
  const aws = readHelmEnv({
    AWS_ACCESS_KEY_ID: "AKID",
    AWS_SECRET_ACCESS_KEY: "secret",
    AWS_REGION: "eu-west-2",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_ENDPOINT_URL: "http://all.example",
    AWS_ENDPOINT_URL_S3: "http://s3.example",
    AWS_PROFILE: "ci",
  }).aws;
  assert.deepEqual(
    [aws.accessKeyId, aws.secretAccessKey, aws.region, aws.endpointUrl, aws.profile],
    ["AKID", "secret", "eu-west-2", "http://s3.example", "ci"],
  );
  const fallback =
    readHelmEnv({ AWS_DEFAULT_REGION: "us-east-1", AWS_ENDPOINT_URL: "http://all.example" }).aws;
  assert.deepEqual([fallback.region, fallback.endpointUrl], ["us-east-1", "http://all.example"]);
});

Deno.test("cosign: HELM_FASTCS_COSIGN names the executable (else cosign on PATH); an empty COSIGN_PASSWORD is a password", () => {
  assert.equal(readHelmEnv({}).cosignBin, "cosign");
  assert.equal(readHelmEnv({ HELM_FASTCS_COSIGN: "/opt/cosign" }).cosignBin, "/opt/cosign");
  assert.equal(readHelmEnv({}).cosignPassword, undefined);
  assert.equal(readHelmEnv({ COSIGN_PASSWORD: "" }).cosignPassword, "");
  assert.equal(readHelmEnv({ COSIGN_PASSWORD: "s3cret" }).cosignPassword, "s3cret");
});
