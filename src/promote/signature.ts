// `promote --cosign-verify KEY`: the cosign signature of the chart digest Helm pulled (the bytes that will be
// installed) must verify with the user's public key.
import type { RegistryTransport } from "../adapters/helm.ts";
import { type Cosign, type CosignFailure, digestReference } from "../adapters/cosign.ts";
import { ExitCode, type ExitCodeValue, FastcsError } from "../runtime/errors.ts";

/** How a pulled chart's signature is checked (`promote --cosign-verify KEY [--cosign-tlog=false]`). */
export interface SignatureCheck {
  /** A cosign public key file (absolute) or KMS URI. */
  publicKey: string;
  /** Ask the transparency log for an inclusion proof, as cosign does (false: signed with no upload). */
  tlog: boolean;
  /** The key as the user named it, for messages. */
  shown: string;
}

/**
 * Verifies the cosign signature of the digest Helm pulled (the bytes that will be installed) with the
 * public key of `check`. `chartRepository` is the project file's `oci://` address the chart was pulled from.
 *
 * @returns undefined when a signature verifies, else why not (unsigned, signed with another key), naming
 *   the chart, its digest and the key
 * @throws FastcsError when the signature cannot be checked: exit 5 (the key cannot be read), 6 (cosign
 *   missing, the transparency log unreachable), 9 (the registry cannot be reached or refused cosign)
 */
export async function checkSignature(
  cosign: Cosign,
  chartRepository: string,
  chart: string,
  version: string,
  digest: string | undefined,
  check: SignatureCheck,
  transport: RegistryTransport,
): Promise<string | undefined> {
  const base = chartRepository;
  if (!digest) {
    return `${chart} ${version} (${base}/${chart}): Helm reported no manifest digest for it, so no signature can be checked`;
  }
  const reference = digestReference(base, chart, digest);
  const r = await cosign.verify(reference, check.publicKey, { transport, tlog: check.tlog });
  if (!r.failure) return undefined;
  const what = `${chart} ${version} (${reference})`;
  switch (r.failure) {
    case "no signature":
      return `${what}: not signed (no cosign signature at all)`;
    case "bad signature":
      return `${what}: signed, but by no signature that ${check.shown} verifies (${r.reason})`;
  }
  const hints: Partial<Record<CosignFailure, [ExitCodeValue, string]>> = {
    "bad key": [ExitCode.input, "--cosign-verify takes a cosign public key (cosign.pub) or a KMS URI."],
    "tlog unreachable": [
      ExitCode.environment,
      "The transparency log cannot be reached: for signatures made with --cosign-tlog=false (private or offline registries) verify with --cosign-tlog=false too.",
    ],
    unauthorized: [
      ExitCode.publishFailed,
      "cosign uses Helm's registry credentials (HELM_REGISTRY_CONFIG): log in with helm registry login.",
    ],
    unreachable: [ExitCode.publishFailed, "Check the registry address and --plain-http."],
  };
  const [exitCode, hint] = hints[r.failure] ?? [ExitCode.environment, "See cosign's message."];
  throw new FastcsError(`cannot check the cosign signature of ${what} with ${check.shown}: ${r.reason}`, {
    code: "promote.signature-check",
    exitCode,
    hint: `${hint} Nothing was changed.`,
  });
}
