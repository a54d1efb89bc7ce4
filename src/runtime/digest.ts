// SHA-256 as the tools print it: one helper for package digests, the schema URL cache and promote's diffs.

/**
 * The SHA-256 of bytes (or of a string's UTF-8 bytes), as lower-case hex (64 characters), as `sha256sum`
 * prints it.
 */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
