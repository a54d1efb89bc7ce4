// install-binary.sh in binary mode, run by dash (no bash-isms), against a local HTTP server that serves
// a release layout (<url>/v<version>/helm-fastcs-<os>-<arch>.tar.gz and SHA256SUMS). The archives hold a
// STAND-IN executable (a shell script printing the version): the real one is built by `deno compile`,
// which needs Deno's runtime download that this machine cannot reach. `uname` is a stand-in too (a shim
// on PATH), so that every platform's choice of asset is exercised.
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import { helmHomes, pathWithout, REPO, run, tool } from "../helpers.ts";
import { type TempDir, tempDir } from "../support/files.ts";

const version = /^version: (.+)$/m.exec(await Deno.readTextFile(join(REPO, "plugin.yaml")))![1];

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A release folder with one archive per platform (`<os>-<arch>`), each holding bin/helm-fastcs (a zip
 * with bin/helm-fastcs.exe for windows, as `deno task compile` packs them) that prints its platform.
 */
async function release(platforms: string[], tamper?: string): Promise<TempDir> {
  const dir = await tempDir("fastcs-release-");
  const out = join(dir.path, `v${version}`);
  await Deno.mkdir(out);
  const sums: string[] = [];
  for (const p of platforms) {
    const windows = p.startsWith("windows-");
    const exe = windows ? "bin/helm-fastcs.exe" : "bin/helm-fastcs";
    await using stage = await tempDir();
    await Deno.mkdir(join(stage.path, "bin"));
    await Deno.writeTextFile(join(stage.path, exe), `#!/bin/sh\necho "${version} (stand-in for ${p})"\n`);
    await Deno.chmod(join(stage.path, exe), 0o755);
    const name = `helm-fastcs-${p}.${windows ? "zip" : "tar.gz"}`;
    const archive = join(out, name);
    const packed = windows
      ? await run("zip", ["-q", "-r", archive, "bin"], { cwd: stage.path })
      : await run("tar", ["-czf", archive, "-C", stage.path, "bin"]);
    assert.equal(packed.code, 0, packed.stderr);
    sums.push(`${await sha256(archive)}  ${name}`);
  }
  await Deno.writeTextFile(join(out, "SHA256SUMS"), sums.join("\n") + "\n");
  if (tamper) {
    await Deno.writeTextFile(join(out, `helm-fastcs-${tamper}.tar.gz`), "not the archive that was summed");
  }
  return dir;
}

/** A static server of `root`; as a proxy too (the path of an absolute request URI is served). Disposing of it
 * closes it. */
