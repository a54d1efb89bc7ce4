// `publish --cosign-key`: every chart at an OCI target is signed with cosign by its manifest digest, the
// digest that was pushed and read back (or found already there with our content), never a tag. The key
// and its password are proven before anything is pushed, by deriving the public key; after the pushes, a
// chart already published is signed only when no signature of this key is there yet, so a rerun after a
// failed signing completes it.
import { join } from "node:path";
import { type Cosign, type CosignFailure, digestReference } from "../adapters/cosign.ts";
import type { pLimit } from "../deps/concurrency.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import type { CosignSigning, PublishResult } from "./model.ts";
import type { Target } from "./targets.ts";

/** Where the password came from, for messages (never the password itself). */
function passwordSource(o: CosignSigning): string {
  return o.passwordFile ? `--cosign-password-file ${o.passwordFile}` : "COSIGN_PASSWORD";
}

/**
 * Proves that `o.key` can sign: derives its public key into `scratch` with `cosign public-key`, which
 * decrypts the private key with its password. Signs nothing and needs no registry.
 *
 * @returns the public key file, used to find the signatures this key already made
 * @throws FastcsError (nothing pushed yet) exit 6 for a wrong or missing password, cosign missing or
 *   failing; exit 5 for a key that cannot be read.
 */
export async function checkSigningKey(
  ctx: Context,
  cosign: Cosign,
  o: CosignSigning,
  scratch: string,
): Promise<string> {
  const publicKey = join(scratch, "cosign.pub");
  const r = await cosign.publicKey(o.key, publicKey);
  if (!r.failure) return publicKey;
  const key = ctx.display(o.key);
  const nothing = "Nothing was pushed.";
  const problems: Partial<Record<CosignFailure, [string, string]>> = {
    "bad password": [
      `the password of cosign key ${key} is wrong (it came from ${passwordSource(o)})`,
      `Give the password the key was generated with in COSIGN_PASSWORD or a file named by --cosign-password-file. ${nothing}`,
    ],
    "no password": [
      `no password for cosign key ${key}: COSIGN_PASSWORD is not set and there is no terminal to ask on`,
      `Set COSIGN_PASSWORD (to the empty string for a key generated without one) or give --cosign-password-file FILE; a password never goes on the command line. ${nothing}`,
    ],
    "bad key": [
      `cannot read cosign key ${key}: ${r.reason}`,
      `--cosign-key takes a cosign private key (cosign generate-key-pair writes cosign.key) or a KMS URI. ${nothing}`,
    ],
  };
  const [message, hint] = problems[r.failure] ??
    [`cosign cannot use key ${key}: ${r.reason}`, `See cosign's message. ${nothing}`];
  throw new FastcsError(message, {
    code: `publish.cosign-key`,
    exitCode: r.failure === "bad key" ? ExitCode.input : ExitCode.environment,
    hint,
  });
}

/** Words for a signing failure after the push: what failed and what to do next, in one sentence. */
function signingProblem(failure: CosignFailure, reason: string): string {
  const next: Partial<Record<CosignFailure, string>> = {
    "tlog unreachable":
      "the transparency log cannot be reached; for a private or offline registry sign with --cosign-tlog=false",
    unauthorized:
      "the registry refused cosign's credentials (cosign uses Helm's registry config: log in with helm registry login or --registry-username)",
    unreachable: "the registry cannot be reached; rerun to sign (pushed charts are not pushed again)",
  };
  // The row names the reference already: cosign's "signing [REF@sha256:…]: " prefix only repeats it.
  const own = reason.replace(/^signing \[[^\]]*\]: /, "");
  return `${own}${next[failure] ? ` (${next[failure]})` : ""}`;
}

/**
 * Signs, by manifest digest, every chart `jobs` pushed or found already published at an OCI target;
 * `result.signature` says what happened to each: `signed` (by this run), `already signed` (a signature of
 * this key was there: verified with `publicKey`), `not signed` (why in `signatureError`: a failure after
 * the push, such as an unreachable registry or transparency log, or an interrupt). A result without a
 * digest is not signed: a tag can move. In a dry run nothing is signed: `would sign` for what would be
 * pushed, or is published without a signature of this key. Never throws for a failed signing: the
 * summary reports it.
 */
export async function signPublished(
  cosign: Cosign,
  publicKey: string,
  jobs: { target: Target; result: PublishResult }[],
  o: CosignSigning,
  limit: ReturnType<typeof pLimit>,
  dryRun: boolean,
  stopRequested?: () => boolean,
): Promise<void> {
  await Promise.all(jobs.map(({ target, result }) =>
    limit(async () => {
      if (target.kind !== "oci") return;
      if (dryRun && result.status === "would push") return Object.assign(result, { signature: "would sign" });
      if (result.status !== "pushed" && result.status !== "already published") return;
      const notSigned = (why: string) =>
        Object.assign(result, { signature: "not signed", signatureError: why });
      if (!result.digest) return notSigned("the registry reported no manifest digest to sign");
      const reference = digestReference(target.base, result.chart, result.digest);
      const options = { transport: target.transport, tlog: o.tlog };
      if (result.status === "already published") {
        const found = await cosign.verify(reference, publicKey, options);
        if (!found.failure) return Object.assign(result, { signature: "already signed" });
        if (found.failure !== "no signature" && found.failure !== "bad signature") {
          return notSigned(`looking for its signature: ${signingProblem(found.failure, found.reason)}`);
        }
      }
      if (dryRun) return Object.assign(result, { signature: "would sign" });
      if (stopRequested?.()) return notSigned("interrupted before it was signed; rerun to sign it");
      const signed = await cosign.sign(reference, o.key, options);
      if (signed.failure) return notSigned(signingProblem(signed.failure, signed.reason));
      Object.assign(result, { signature: "signed" });
    })
  ));
}
