// A GnuPG signing key for the tests that sign charts or plugins, in the legacy keyring files Helm reads.
import { join } from "node:path";
import { run } from "../helpers.ts";
import { tempDir } from "./files.ts";

/** A key in a folder of its own; disposing of it stops its gpg-agent and removes the folder. */
export interface SigningKey extends AsyncDisposable {
  /** The folder: GnuPG's home (home/), the keyrings, and room for what a test builds with them. */
  dir: string;
  /** The secret keyring (for `helm package --sign --keyring`). */
  secring: string;
  /** The public keyring (for `helm verify --keyring`). */
  pubring: string;
}

/** A new RSA signing key without passphrase for `uid` (e.g. "Chart Signer <signer@example.org>"). */
export async function signingKey(uid: string, prefix = "fastcs-gpg-"): Promise<SigningKey> {
  const dir = await tempDir(prefix);
  const env = { GNUPGHOME: join(dir.path, "home") };
  await Deno.mkdir(env.GNUPGHOME, { mode: 0o700 });
  const gen = await run("gpg", [
    "--batch",
    "--passphrase",
    "",
    "--quick-gen-key",
    uid,
    "rsa2048",
    "sign",
    "never",
  ], {
    env,
  });
  if (gen.code !== 0) throw new Error(`gpg --quick-gen-key: ${gen.stderr}`);
  const secring = join(dir.path, "secring.gpg");
  const pubring = join(dir.path, "pubring.gpg");
  for (const [file, args] of [[secring, ["--export-secret-keys"]], [pubring, ["--export"]]] as const) {
    const out = await new Deno.Command("gpg", { args: ["--batch", ...args], env, stdout: "piped" }).output();
    await Deno.writeFile(file, out.stdout);
  }
  return {
    dir: dir.path,
    secring,
    pubring,
    async [Symbol.asyncDispose]() {
      await run("gpgconf", ["--kill", "gpg-agent"], { env });
      await dir[Symbol.asyncDispose]();
    },
  };
}