function serve(root: string) {
  const requests: string[] = [];
  const hosts: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    requests.push(path);
    hosts.push(req.headers.get("host") ?? "");
    try {
      return new Response(await Deno.readFile(join(root, path)));
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const url = `http://127.0.0.1:${server.addr.port}`;
  return { url, requests, hosts, [Symbol.asyncDispose]: () => server.shutdown() };
}

/** A plugin folder without sources (as from a release tarball), and a `uname` shim; both removed when disposed. */
async function pluginDir(
  system: string,
  machine: string,
): Promise<{ dir: string; shim: string } & AsyncDisposable> {
  const dir = await tempDir("fastcs-plugin-");
  await Deno.copyFile(join(REPO, "plugin.yaml"), join(dir.path, "plugin.yaml"));
  await Deno.copyFile(join(REPO, "install-binary.sh"), join(dir.path, "install-binary.sh"));
  const shim = await tempDir();
  await Deno.writeTextFile(
    join(shim.path, "uname"),
    `#!/bin/sh\ncase "$1" in -s) echo ${system} ;; -m) echo ${machine} ;; *) echo ${system} ;; esac\n`,
  );
  await Deno.chmod(join(shim.path, "uname"), 0o755);
  return {
    dir: dir.path,
    shim: shim.path,
    async [Symbol.asyncDispose]() {
      await dir[Symbol.asyncDispose]();
      await shim[Symbol.asyncDispose]();
    },
  };
}

function install(dir: string, shim: string, env: Record<string, string>) {
  return run("dash", [join(dir, "install-binary.sh")], {
    env: { HELM_PLUGIN_DIR: dir, PATH: `${shim}:/usr/bin:/bin`, HOME: dir, ...env },
  });
}

Deno.test("binary mode picks the asset of each platform, verifies it and installs it", async () => {
  const platforms = ["linux-amd64", "linux-arm64", "darwin-amd64", "darwin-arm64"];
  await using rel = await release(platforms);
  await using srv = serve(rel.path);
  for (
    const [system, machine, expected] of [
      ["Linux", "x86_64", "linux-amd64"],
      ["Linux", "aarch64", "linux-arm64"],
      ["Darwin", "x86_64", "darwin-amd64"],
      ["Darwin", "arm64", "darwin-arm64"],
    ]
  ) {
    await using plugin = await pluginDir(system, machine);
    const r = await install(plugin.dir, plugin.shim, { HELM_FASTCS_RELEASE_URL: srv.url });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(srv.requests.includes(`/v${version}/helm-fastcs-${expected}.tar.gz`), `${system}/${machine}`);
    const v = await run(join(plugin.dir, "bin/helm-fastcs"), ["--version"]);
    assert.equal(v.stdout.trim(), `${version} (stand-in for ${expected})`);
  }
});

Deno.test("Windows (Git for Windows' sh): the zip asset, bin/helm-fastcs.exe as plugin.yaml's windows command names it, binary mode even beside sources", async () => {
  await using rel = await release(["windows-amd64", "linux-amd64"]);
  await using srv = serve(rel.path);
  await using plugin = await pluginDir("MINGW64_NT-10.0-19045", "x86_64");
  // Sources and a Deno beside the plugin: on Linux auto mode would take source mode.
  await Deno.mkdir(join(plugin.dir, "src"));
  await Deno.writeTextFile(join(plugin.dir, "src/main.ts"), "");
  await Deno.writeTextFile(join(plugin.dir, "deno.lock"), "{}");
  const env = { HELM_FASTCS_RELEASE_URL: srv.url, HELM_FASTCS_DENO: tool("deno") };
  const r = await install(plugin.dir, plugin.shim, env);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(srv.requests.includes(`/v${version}/helm-fastcs-windows-amd64.zip`), srv.requests.join(" "));
  const manifest = parse(await Deno.readTextFile(join(plugin.dir, "plugin.yaml")));
  const command: string = manifest.platformCommand.find((c: { os: string }) => c.os === "windows").command;
  const exe = command.replace("$HELM_PLUGIN_DIR", plugin.dir).replaceAll("\\", "/");
  assert.equal(exe, join(plugin.dir, "bin/helm-fastcs.exe"));
  assert.equal((await run(exe, ["--version"])).stdout.trim(), `${version} (stand-in for windows-amd64)`);

  const forced = await install(plugin.dir, plugin.shim, { ...env, HELM_FASTCS_INSTALL: "source" });
  assert.notEqual(forced.code, 0);
  assert.match(forced.stderr, /HELM_FASTCS_INSTALL=source is for Linux and macOS; on Windows use binary/);
});

Deno.test("a checksum mismatch, a missing asset and an unknown platform fail the install, leaving nothing", async () => {
  await using rel = await release(["linux-amd64"], "linux-amd64");
  await using srv = serve(rel.path);
  await using tampered = await pluginDir("Linux", "x86_64");
  const bad = await install(tampered.dir, tampered.shim, { HELM_FASTCS_RELEASE_URL: srv.url });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /checksum mismatch for helm-fastcs-linux-amd64\.tar\.gz/);
  await assert.rejects(Deno.stat(join(tampered.dir, "bin/helm-fastcs")), Deno.errors.NotFound);

  await using missing = await pluginDir("Darwin", "arm64");
  const r = await install(missing.dir, missing.shim, { HELM_FASTCS_RELEASE_URL: srv.url });
  assert.notEqual(r.code, 0);
  assert.match(
    r.stderr,
    /could not download .*helm-fastcs-darwin-arm64\.tar\.gz \(is there a release v.* for darwin\/arm64\?\)/,
  );

  await using odd = await pluginDir("Linux", "riscv64");
  const o = await install(odd.dir, odd.shim, { HELM_FASTCS_RELEASE_URL: srv.url });
  assert.notEqual(o.code, 0);
  assert.match(o.stderr, /no release build for the architecture riscv64 on linux/);

  await using noUrl = await pluginDir("Linux", "x86_64");
  const n = await install(noUrl.dir, noUrl.shim, {});
  assert.notEqual(n.code, 0);
  assert.match(n.stderr, /no release URL is known for binary downloads/);
});

