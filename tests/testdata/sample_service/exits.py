"""A program for the debug tests that ends as soon as it runs (right after the debugger attaches, in launch
mode), with the exit code given as its argument."""
import sys

print("exits.py ending with", sys.argv[1], flush=True)
sys.exit(int(sys.argv[1]))
