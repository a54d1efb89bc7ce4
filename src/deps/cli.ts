// The command-line parser (commander, with typed options). Every third-party library enters the project
// through one file of src/deps/, so that swapping one is a one-file change and a command loads only the
// libraries it uses.
export { Command, CommanderError, Option } from "@commander-js/extra-typings";