Deno.test("behind a proxy: curl, or wget when curl is missing, download through it; no temporary files are left", async () => {
  await using rel = await release(["linux-amd64"]);
  await using srv = serve(rel.path);
  // releases.invalid cannot resolve: the install only succeeds through the proxy (the test server).
  const env = { HELM_FASTCS_RELEASE_URL: "http://releases.invalid", http_proxy: srv.url };
  for (const missing of ["none", "curl"]) {
    await using plugin = await pluginDir("Linux", "x86_64");
    await using tmp = await tempDir();
    await using withoutCurl = missing === "none" ? undefined : await pathWithout("curl");
    const path = withoutCurl?.path ?? "/usr/bin:/bin";
    const r = await run("dash", [join(plugin.dir, "install-binary.sh")], {
      env: {
        HELM_PLUGIN_DIR: plugin.dir,
        PATH: `${plugin.shim}:${path}`,
        HOME: plugin.dir,
        TMPDIR: tmp.path,
        ...env,
      },
    });
    assert.equal(r.code, 0, `${missing} missing: ${r.stderr}`);
    assert.equal((await run(join(plugin.dir, "bin/helm-fastcs"), ["--version"])).code, 0);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(tmp.path)), [], "temporary files left");
  }
  const once = [`/v${version}/helm-fastcs-linux-amd64.tar.gz`, `/v${version}/SHA256SUMS`];
  assert.deepEqual(srv.requests, [...once, ...once]); // curl's install, then wget's
  assert.ok(srv.hosts.every((h) => h === "releases.invalid"), srv.hosts.join(" "));

  // A failed install leaves no temporary files either.
  await using plugin = await pluginDir("Linux", "x86_64");
  await using tmp = await tempDir();
  const bad = await run("dash", [join(plugin.dir, "install-binary.sh")], {
    env: {
      HELM_PLUGIN_DIR: plugin.dir,
      PATH: `${plugin.shim}:/usr/bin:/bin`,
      HOME: plugin.dir,
      TMPDIR: tmp.path,
      HELM_FASTCS_RELEASE_URL: `${srv.url}/nothing`,
    },
  });
  assert.notEqual(bad.code, 0);
  assert.deepEqual(await Array.fromAsync(Deno.readDir(tmp.path)), [], "temporary files left after a failure");
});

Deno.test("air-gapped: a local archive, verified against a local SHA256SUMS", async () => {
  await using rel = await release(["linux-amd64"]);
  await using plugin = await pluginDir("Linux", "x86_64");
  const archive = join(rel.path, `v${version}`, "helm-fastcs-linux-amd64.tar.gz");
  const r = await install(plugin.dir, plugin.shim, {
    HELM_FASTCS_ARCHIVE: archive,
    HELM_FASTCS_SHA256SUMS: join(rel.path, `v${version}`, "SHA256SUMS"),
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /installing from the local archive/);
  assert.equal((await run(join(plugin.dir, "bin/helm-fastcs"), ["--version"])).code, 0);
});

Deno.test("helm plugin install of a source-less plugin folder downloads the binary (Helm 4)", async () => {
  await using rel = await release(["linux-amd64"]);
  await using srv = serve(rel.path);
  await using plugin = await pluginDir("Linux", "x86_64");
  await using home = await tempDir();
  const env = {
    ...helmHomes(home.path),
    HELM_FASTCS_RELEASE_URL: srv.url,
    HOME: home.path,
    PATH: "/usr/bin:/bin",
  };
  const r = await run(tool("helm4"), ["plugin", "install", plugin.dir], { env });
  assert.equal(r.code, 0, r.stderr);
  const v = await run(tool("helm4"), ["fastcs", "--version"], { env });
  assert.match(v.stdout, new RegExp(`^${version.replace(/\./g, "\\.")} \\(stand-in for linux-amd64\\)`));
});
