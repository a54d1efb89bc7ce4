// Where the debugged program's source is, in the container and locally, for the attach configuration's
// pathMappings: the package a Python process runs (`python -m pkg`, a console script, a file) is looked up
// in the container with the process's own interpreter, working folder and environment, so that an
// installed package maps its folder in site-packages (and a dev container's editable install its
// /workspaces/<project> folder) onto the local checkout.
import { basename, join, posix } from "node:path";

/**
 * Python (3.6+, standard library) that defines `find_source(args)`: where the top-level module of the
 * command line `args` (what follows the interpreter: `-m MOD …`, a console script's path, a file) is, as
 * the running interpreter sees it from its working folder: `{'module': MOD or None, 'path': the package's
 * folder, the module's file or the file run, or None}`. A console script is found by its name among the
 * installed distributions' console_scripts entry points; modules are found with
 * importlib.util.find_spec, which does not import them. Used by {@link SOURCE_SCRIPT} and by the container
 * inspector (src/debug/processes.ts) for a command line about to be launched.
 */
export const FIND_SOURCE = `def find_source(args):
    import importlib.util, os, sys
    mod = None
    path = None
    i = 0
    while i < len(args):
        a = args[i]
        if a == '-m' and i + 1 < len(args):
            mod = args[i + 1]
        elif a.startswith('-m') and len(a) > 2:
            mod = a[2:]
        elif a in ('-X', '-W'):
            i += 2
            continue
        elif a.startswith('-') and a != '-':
            if a.startswith('-c'):
                break
            i += 1
            continue
        elif a != '-':
            try:
                import importlib.metadata as md
                eps = md.entry_points()
                eps = eps.select(group='console_scripts') if hasattr(eps, 'select') else eps.get('console_scripts', [])
                mod = next((e.value.split(':')[0].strip() for e in eps if e.name == os.path.basename(a)), None)
            except Exception:
                mod = None
            if not mod:
                path = os.path.abspath(a)
        break
    if mod:
        sys.path.insert(0, os.getcwd())
        try:
            spec = importlib.util.find_spec(mod.split('.')[0])
        except Exception:
            spec = None
        if spec:
            locations = list(spec.submodule_search_locations or [])
            path = os.path.abspath(locations[0] if locations else spec.origin)
    return {'module': mod, 'path': path}`;

/**
 * Run with the container's python as `python -c SOURCE_SCRIPT PID`: reads the process's command line,
 * working folder and environment from /proc, then runs {@link FIND_SOURCE} with the interpreter the
 * process was started with (argv[0], looked up on the process's PATH; else /proc/PID/exe), in that folder
 * and environment, so it sees the process's sys.path. Prints one JSON {@link FoundSource}.
 */
export const SOURCE_SCRIPT = `import json, os, shutil, subprocess, sys
FIND = r'''
${FIND_SOURCE}
import json, sys
print(json.dumps(find_source(json.loads(sys.argv[1]))))
'''
def read(p):
    with open(p, 'rb') as f:
        return f.read()
try:
    pid = sys.argv[1]
    argv = [a.decode('utf-8', 'replace') for a in read('/proc/%s/cmdline' % pid).rstrip(b'\\0').split(b'\\0')]
    cwd = os.readlink('/proc/%s/cwd' % pid)
    env = dict(x.decode('utf-8', 'replace').split('=', 1) for x in read('/proc/%s/environ' % pid).split(b'\\0') if b'=' in x)
    python = argv[0]
    if '/' not in python:
        python = shutil.which(python, path=env.get('PATH', os.defpath)) or os.readlink('/proc/%s/exe' % pid)
    r = subprocess.run([python, '-c', FIND, json.dumps(argv[1:])], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    out = json.loads(r.stdout.decode()) if r.returncode == 0 else {'module': None, 'path': None}
    out['error'] = None if r.returncode == 0 else (r.stderr.decode('utf-8', 'replace').strip().splitlines() or ['exit code %d' % r.returncode])[-1]
except Exception as e:
    out = {'module': None, 'path': None, 'error': '%s: %s' % (type(e).__name__, e)}
print(json.dumps(out))`;

/** What {@link SOURCE_SCRIPT} found. */
export interface FoundSource {
  /** The module run (`-m`, or a console script's entry point's module), or null for a file. */
  module: string | null;
  /** The top-level package's folder, the module's file, or the file run; null when not found. */
  path: string | null;
  /** Why nothing was found (the interpreter failed, /proc unreadable), or null. */
  error?: string | null;
}

/** The source root in the container, and the name of the package folder when it is one. */
export interface RemoteSource {
  remoteRoot: string;
  /** The package's folder name (`mypkg`) when remoteRoot is that package's folder in site-packages. */
  package?: string;
  /** How it was found, for messages: `package mypkg in site-packages`, `project folder /workspaces/x`. */
  why: string;
}

/**
 * The remote source root from where the program's module is: `/workspaces/<project>` for anything under
 * /workspaces (a dev container, or the fastcs chart's editable PVC); the top-level package's folder under
 * a `site-packages` or `dist-packages` folder (an installed package); the folder of a single-file module
 * there. Anything else (a package beside the working folder, a file elsewhere) gives undefined: the
 * working folder is the better root then.
 */
export function remoteSource(found: FoundSource): RemoteSource | undefined {
  const path = found.path;
  if (!path || !path.startsWith("/")) return undefined;
  const workspace = /^\/workspaces\/[^/]+/.exec(path);
  if (workspace) return { remoteRoot: workspace[0], why: `project folder ${workspace[0]}` };
  const installed = /^(.*\/(?:site|dist)-packages)\/([^/]+)/.exec(path);
  if (!installed) return undefined;
  const [, packages, first] = installed;
  const isFile = first.endsWith(".py") || first.endsWith(".pyc") || /\.(so|pyd)$/.test(first);
  if (isFile) return { remoteRoot: packages, why: `module ${first} in ${packages}` };
  return {
    remoteRoot: posix.join(packages, first),
    package: first,
    why: `package ${first} installed in ${packages}`,
  };
}

/**
 * The local folder that matches a remote package folder: `localRoot` itself when it is named after the
 * package, else its `src/<package>` or `<package>` folder when there is one (a project checkout), else
 * `localRoot` as given.
 */
export async function localPackageRoot(localRoot: string, pkg: string): Promise<string> {
  if (basename(localRoot) === pkg) return localRoot;
  for (const candidate of [join(localRoot, "src", pkg), join(localRoot, pkg)]) {
    try {
      if ((await Deno.stat(candidate)).isDirectory) return candidate;
    } catch { /* not there */ }
  }
  return localRoot;
}
