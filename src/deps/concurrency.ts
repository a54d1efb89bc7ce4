// A concurrency limit for promises (`p-limit`). See src/deps/cli.ts for why one file per library.
export { default as pLimit } from "p-limit";
