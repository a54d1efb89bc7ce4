import assert from "node:assert/strict";
import { ExitCode } from "../runtime/errors.ts";
import { renderError } from "./render.ts";
import type { Environment } from "./config.ts";

const prod: Environment = {
  name: "prod",
  kubeContext: "prod-cluster",
  namespace: "controls",
  release: "prod-{service}",
  values: [],
  protected: false,
};
const otherwise = { code: "promote.render", exitCode: ExitCode.refused };

// Helm 4's stderr under HELM_DEBUG (slog lines), then its error, as `helm template` prints them.
const debugThenError = [
  'level=DEBUG msg="Original chart version" version=1.2.0',
  'level=DEBUG msg="CHART PATH" path=/tmp/x/web-1.2.0.tgz',
  'Error: template: web/templates/deployment.yaml:12:20: executing "web/templates/deployment.yaml" at <.Values.image.tag>: nil pointer evaluating interface {}.tag',
].join("\n");

Deno.test("a failed render names Helm's error only, never the debug log HELM_DEBUG put before it", () => {
  const e = renderError({ stderr: debugThenError }, false, prod, "rendering web 1.2.0", otherwise);
  assert.equal(e.exitCode, ExitCode.refused);
  assert.match(
    e.message,
    /^rendering web 1\.2\.0 failed: Error: template: web\/templates\/deployment\.yaml:12:20: /,
  );
  assert.doesNotMatch(e.message, /level=DEBUG|CHART PATH/);
});

Deno.test("a server-side render that could not look up is the environment's problem, named by kube context and namespace", () => {
  const stderr = `${
    debugThenError.split("\n")[0]
  }\nError: template: web/templates/secret.yaml:1:4: executing "web/templates/secret.yaml" at <lookup "v1" "Secret" "controls" "db">: error calling lookup: secrets "db" is forbidden`;
  const e = renderError({ stderr }, true, prod, "rendering web 1.2.0", otherwise);
  assert.equal(e.exitCode, ExitCode.environment);
  assert.match(e.message, /against namespace controls, kube context prod-cluster failed: template: /);
  assert.doesNotMatch(e.message, /level=DEBUG/);
});

Deno.test("a failed render under HELM_DEBUG with Helm 3: its error, without the trace and Go stack Helm 3 writes after it", () => {
  // `HELM_DEBUG=1 helm3 template x chart` with a values.yaml that is no YAML (stack cut).
  const stderr = [
    'install.go:225: 2026-11-21 20:16:12.610583202 +0000 UTC m=+0.050092357 [debug] Original chart version: ""',
    "",
    "Error: cannot load values.yaml: error converting YAML to JSON: yaml: line 1: did not find expected node content",
    "helm.go:86: 2026-11-21 20:16:12.611185085 +0000 UTC m=+0.050694230 [debug] error converting YAML to JSON: yaml: line 1: did not find expected node content",
    "cannot load values.yaml",
    "helm.sh/helm/v3/pkg/chart/loader.LoadFiles",
    "\thelm.sh/helm/v3/pkg/chart/loader/load.go:108",
    "runtime.goexit",
    "\truntime/asm_amd64.s:1700",
    "",
  ].join("\n");
  const e = renderError({ stderr }, false, prod, "rendering web 1.2.0", otherwise);
  assert.equal(
    e.message,
    "rendering web 1.2.0 failed: Error: cannot load values.yaml: error converting YAML to JSON: yaml: line 1: did not find expected node content",
  );
});
