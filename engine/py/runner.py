# vivarium's execution runner, loaded once per interpreter at boot. `run` executes one
# piece of user code in __main__ and reports what the execution API needs: the final
# expression as JSON text, the files it created or changed, and a python3-style error.
import ast
import json
import linecache
import math
import os
import stat
import sys
import time
import traceback

import __main__

HOME = "/home/earth"
_RUNNER_FILE = "<vivarium>"
# path -> (size, mtime_ns, digest) as last seen, so that unchanged files are not re-read.
_known_files = {}


def _file_digest(path):
    # Imported on first use: hashlib is not in the memory snapshot, and importing it cost
    # every boot 8 ms although most programs leave no file to hash.
    import hashlib

    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.digest()


def _scan_home():
    """Maps every regular file under HOME to a content digest."""
    state = {}
    recent = (time.time() - 2) * 1e9  # timestamps are coarse: re-hash recently touched files
    for dirpath, _dirnames, filenames in os.walk(HOME):
        for name in filenames:
            path = os.path.join(dirpath, name)
            try:
                st = os.stat(path)
                if not stat.S_ISREG(st.st_mode):
                    continue
                rel = os.path.relpath(path, HOME)
                known = _known_files.get(rel)
                if known and known[0] == st.st_size and known[1] == st.st_mtime_ns and st.st_mtime_ns < recent:
                    digest = known[2]
                else:
                    digest = _file_digest(path)
                _known_files[rel] = (st.st_size, st.st_mtime_ns, digest)
                state[rel] = digest
            except OSError:
                continue
    for rel in list(_known_files):
        if rel not in state:
            del _known_files[rel]
    return state


def _changed_files(before):
    after = _scan_home()
    files = []
    for rel in sorted(after):
        if before.get(rel) != after[rel]:
            try:
                with open(os.path.join(HOME, rel), "rb") as f:
                    files.append([rel, f.read()])
            except OSError:
                pass
    return files


_INT64 = (-(2**63), 2**63 - 1)


