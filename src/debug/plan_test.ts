import assert from "node:assert/strict";
import { fallbackSourceRoot } from "./plan.ts";

Deno.test("the source root before the package is found: --remote-root, an editable checkout's /workspaces folder, the working folder, /", () => {
  const o = { localRoot: "/home/alice/src/my-ioc/" };
  assert.equal(fallbackSourceRoot({ ...o, remoteRoot: "/opt/app" }, true, "/srv"), "/opt/app");
  assert.equal(
    fallbackSourceRoot(o, true, "/srv"),
    "/workspaces/my-ioc",
    "editable: the dev container's folder first",
  );
  assert.equal(fallbackSourceRoot(o, false, "/srv"), "/srv");
  assert.equal(fallbackSourceRoot(o, false, null), "/", "a working folder that could not be read");
});
