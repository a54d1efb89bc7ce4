// Reading tar archives (chart packages), streaming (`tar-stream`). See src/deps/cli.ts for why one file per
// library.
// @ts-types="npm:@types/tar-stream@3.1.5"
export { extract as tarExtract } from "tar-stream";
