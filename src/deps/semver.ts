// SemVer 2.0.0 (npm's `semver`). See src/deps/cli.ts for why one file per library.
// @ts-types="npm:@types/semver@7.8.0"
import semverModule from "semver";
/** The SemVer 2.0.0 implementation npm uses (https://semver.org). */
export const semver = semverModule;
