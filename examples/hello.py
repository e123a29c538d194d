"""A first vivarium program: CPython in WebAssembly, inside V8, inside vivarium."""
import platform
import sys

name = sys.argv[1] if len(sys.argv) > 1 else "world"
print(f"Hello, {name}! This is Python {platform.python_version()} on {sys.platform}.")
squares = [n * n for n in range(10)]
print("squares:", squares, "sum:", sum(squares))
