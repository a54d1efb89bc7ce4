// Text diffs (`diff`). See src/deps/cli.ts for why one file per library.
export { createTwoFilesPatch, structuredPatch } from "diff";
