import assert from "node:assert/strict";
import { renderedImageProblems, renderedImages } from "./rendered_images.ts";

const MANIFEST = `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      initContainers: [{name: setup, image: "busybox"}]
      containers:
        - {name: app, image: "ghcr.io/o/app:1.2.3"}
        - {name: side, image: "registry:5000/side:latest"}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: job, image: "ghcr.io/o/job@sha256:${"a".repeat(64)}"}]
---
apiVersion: v1
kind: Pod
metadata: {name: debug}
spec:
  ephemeralContainers: [{name: dbg, image: "registry:5000/tools"}]
  containers: [{name: main, image: "nginx:1.27"}]
---
apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: Pod, metadata: {name: listed}, spec: {containers: [{name: c, image: "busybox:"}]}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {image: "not:latest"}
`;

Deno.test("rendered images: every container kind of every pod template; :latest and untagged refused", () => {
  assert.equal(renderedImages(MANIFEST).length, 7);
  assert.deepEqual(
    renderedImageProblems(MANIFEST).map((p) => `${p.resource} ${p.container} ${p.image} ${p.problem}`),
    [
      "Deployment/web side registry:5000/side:latest uses :latest",
      "Deployment/web init:setup busybox has no tag",
      "Pod/debug ephemeral:dbg registry:5000/tools has no tag",
      "Pod/listed c busybox: has no tag", // in a List, and an empty tag
    ],
  );
});
