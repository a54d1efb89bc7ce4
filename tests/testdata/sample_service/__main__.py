import sys
import time


def tick(n: int) -> int:
    total = n * 2  # breakpoint line 6
    return total


def main() -> int:
    print("sample service started", sys.argv[1:], flush=True)
    n = 0
    while True:
        tick(n)
        n += 1
        time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(main())
