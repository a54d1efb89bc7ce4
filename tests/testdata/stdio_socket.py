"""Stands for epics-containers' stdio-socket (itself a Python program) as PID 1 of an ioc-instance
container: it runs the command after `--` as its child and waits for it."""
import subprocess
import sys

sys.exit(subprocess.call(sys.argv[sys.argv.index("--") + 1:]))
