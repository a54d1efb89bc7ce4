import assert from "node:assert/strict";
import { ATTACH_SCRIPT, type AttachOutcome } from "./attach.ts";

// The injector run by a real python on this machine, with stand-ins for debugpy's injector (`sh -c …`): what
// decides whether to inject is /proc, which is real here.
const python = "python3";

async function injector(port: number, pid: number, argv: string[], wait = 0.3) {
  const r = await new Deno.Command(python, {
    args: ["-c", ATTACH_SCRIPT, String(port), String(pid), String(wait), ...argv],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(r.stdout);
  return { code: r.code, stdout, outcome: r.code === 0 ? JSON.parse(stdout) as AttachOutcome : undefined };
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("the injector: a port already listened on is reported with its process, and nothing is injected", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  try {
    const marker = await Deno.makeTempFile();
    const r = await injector(port, Deno.pid, ["sh", "-c", `echo ran > ${marker}`]);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.outcome?.result, "listening");
    assert.equal(r.outcome?.result === "listening" && r.outcome.holder?.pid, Deno.pid);
    assert.equal(await Deno.readTextFile(marker), "", "the injection did not run");
    await Deno.remove(marker);
  } finally {
    listener.close();
  }
});

Deno.test("the injector: an injection after which nothing listens is said (with its output), not waited for", async () => {
  const port = freePort();
  const r = await injector(port, Deno.pid, ["sh", "-c", "echo injected, but listen failed"]);
  assert.deepEqual(r.outcome, {
    result: "not-listening",
    waitedSeconds: 0.3,
    output: "injected, but listen failed\n",
  });
});

Deno.test("the injector: the injection's listener is found; a failed injection passes its output and code on", async () => {
  const port = freePort();
  const listen =
    `import socket, time; s = socket.socket(); s.bind(('127.0.0.1', ${port})); s.listen(); time.sleep(5)`;
  // The stand-in leaves a listener behind, as debugpy's injection leaves its adapter.
  const r = await injector(port, Deno.pid, [
    "sh",
    "-c",
    `${python} -c "${listen}" >/dev/null 2>&1 & sleep 0.1`,
  ], 5);
  assert.equal(r.outcome?.result, "injected", r.stdout);
  const holder = r.outcome?.result === "injected" ? r.outcome.holder : undefined;
  assert.match(holder?.cmdline ?? "", /import socket/);
  Deno.kill(holder!.pid, "SIGKILL");

  const failed = await injector(freePort(), Deno.pid, [
    "sh",
    "-c",
    "echo 'ptrace: Operation not permitted.'; exit 3",
  ]);
  assert.equal(failed.code, 3);
  assert.equal(failed.stdout, "ptrace: Operation not permitted.\n");
});

Deno.test("the injector: a process that has debugpy loaded (pydevd in its maps) and no listener is not injected again", async () => {
  // A process whose memory maps name pydevd: python with a file of that name mapped.
  const dir = await Deno.makeTempDir();
  try {
    const lib = `${dir}/pydevd_stand_in.so`;
    await Deno.writeFile(lib, new Uint8Array(4096));
    const holder = new Deno.Command(python, {
      args: [
        "-c",
        `import mmap, time; f = open('${lib}', 'rb'); m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ); print(1, flush=True); time.sleep(30)`,
      ],
      stdout: "piped",
    }).spawn();
    try {
      await holder.stdout.getReader().read();
      const r = await injector(freePort(), holder.pid, ["sh", "-c", "echo should not run"]);
      assert.deepEqual(r.outcome, { result: "loaded" });
    } finally {
      holder.kill("SIGKILL");
      await holder.status;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
