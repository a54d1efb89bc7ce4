// helm fastcs debug's pathMappings for a program run from an installed package, with real debugpy on the
// local control plane: the simulated container's PID 1 runs the sample service installed in a virtual
// environment's site-packages (`python -m sample_service`, then its console script), from a working folder
// that holds no source. The remote root is the package's folder in site-packages, found in the container
// with the process's own interpreter; `--local-root` names a local project checkout (src/sample_service),
// and a breakpoint set in that local copy binds and is hit.
import assert from "node:assert/strict";
import { join } from "node:path";
import { freePort, run } from "../helpers.ts";
import { startCluster } from "../support/cluster.ts";
import {
  breakInTick,
  installWeb,
  PY_BIN,
  SAMPLE,
  simulatedContainer,
  startPlugin,
} from "../support/debug.ts";
import { tempDir } from "../support/files.ts";

interface Facts {
  localPort: number;
  pid: number;
  attachConfiguration: { pathMappings: { localRoot: string; remoteRoot: string }[] };
}

Deno.test("helm fastcs debug: an installed package maps its folder in site-packages onto the local checkout", async (t) => {
  const port = freePort();
  await using container = await simulatedContainer();
  await using cluster = await startCluster({
    execWorkDir: SAMPLE,
    execEnv: { PATH: `${container.binDir}:/usr/bin:/bin`, PYTHONDONTWRITEBYTECODE: "1" },
    forwards: { [port]: port },
  });
  await using work = await tempDir("fastcs-installed-");
  // The "image": a virtual environment with the sample service installed (its package and dist-info copied
  // into site-packages, as pip would) and its console script; the program runs from an empty folder.
  const venv = join(work.path, "venv");
  const made = await run(join(PY_BIN, "python"), ["-m", "venv", "--without-pip", venv]);
  assert.equal(made.code, 0, made.stderr);
  const version =
    (await run(join(venv, "bin/python"), ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]))
      .stdout.trim();
  const sitePackages = join(venv, "lib", `python${version}`, "site-packages");
  for (const entry of ["sample_service", "sample_service-0.1.0.dist-info"]) {
    assert.equal((await run("cp", ["-a", join(SAMPLE, entry), sitePackages])).code, 0);
  }
  await Deno.writeTextFile(
    join(venv, "bin/sample-service"),
    `#!${venv}/bin/python\nimport sys\nfrom sample_service.__main__ import main\nsys.exit(main())\n`,
  );
  await Deno.chmod(join(venv, "bin/sample-service"), 0o755);
  const elsewhere = join(work.path, "run");
  await Deno.mkdir(elsewhere);
  // The local checkout: a project folder with the source under src/.
  const project = join(work.path, "checkout");
  await Deno.mkdir(join(project, "src"), { recursive: true });
  assert.equal((await run("cp", ["-a", join(SAMPLE, "sample_service"), join(project, "src")])).code, 0);

  await installWeb(cluster, work.path);

  for (
    const [how, argv] of [
      ["python -m sample_service", [join(venv, "bin/python"), "-m", "sample_service"]],
      ["the console script sample-service", [join(venv, "bin/sample-service")]],
    ] as const
  ) {
    await t.step(`${how}: remoteRoot is the package's folder in site-packages`, async () => {
      await container.run([...argv], elsewhere);
      const plugin = startPlugin(cluster, [
        "web",
        "--remote-port",
        String(port),
        "--local-root",
        project,
        "-o",
        "json",
        "--timeout",
        "60",
      ]);
      const facts = await plugin.facts() as unknown as Facts;
      const mapping = {
        localRoot: join(project, "src/sample_service"),
        remoteRoot: join(sitePackages, "sample_service"),
      };
      assert.deepEqual(facts.attachConfiguration.pathMappings, [mapping]);
      assert.match(
        plugin.stderr(),
        new RegExp(`source: package sample_service installed in ${sitePackages}; pathMappings`),
      );
      const hit = await breakInTick(facts.localPort, mapping, join(mapping.localRoot, "__main__.py"));
      assert.deepEqual([hit.path, hit.line], [join(project, "src/sample_service/__main__.py"), 6]);
      await hit.client.request("disconnect", { terminateDebuggee: false });
      hit.client.close();
      plugin.child.kill("SIGINT");
      assert.equal((await plugin.child.status).code, 130, plugin.stderr());
    });
  }
});
