// Why attaching debugpy to a running process failed, and what to do about it.

/**
 * Why `python -m debugpy --pid N` failed, from its output (and kubectl's): the line that says why (gdb
 * missing, ptrace refused, no debugpy; else the last line, at most 200 characters) and what to do. The
 * patterns are those of debugpy 1.8's gdb-based injection on Linux: `/bin/sh: 1: gdb: not found` (then a
 * CalledProcessError quoting the whole gdb command line), gdb's `ptrace: Operation not permitted.`, and
 * Python's `No module named debugpy`.
 */
export function attachFailure(output: string): { reason: string; hint: string } {
  const lines = output.split("\n").map((l) => l.trim()).filter(Boolean);
  const line = (re: RegExp) => lines.find((l) => re.test(l));
  const noGdb = line(/\bgdb: (command )?not found|No such file or directory: '?gdb'?/);
  const refused = line(/ptrace: Operation not permitted|ptrace.*(EPERM|not permitted)/i);
  const noDebugpy = line(/No module named '?debugpy'?/);
  const reason = (noGdb ?? refused ?? noDebugpy ?? lines.at(-1) ?? "no output").slice(0, 200);
  let hint = "See debugpy's message above.";
  if (noGdb) hint = "Attaching needs gdb in the image: add it to the (debug) image, or set autostart: false.";
  else if (refused) {
    hint =
      "The kernel refused ptrace: run as the same user as the program with ptrace_scope 0, or add the SYS_PTRACE capability " +
      "(securityContext.capabilities.add: [SYS_PTRACE] in the release's values); non-root runAsUser pods do not get it. " +
      "Or set autostart: false and let helm fastcs debug launch the program.";
  } else if (noDebugpy) {
    hint = "Install debugpy in the image (pip install debugpy), or use the debug image (editable: true).";
  }
  return { reason, hint };
}
