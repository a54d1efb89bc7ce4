import assert from "node:assert/strict";
import { parseYamlSource } from "../chart/yaml_source.ts";
import { findImageProblems } from "./images.ts";

const values = [
  "image:",
  "  repository: nginx",
  "  tag: latest",
  "sidecar:",
  "  image: busybox",
  "pinned:",
  "  image: busybox:1.36",
  "digested:",
  "  image: busybox@sha256:abc",
  "debugImage:",
  "  repository: x",
  "jobs:",
  "  - image: registry:5000/tools/cli",
  "unused:",
  "  image:",
  "    repository: ''",
  "    tag: latest",
  "empty:",
  "  image:",
  "    repository: app",
  "    tag: ''",
].join("\n");

Deno.test("images with :latest or no tag are found with position and path", () => {
  const problems = findImageProblems(parseYamlSource("values.yaml", values), "1.0.0");
  assert.deepEqual(
    problems.map((p) => `${p.position.line}:${p.position.column} ${p.path} ${p.reference} ${p.problem}`),
    [
      "3:8 image.tag nginx:latest uses :latest",
      "5:10 sidecar.image busybox has no tag",
      "11:3 debugImage x has no tag",
      "13:12 jobs[0].image registry:5000/tools/cli has no tag",
    ],
  );
});

Deno.test("an empty tag means the appVersion, which then must be a real version", () => {
  const text = "image:\n  repository: app\n  tag: ''\n";
  assert.deepEqual(findImageProblems(parseYamlSource("v.yaml", text), "1.2.3"), []);
  assert.equal(findImageProblems(parseYamlSource("v.yaml", text), "latest")[0].problem, "uses :latest");
  assert.equal(findImageProblems(parseYamlSource("v.yaml", text), undefined)[0].problem, "has no tag");
});

Deno.test("the fastcs chart's own values pass", async () => {
  const text = await Deno.readTextFile(new URL("../../charts/fastcs/values.yaml", import.meta.url));
  assert.deepEqual(findImageProblems(parseYamlSource("values.yaml", text), "0.1.0"), []);
});
