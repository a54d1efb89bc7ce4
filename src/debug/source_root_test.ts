// Where the source is: the pure rules, SOURCE_SCRIPT run by a real python (python3 on PATH) on a real
// process, with a package installed in a virtual environment's site-packages, and the container inspector
// on a command line about to be launched.
import assert from "node:assert/strict";
import { join } from "node:path";
import { INSPECT_SCRIPT } from "./processes.ts";
import { localPackageRoot, remoteSource, SOURCE_SCRIPT } from "./source_root.ts";

Deno.test("remote source root: an installed package's folder, a dev container's project, else none", () => {
  const sp = "/venv/lib/python3.12/site-packages";
  assert.deepEqual(remoteSource({ module: "mypkg.cli", path: `${sp}/mypkg`, error: null }), {
    remoteRoot: `${sp}/mypkg`,
    package: "mypkg",
    why: `package mypkg installed in ${sp}`,
  });
  assert.deepEqual(
    remoteSource({ module: null, path: "/usr/lib/python3/dist-packages/tool/main.py", error: null })
      ?.remoteRoot,
    "/usr/lib/python3/dist-packages/tool",
  );
  assert.deepEqual(remoteSource({ module: "single", path: `${sp}/single.py`, error: null })?.remoteRoot, sp);
  assert.deepEqual(
    remoteSource({
      module: "fastcs_example",
      path: "/workspaces/fastcs-example/src/fastcs_example",
      error: null,
    }),
    { remoteRoot: "/workspaces/fastcs-example", why: "project folder /workspaces/fastcs-example" },
  );
  assert.equal(remoteSource({ module: "svc", path: "/app/svc", error: null }), undefined);
  assert.equal(remoteSource({ module: "svc", path: null, error: "boom" }), undefined);
});

Deno.test("local package root: the folder named after the package, else its src/<pkg> or <pkg>, else as given", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, "proj/src/mypkg"), { recursive: true });
    await Deno.mkdir(join(dir, "flat/mypkg"), { recursive: true });
    assert.equal(await localPackageRoot(join(dir, "proj"), "mypkg"), join(dir, "proj/src/mypkg"));
    assert.equal(await localPackageRoot(join(dir, "flat"), "mypkg"), join(dir, "flat/mypkg"));
    assert.equal(await localPackageRoot(join(dir, "flat/mypkg"), "mypkg"), join(dir, "flat/mypkg"));
    assert.equal(await localPackageRoot(join(dir, "proj"), "other"), join(dir, "proj"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SOURCE_SCRIPT and the inspector: python -m, a console script and a file, found with the process's interpreter and folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const venv = join(dir, "venv");
    const made = await new Deno.Command("python3", { args: ["-m", "venv", "--without-pip", venv] }).output();
    assert.equal(made.code, 0, new TextDecoder().decode(made.stderr));
    const version = new TextDecoder().decode(
      (await new Deno.Command(join(venv, "bin/python"), {
        args: ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
      }).output()).stdout,
    ).trim();
    const sp = join(venv, "lib", `python${version}`, "site-packages");
    await Deno.mkdir(join(sp, "mypkg"), { recursive: true });
    await Deno.writeTextFile(join(sp, "mypkg/__init__.py"), "");
    await Deno.writeTextFile(join(sp, "mypkg/__main__.py"), "import time\ntime.sleep(60)\n");
    await Deno.mkdir(join(sp, "mypkg-1.0.dist-info"));
    await Deno.writeTextFile(
      join(sp, "mypkg-1.0.dist-info/METADATA"),
      "Metadata-Version: 2.1\nName: mypkg\nVersion: 1.0\n",
    );
    await Deno.writeTextFile(
      join(sp, "mypkg-1.0.dist-info/entry_points.txt"),
      "[console_scripts]\nmy-tool = mypkg.__main__:main\n",
    );
    await Deno.writeTextFile(
      join(venv, "bin/my-tool"),
      `#!${venv}/bin/python\nimport time\ntime.sleep(60)\n`,
    );
    await Deno.chmod(join(venv, "bin/my-tool"), 0o755);
    const python = async (script: string, ...args: string[]) => {
      const r = await new Deno.Command("python3", { args: ["-c", script, ...args], cwd: dir }).output();
      assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
      return JSON.parse(new TextDecoder().decode(r.stdout));
    };
    const source = (pid: string) => python(SOURCE_SCRIPT, pid);
    const launched = async (args: string[]) => (await python(INSPECT_SCRIPT, JSON.stringify(args))).source;
    // A running process, started elsewhere (/): -m and a console script.
    for (
      const [module, argv] of [
        ["mypkg", [join(venv, "bin/python"), "-m", "mypkg"]],
        ["mypkg.__main__", [join(venv, "bin/my-tool")]],
      ] as const
    ) {
      const child = new Deno.Command(argv[0], { args: argv.slice(1), cwd: "/", stdout: "null" }).spawn();
      try {
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(await source(String(child.pid)), {
          module,
          path: join(sp, "mypkg"),
          error: null,
        });
      } finally {
        child.kill("SIGKILL");
        await child.status;
      }
    }
    // A command line to launch, seen by the inspector's python from its working folder.
    assert.deepEqual(await launched(["-Xfrozen_modules=off", "-m", "json.tool"]), {
      module: "json.tool",
      path: (await launched(["-m", "json"])).path,
    });
    assert.match((await launched(["-m", "json"])).path, /\/json$/);
    assert.deepEqual(await launched(["x/run.py", "--flag"]), { module: null, path: join(dir, "x/run.py") });
    assert.deepEqual(await launched(["-c", "print(1)"]), { module: null, path: null });
    assert.equal((await python(INSPECT_SCRIPT)).source, null);
    assert.match((await source("999999999")).error, /FileNotFoundError/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