def _is_json_native(value, depth=0):
    if depth > 100:
        return False
    if value is None or isinstance(value, (bool, str)):
        return True
    if isinstance(value, int):
        return _INT64[0] <= value <= _INT64[1]
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (list, tuple)):
        return all(_is_json_native(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json_native(v, depth + 1) for k, v in value.items())
    return False


def _final_expression_json(value):
    try:
        if _is_json_native(value):
            return json.dumps(value, allow_nan=False, ensure_ascii=False)
    except (ValueError, TypeError, RecursionError):
        pass
    try:
        text = repr(value)
    except BaseException as error:  # a hostile __repr__ must not fail the request
        text = f"<{type(value).__name__} object: repr() failed with {type(error).__name__}>"
    return json.dumps(text, ensure_ascii=False)


def _explain_missing_package(error):
    """Names the Pyodide package behind a failed import, and how to add it."""
    if not isinstance(error, ModuleNotFoundError) or not error.name:
        return
    package = _official_imports.get(error.name.split(".")[0])  # noqa: F821 (set by the host)
    if package is None:
        return
    error.msg = (
        f"No module named '{error.name}': the Pyodide package '{package}' is not installed in this "
        "vivarium. Add the official Pyodide package distribution (make packages), or point "
        "--packages-dir / VIVARIUM_PACKAGES_DIR at a folder of Pyodide wheels with its pyodide-lock.json"
    )


def _user_traceback(error, filename):
    """python3's traceback text without the runner's own frames, plus the user's line."""
    _explain_missing_package(error)
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == _RUNNER_FILE:
        tb = tb.tb_next
    error.__traceback__ = tb
    text = "".join(traceback.format_exception(type(error), error, tb))
    line = None
    if isinstance(error, SyntaxError) and error.filename == filename:
        line = error.lineno
    walk = tb
    while walk is not None:
        if walk.tb_frame.f_code.co_filename == filename:
            line = walk.tb_lineno
        walk = walk.tb_next
    last = traceback.format_exception_only(type(error), error)[-1].strip()
    return {
        "exception": type(error).__name__,
        "message": last,
        "traceback": text,
        "line": line,
    }


class _Outcome:
    def __init__(self, before, filename):
        self.before = before
        self.filename = filename
        self.final = "null"
        self.error = None
        self.exit_code = None

    def fail(self, error):
        if isinstance(error, SystemExit):
            code = error.code
            if code is None:
                self.exit_code = 0
            elif isinstance(code, int) and not isinstance(code, bool):
                self.exit_code = code
            else:
                print(code, file=sys.stderr)
                self.exit_code = 1
            return
        self.error = _user_traceback(error, self.filename)

    def report(self):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        return {
            "final": self.final,
            "files": _changed_files(self.before),
            "error": self.error,
            "exit_code": self.exit_code,
        }


def _compile(code, filename):
    # Register the source so that tracebacks show the offending lines, as python3 does.
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    tree = compile(code, filename, "exec", ast.PyCF_ONLY_AST | flags)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = compile(ast.Expression(tree.body.pop().value), filename, "eval", flags)
    body = compile(tree, filename, "exec", flags)
    return body, last


def _is_coroutine_code(code):
    return bool(code.co_flags & 0x80)  # CO_COROUTINE: the code used top-level await


def _bind_globals(namespace, globals_json):
    """Names bound before the code runs (MCP's global_variables): a JSON object."""
    values = json.loads(globals_json)
    if not isinstance(values, dict):
        raise TypeError(f"global variables must be a JSON object, not {type(values).__name__}")
    for name in values:
        if not name.isidentifier():
            raise ValueError(f"global variable name {name!r} is not a Python identifier")
    namespace.update(values)


def run(code, filename, argv, reseed=False, globals_json=""):
    if reseed:
        _random.seed()
    outcome = _Outcome(_scan_home(), filename)
    namespace = __main__.__dict__
    if argv:
        sys.argv = list(argv)
    if not filename.startswith("<"):
        namespace["__file__"] = filename
    try:
        if globals_json:
            _bind_globals(namespace, globals_json)
        body, last = _compile(code, filename)
        if _is_coroutine_code(body) or (last is not None and _is_coroutine_code(last)):
            return _run_async(outcome, body, last, namespace)
        exec(body, namespace)
        if last is not None:
            outcome.final = _final_expression_json(eval(last, namespace))
    except BaseException as error:
        outcome.fail(error)
    return outcome.report()


async def _run_async(outcome, body, last, namespace):
    try:
        result = eval(body, namespace)
        if _is_coroutine_code(body):
            await result
        if last is not None:
            value = eval(last, namespace)
            if _is_coroutine_code(last):
                value = await value
            outcome.final = _final_expression_json(value)
    except BaseException as error:
        outcome.fail(error)
    return outcome.report()


def _interruptible_sleep(seconds):
    """time.sleep that sleeps in the host (no busy-wait) and honours KeyboardInterrupt.

    Emscripten's nanosleep spins the CPU and never looks at Pyodide's interrupt buffer,
    so a sleeping program could neither be timed out nor leave a core idle."""
    if not isinstance(seconds, (int, float)):
        seconds = float(seconds)  # raises TypeError like time.sleep for nonsense
    if seconds != seconds or seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        _host_sleep(min(remaining, 0.1) * 1000)  # noqa: F821 (injected by the host)


time.sleep = _interruptible_sleep

# matplotlib draws without a display, and plt.show() saves the open figures as PNG files
# in the working directory (figure-1.png, figure-2.png, ... numbered per session), so
# that they come back as output files.
_MATPLOTLIB_BACKEND = """
from matplotlib.backends.backend_agg import FigureCanvasAgg as FigureCanvas  # noqa: F401
from matplotlib.backend_bases import FigureManagerBase as FigureManager  # noqa: F401
from matplotlib._pylab_helpers import Gcf

_shown = 0


def show(*args, **kwargs):
    global _shown
    for manager in Gcf.get_all_fig_managers():
        _shown += 1
        manager.canvas.figure.savefig(f"figure-{_shown}.png", format="png")
    Gcf.destroy_all()
"""


class _EmbeddedModules:
    """Finds and loads modules whose source the host embedded: the matplotlib backend above
    and vivarium's offline micropip with its PEP 440 / PEP 508 module. Each is compiled only
    when first imported."""

    # name -> (source, filename, names the module's code expects to find)
    SOURCES = {
        "_vivarium_matplotlib_backend": (_MATPLOTLIB_BACKEND, "<vivarium matplotlib backend>", {}),
        "micropip": (_micropip_source, "<vivarium micropip>", _micropip_settings),  # noqa: F821 (set by the host)
        "_vivarium_pep440": (_pep440_source, "<vivarium pep440>", {}),  # noqa: F821 (set by the host)
    }

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name not in cls.SOURCES:
            return None
        import importlib.util

        return importlib.util.spec_from_loader(name, cls)

    @staticmethod
    def create_module(spec):
        return None

    @classmethod
    def exec_module(cls, module):
        source, filename, settings = cls.SOURCES[module.__name__]
        module.__dict__.update(settings)
        exec(compile(source, filename, "exec"), module.__dict__)


os.environ["MPLBACKEND"] = "module://_vivarium_matplotlib_backend"
# First, so that vivarium's micropip wins over any other on sys.path.
sys.meta_path.insert(0, _EmbeddedModules)

# A restored memory snapshot (or a forked zygote) carries the generator state it was
# made with: reseed from OS entropy so that no two interpreters share random numbers.
import random as _random

_random.seed()

try:
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
except (AttributeError, ValueError):
    pass
