import assert from "node:assert/strict";
import { mergeLaunchJson } from "./launch_json.ts";
import { findFastcsValues, launchTarget, releaseProfile } from "./values.ts";

const fastcs = {
  autostart: false,
  debugCommand: ["sleep", "infinity"],
  editable: true,
  command: ["python", "-m", "svc"],
  args: ["--x"],
  debugPort: 6000,
};

Deno.test("fastcs values are found at the root or under a sub-chart key (name or alias)", () => {
  assert.deepEqual(findFastcsValues(fastcs), {
    key: "",
    autostart: false,
    editable: true,
    command: ["python", "-m", "svc"],
    args: ["--x"],
    debugPort: 6000,
    nameLabel: "fastcs",
  });
  const umbrella = { global: { site: "p47" }, ioc: { ...fastcs, nameOverride: "ioc" }, other: { a: 1 } };
  const found = findFastcsValues(umbrella);
  assert.ok(!("candidates" in found));
  assert.deepEqual([found.key, found.nameLabel], ["ioc", "ioc"]);
  assert.equal((findFastcsValues({ ioc: fastcs }) as { nameLabel: string }).nameLabel, "ioc");
  assert.deepEqual(findFastcsValues({ a: fastcs, b: fastcs }), { candidates: ["a", "b"] });
  assert.equal((findFastcsValues({ a: fastcs, b: fastcs }, "b") as { key: string }).key, "b");
  assert.deepEqual(findFastcsValues({ image: {} }), { candidates: [] });
});

Deno.test("the program to launch is read from command and args", () => {
  assert.deepEqual(launchTarget(["python", "-m", "svc"], ["--x"]), {
    kind: "module",
    module: "svc",
    args: ["--x"],
  });
  assert.deepEqual(launchTarget(["/venv/bin/python3", "-u", "main.py"], ["a"]), {
    kind: "file",
    file: "main.py",
    args: ["a"],
  });
  assert.deepEqual(launchTarget(["run.py"], []), { kind: "file", file: "run.py", args: [] });
  // The interpreter's options end at the file or at -m: a -m after the file is the program's own argument.
  assert.deepEqual(launchTarget(["python", "tool.py", "-m", "fast"], []), {
    kind: "file",
    file: "tool.py",
    args: ["-m", "fast"],
  });
  assert.deepEqual(launchTarget(["python3", "-W", "ignore", "-X", "dev", "app.py"], ["a"]), {
    kind: "file",
    file: "app.py",
    args: ["a"],
  });
  assert.deepEqual(launchTarget(["python", "-u", "-msvc", "--port", "1"], []), {
    kind: "module",
    module: "svc",
    args: ["--port", "1"],
  });
  // python -c CODE: the code, then the program's own arguments (a -m after it is one of them).
  assert.deepEqual(launchTarget(["python", "-u", "-c", "import svc; svc.main()"], ["-m", "x"]), {
    kind: "code",
    code: "import svc; svc.main()",
    args: ["-m", "x"],
  });
  assert.deepEqual(launchTarget(["python", "-cimport svc"], []), {
    kind: "code",
    code: "import svc",
    args: [],
  });
  assert.equal(launchTarget(["python", "-c"], []), undefined);
  assert.deepEqual(launchTarget(["fastcs-example"], ["ioc", "P47"]), {
    kind: "script",
    script: "fastcs-example",
    args: ["ioc", "P47"],
  });
  assert.equal(launchTarget([], []), undefined);
});

Deno.test("launch.json: the configuration is added or replaced by name, others kept, JSONC read", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/.vscode/launch.json`;
  await mergeLaunchJson(file, { name: "helm fastcs debug svc", port: 1 });
  await Deno.writeTextFile(
    file,
    (await Deno.readTextFile(file)).replace(
      '"configurations": [',
      '// mine\n  "configurations": [\n    {"name": "Python: current file", "type": "debugpy"},',
    ),
  );
  await mergeLaunchJson(file, { name: "helm fastcs debug svc", port: 2 });
  const doc = JSON.parse(await Deno.readTextFile(file));
  assert.deepEqual(doc.configurations, [{ name: "Python: current file", type: "debugpy" }, {
    name: "helm fastcs debug svc",
    port: 2,
  }]);
  assert.equal(doc.version, "0.2.0");
  await Deno.writeTextFile(file, "{ not json");
  await assert.rejects(mergeLaunchJson(file, { name: "x" }), /is not valid JSON/);
});

Deno.test("launch.json: a compound replaces its namesake and the configurations that one started, not others", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/launch.json`;
    const workers = (...pids: number[]) => pids.map((pid) => ({ name: `helm fastcs debug web PID ${pid}` }));
    const compound = (...pids: number[]) => ({
      name: "helm fastcs debug web (all workers)",
      configurations: workers(...pids).map((w) => w.name),
    });
    await mergeLaunchJson(file, { name: "Python: current file" });
    await mergeLaunchJson(file, workers(10, 11), compound(10, 11));
    await mergeLaunchJson(file, { name: "helm fastcs debug web PID 99" }); // not started by the compound
    // A later session: the server's workers have new PIDs (11 stayed).
    await mergeLaunchJson(file, workers(11, 12), compound(11, 12));
    const doc = JSON.parse(await Deno.readTextFile(file));
    assert.deepEqual(doc.configurations.map((c: { name: string }) => c.name), [
      "Python: current file",
      "helm fastcs debug web PID 99",
      "helm fastcs debug web PID 11",
      "helm fastcs debug web PID 12",
    ]);
    assert.deepEqual(doc.compounds, [compound(11, 12)]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the profile: fastcs values, ioc-instance values, or a plain release", () => {
  assert.deepEqual(releaseProfile({ ioc: fastcs }, "p47").name, "fastcs");
  assert.deepEqual(releaseProfile({ "ioc-instance": { image: "x" }, global: {} }, "bl01"), {
    name: "ioc-instance",
    key: "ioc-instance",
  });
  assert.deepEqual(releaseProfile({ replicaCount: 2, image: {} }, "web"), { name: "plain" });
  assert.throws(
    () => releaseProfile({ a: fastcs, b: fastcs }, "p47"),
    /release p47 holds several fastcs sub-charts \(a, b\)/,
  );
  assert.throws(() => releaseProfile({ a: fastcs }, "p47", "c"), /none under --values-key c/);
});
