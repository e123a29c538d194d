# Pure-Python CPU workload for bench/cpu.sh. It times itself so that
# interpreter start-up is excluded; the harness parses the "compute_ms=" line.
import time


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


N = 3_000_000
start = time.perf_counter()
total = 0
for i in range(N):
    total += i * i
f = fib(25)
elapsed_ms = (time.perf_counter() - start) * 1000.0

# Check the results so a broken run cannot pass as a fast one.
assert total == (N - 1) * N * (2 * N - 1) // 6, total
assert f == 75025, f
print(f"compute_ms={elapsed_ms:.1f}")
