// Shared by the debug tests and the debug benchmark: the sample Python service that simulated pods run
// (tests/testdata), the python with debugpy that scripts/setup.sh keeps, and `helm fastcs debug` run in the
// background as Helm runs it, against a test cluster.
import { join } from "node:path";
import { REPO, spawnCli, tool, toolsBin } from "../helpers.ts";
import type { TestCluster } from "./cluster.ts";

/** Folder of the sample service (`python -m sample_service`, console script `sample-service`). */
export const SAMPLE = join(REPO, "tests/testdata");

/** The folder scripts/setup.sh keeps whose only entry is `python`: the tool cache's python with debugpy. */
export const PY_BIN = join(toolsBin(), "..", "py-bin");

/** The variables Helm gives the plugin for `cluster`'s kube context staging; `pathPrefix` goes first on PATH. */
export function debugEnv(cluster: TestCluster, pathPrefix = ""): Record<string, string> {
  return {
    HELM_BIN: tool("helm4"),
    HELM_KUBECONTEXT: "staging",
    HELM_NAMESPACE: "staging",
    KUBECONFIG: cluster.kubeconfig,
    PATH: `${pathPrefix}${toolsBin()}:${Deno.env.get("PATH")}`,
  };
}

/** `helm fastcs debug ARGS` run as Helm runs it ({@link debugEnv}), in the background. */
export function startPlugin(cluster: TestCluster, args: string[], pathPrefix = "") {
  const child = spawnCli(["debug", ...args], { env: debugEnv(cluster, pathPrefix) });
  const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stderr = "";
  (async () => {
    for await (const t of child.stderr.pipeThrough(new TextDecoderStream())) stderr += t;
  })();
  return {
    child,
    stderr: () => stderr,
    /** The session facts (-o json: one indented JSON document) once the plugin says debugpy is ready. */
    async facts(): Promise<{ localPort: number; pod: string; mode: string; command: string[] }> {
      let text = "";
      while (!text.includes("\n}\n")) {
        const { value, done } = await stdout.read();
        if (done) throw new Error(`the plugin ended before it was ready:\n${stderr}`);
        text += value;
      }
      return JSON.parse(text.slice(0, text.indexOf("\n}\n") + 2));
    },
  };
}
