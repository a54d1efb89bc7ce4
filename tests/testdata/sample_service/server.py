"""A multi-process server for the debug tests, shaped like gunicorn: the parent starts worker processes
(each ticking like the sample service) and waits for them."""
import argparse
import subprocess
import sys


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    n = parser.parse_args().workers
    workers = [subprocess.Popen([sys.executable, "-m", "sample_service", f"worker-{i}"]) for i in range(n)]
    return max(w.wait() for w in workers)


if __name__ == "__main__":
    sys.exit(main())
