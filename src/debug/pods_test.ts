import assert from "node:assert/strict";
import type { FastcsError } from "../runtime/errors.ts";
import { chooseContainer, choosePod, type PodListing } from "./pods.ts";

const pod = (
  name: string,
  containers: string[],
  o: { ready?: boolean; annotation?: string } = {},
): PodListing => ({
  metadata: {
    name,
    ...(o.annotation ? { annotations: { "kubectl.kubernetes.io/default-container": o.annotation } } : {}),
  },
  spec: { containers: containers.map((c) => ({ name: c })) },
  status: { conditions: [{ type: "Ready", status: o.ready ? "True" : "False" }] },
});

Deno.test("the pod: the one asked for, else the first Ready by name, else the first to wait for", () => {
  const pods = [
    pod("web-b", ["app"], { ready: true }),
    pod("web-a", ["app"]),
    pod("web-c", ["app"], { ready: true }),
  ];
  assert.equal(choosePod(pods, undefined, "web")?.metadata.name, "web-b");
  assert.equal(choosePod(pods, "web-a", "web")?.metadata.name, "web-a");
  assert.equal(choosePod([pod("web-x", ["app"])], undefined, "web")?.metadata.name, "web-x");
  assert.equal(choosePod([], undefined, "web"), undefined);
  assert.equal(choosePod([], "web-a", "web"), undefined, "none yet: waited for");
  assert.throws(() => choosePod(pods, "nope", "web"), (e: FastcsError) => {
    assert.equal(e.exitCode, 5);
    assert.match(e.hint!, /web-a, web-b, web-c/);
    return true;
  });
});

Deno.test("the container: asked, annotated default, the only one, the fastcs chart's; else a clear refusal", () => {
  assert.equal(chooseContainer(pod("p", ["app", "sidecar"]), "sidecar", "r"), "sidecar");
  assert.equal(chooseContainer(pod("p", ["app", "sidecar"], { annotation: "app" }), undefined, "r"), "app");
  assert.equal(chooseContainer(pod("p", ["ioc"]), undefined, "r"), "ioc");
  assert.equal(chooseContainer(pod("p", ["fastcs", "proxy"]), undefined, "r"), "fastcs");
  for (
    const [p, asked, message] of [
      [pod("p", ["app", "sidecar"]), undefined, /several containers and none is its default/],
      [pod("p", ["app"]), "fastcs", /has no container fastcs/],
    ] as const
  ) {
    assert.throws(() => chooseContainer(p, asked, "r"), (e: FastcsError) => {
      assert.match(e.message, message);
      assert.match(e.hint!, /Its containers: app/);
      return true;
    });
  }
});
