# vivarium's `micropip`: the familiar `await micropip.install(...)`, offline. It installs
# wheels from this vivarium's own folders only (the package folder of Pyodide wheels and
# the extra folder of pure-Python wheels) or from a wheel file inside the sandbox
# ("emfs:/home/earth/x.whl"), and fails with a clear message for anything else: there is
# no network here. Pyodide's own micropip is left out because it downloads from PyPI.
#
# The host sets, before this module runs:
#   _PACKAGE_DIR  the package folder ("" when there is none), for messages
#   _WHEEL_DIR    the extra wheel folder ("" when there is none)
#   _WHEEL_FILES  the pure-Python wheels that were in it when vivarium started
#
# Requirements follow PEP 508 (name, extras, version specifiers, environment markers)
# and versions PEP 440, for what wheel metadata uses in practice; Pyodide's bundle has
# no `packaging` library to do this for us.
import importlib
import io
import os
import re
import sys
import zipfile

import js
import pyodide_js
from pyodide._package_loader import get_install_dir, unpack_buffer
from pyodide.ffi import JsException, create_proxy, to_js

__all__ = ["install", "list"]
__version__ = "vivarium"

def _canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


# --- versions (PEP 440) ------------------------------------------------------------------

_VERSION = re.compile(
    r"^\s*v?(?:(?P<epoch>\d+)!)?(?P<release>\d+(?:\.\d+)*)"
    r"(?:[-_.]?(?P<pre_l>a|b|c|rc|alpha|beta|pre|preview)[-_.]?(?P<pre_n>\d*))?"
    r"(?:-(?P<post_n1>\d+)|[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>\d*))?"
    r"(?:[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>\d*))?"
    r"(?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$",
    re.IGNORECASE,
)
_PRE_ORDER = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}


class Version:
    def __init__(self, text):
        match = _VERSION.match(text)
        if not match:
            raise ValueError(f"invalid version: {text!r}")
        self.text = text.strip()
        self.release = tuple(int(part) for part in match["release"].split("."))
        epoch = int(match["epoch"] or 0)
        pre = None if match["pre_l"] is None else (_PRE_ORDER[match["pre_l"].lower()], int(match["pre_n"] or 0))
        post_text = match["post_n1"] or match["post_n2"]
        post = None if match["post_n1"] is None and match["post_l"] is None else int(post_text or 0)
        dev = None if match["dev_l"] is None else int(match["dev_n"] or 0)
        self.is_prerelease = pre is not None or dev is not None
        release = self.release
        while len(release) > 1 and release[-1] == 0:
            release = release[:-1]
        # The order PEP 440 gives: X.dev0 < X.a0 < X.a0.post0 < X < X.post0.
        if pre is None and post is None and dev is not None:
            pre_key = (0, 0, 0)
        elif pre is None:
            pre_key = (2, 0, 0)
        else:
            pre_key = (1, *pre)
        post_key = (0, 0) if post is None else (1, post)
        dev_key = (1, 0) if dev is None else (0, dev)
        self.is_postrelease = post is not None
        self.base = (epoch, release)
        self.public = (epoch, release, pre_key, post_key, dev_key)
        # A local version sorts after its public one; numeric segments after alphanumeric.
        self.local = match["local"]
        local_key = tuple(
            (1, int(part), "") if part.isdigit() else (0, 0, part.lower())
            for part in re.split(r"[-_.]", self.local or "")
            if part
        )
        self.key = (*self.public, local_key)

    def __eq__(self, other):
        return self.key == other.key

    def __lt__(self, other):
        return self.key < other.key

    def __le__(self, other):
        return self.key <= other.key

    def __hash__(self):
        return hash(self.key)

    def __repr__(self):
        return self.text


def _parse_version(text):
    try:
        return Version(text)
    except ValueError:
        return None


_CLAUSE = re.compile(r"^\s*(===|==|!=|~=|<=|>=|<|>)\s*([A-Za-z0-9.*+!_-]+)\s*$")


class Specifier:
    """A comma-separated set of version clauses such as ">=1.0,<2" (empty: any version)."""

    def __init__(self, text):
        self.text = text.strip()
        self.clauses = []
        body = self.text[1:-1] if self.text.startswith("(") and self.text.endswith(")") else self.text
        for part in body.split(","):
            if not part.strip():
                continue
            match = _CLAUSE.match(part)
            if not match:
                raise ValueError(f"invalid version specifier: {part.strip()!r}")
            op, version = match.groups()
            wildcard = version.endswith(".*")
            if op != "===" and _parse_version(version[:-2] if wildcard else version) is None:
                raise ValueError(f"invalid version in specifier: {part.strip()!r}")
            self.clauses.append((op, version))

    def names_prerelease(self):
        return any((v := _parse_version(text.removesuffix(".*"))) and v.is_prerelease for _, text in self.clauses)

    def contains(self, version):
        return all(_clause_holds(op, text, version) for op, text in self.clauses)

    def __str__(self):
        return self.text


def _prefix_matches(version, prefix_text):
    prefix = Version(prefix_text).release
    release = version.release + (0,) * max(0, len(prefix) - len(version.release))
    return release[: len(prefix)] == prefix


def _clause_holds(op, text, version):
    if op == "===":
        return version.text == text
    if text.endswith(".*"):
        matches = _prefix_matches(version, text[:-2])
        return matches if op == "==" else not matches
    wanted = Version(text)
    if op in ("==", "!="):
        # ==1.0 matches 1.0+anything; ==1.0+cpu only that local version.
        equal = version == wanted if wanted.local else version.public == wanted.public
        return equal if op == "==" else not equal
    if op == "<":
        # <V excludes V's own pre-releases, unless V is one (PEP 440).
        if not wanted.is_prerelease and version.is_prerelease and version.base == wanted.base:
            return False
        return version.public < wanted.public
    if op == "<=":
        return version.public <= wanted.public
    if op == ">":
        # >V excludes V's own post-releases, unless V is one (PEP 440).
        if not wanted.is_postrelease and version.is_postrelease and version.base == wanted.base:
            return False
        return wanted.public < version.public
    if op == ">=":
        return wanted.public <= version.public
    # ~=X.Y.Z means >=X.Y.Z, ==X.Y.*
    prefix = ".".join(str(part) for part in wanted.release[:-1]) or str(wanted.release[0])
    return wanted <= version and _prefix_matches(version, prefix)


# Imported lazily elsewhere: `platform`, `email` and `importlib.metadata` cost ~220 ms to
# import in Pyodide, more than a whole install.
_PYTHON_VERSION = "{}.{}.{}".format(*sys.version_info[:3])


# --- environment markers (PEP 508) --------------------------------------------------------

_MARKER_TOKEN = re.compile(
    r"\s*(?:(?P<paren>[()])|(?P<op>===|==|!=|~=|<=|>=|<|>|not\s+in\b|in\b)|(?P<bool>and\b|or\b)"
    r"|(?P<string>'[^']*'|\"[^\"]*\")|(?P<name>[A-Za-z_][A-Za-z0-9_.]*))"
)


def _marker_environment(extra):
    info = sys.implementation.version
    uname = os.uname()
    return {
        "python_version": f"{sys.version_info.major}.{sys.version_info.minor}",
        "python_full_version": _PYTHON_VERSION,
        "implementation_name": sys.implementation.name,
        "implementation_version": f"{info.major}.{info.minor}.{info.micro}",
        "os_name": os.name,
        "sys_platform": sys.platform,
        "platform_system": uname.sysname,
        "platform_machine": uname.machine,
        "platform_release": uname.release,
        "platform_version": uname.version,
        "platform_python_implementation": "CPython" if sys.implementation.name == "cpython" else sys.implementation.name,
        "extra": extra,
    }


def _tokenize_marker(text):
    tokens, position = [], 0
    while position < len(text.rstrip()):
        match = _MARKER_TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ValueError(f"invalid environment marker: {text!r}")
        kind = match.lastgroup
        value = match[kind]
        if kind == "op":
            value = " ".join(value.split())
        tokens.append((kind, value))
        position = match.end()
    return tokens


def _compare(left, op, right, is_extra):
    if is_extra:
        left, right = _canonical(left), _canonical(right)
    if op in ("in", "not in"):
        return (left in right) == (op == "in")
    lv, rv = _parse_version(left), _parse_version(right)
    if lv is not None and rv is not None and op != "===":
        return _clause_holds(op, right, lv)
    if op in ("==", "==="):
        return left == right
    if op == "!=":
        return left != right
    # Not two versions: plain string comparison, as PEP 508 prescribes.
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}.get(op, False)


def marker_holds(text, extra=""):
    """Evaluates an environment marker such as 'python_version >= "3.8" and extra == "x"'."""
    tokens = _tokenize_marker(text)
    environment = _marker_environment(extra)
    position = 0

    def peek():
        return tokens[position] if position < len(tokens) else (None, None)

    def take(kind=None):
        nonlocal position
        token = peek()
        if token[0] is None or (kind and token[0] != kind):
            raise ValueError(f"invalid environment marker: {text!r}")
        position += 1
        return token

    def value():
        kind, token = take()
        if kind == "string":
            return token[1:-1], False
        if kind == "name" and token in environment:
            return environment[token], token == "extra"
        raise ValueError(f"unknown name {token!r} in environment marker {text!r}")

    def atom():
        if peek() == ("paren", "("):
            take()
            result = expression()
            take("paren")
            return result
        left, left_extra = value()
        op = take("op")[1]
        right, right_extra = value()
        return _compare(left, op, right, left_extra or right_extra)

    def conjunction():
        result = atom()
        while peek() == ("bool", "and"):
            take()
            result = atom() and result
        return result

    def expression():
        result = conjunction()
        while peek() == ("bool", "or"):
            take()
            result = conjunction() or result
        return result

    result = expression()
    if position != len(tokens):
        raise ValueError(f"invalid environment marker: {text!r}")
    return result


# --- requirements -------------------------------------------------------------------------

_REQUIREMENT = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[(?P<extras>[^\]]*)\])?"
    r"\s*(?P<url>@\s*\S+)?\s*(?P<spec>[^;]*?)\s*(?:;\s*(?P<marker>.*))?$"
)


class Requirement:
    def __init__(self, text):
        match = _REQUIREMENT.match(text)
        if not match:
            raise ValueError(f"invalid requirement: {text!r}")
        if match["url"]:
            raise ValueError(f"cannot install {text!r}: vivarium has no network access, so direct URLs are not supported")
        self.text = text.strip()
        self.name = _canonical(match["name"])
        self.extras = {_canonical(e) for e in (match["extras"] or "").split(",") if e.strip()}
        try:
            self.specifier = Specifier(match["spec"] or "")
        except ValueError as error:
            raise ValueError(f"invalid requirement {text!r}: {error}") from None
        self.marker = match["marker"]

    def applies(self, extras=()):
        if not self.marker:
            return True
        return any(marker_holds(self.marker, extra) for extra in (set(extras) | {""}))


# --- where wheels come from ---------------------------------------------------------------


def _no_network(what):
    return ValueError(
        f"cannot install {what!r}: vivarium has no network access. micropip installs package names "
        "from this vivarium's package folder and wheel folder, or a wheel file inside the sandbox "
        "(emfs:/home/earth/NAME-VERSION-py3-none-any.whl)"
    )


def _where_looked():
    package_dir = _PACKAGE_DIR or "none configured (--packages-dir / VIVARIUM_PACKAGES_DIR)"  # noqa: F821
    wheel_dir = _WHEEL_DIR or "none configured (--wheels-dir / VIVARIUM_WHEELS_DIR)"  # noqa: F821
    return f"looked in the package folder: {package_dir}; and the wheel folder: {wheel_dir}"


def _read_host_wheel(file_name):
    try:
        buffer = js.readbuffer(f"{_WHEEL_DIR}/{file_name}")  # noqa: F821 (the host checks its sha256)
    except JsException as error:
        raise ValueError(f"cannot read {file_name}: {error.message}") from None
    return buffer.to_bytes()


def _read_sandbox_wheel(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as error:
        raise ValueError(f"cannot read the wheel {path}: {error.strerror}") from None


def _split_wheel_name(file_name):
    parts = file_name[: -len(".whl")].split("-")
    if not file_name.endswith(".whl") or len(parts) not in (5, 6):
        raise ValueError(f"{file_name!r} is not a wheel file name (name-version[-build]-python-abi-platform.whl)")
    return parts[0], parts[1], parts[-3], parts[-2], parts[-1]


def _parse_metadata(text):
    """The header fields of a core-metadata file (RFC 822 style): name -> list of values."""
    fields, name = {}, None
    for line in text.splitlines():
        if not line.strip():
            break  # the description body follows
        if line[0] in " \t" and name:
            fields[name][-1] += "\n" + line.strip()
            continue
        name, _, value = line.partition(":")
        name = name.strip().lower()
        fields.setdefault(name, []).append(value.strip())
    return fields


class _Wheel:
    def __init__(self, file_name, read, source):
        name, version, python_tag, abi, platform_tag = _split_wheel_name(file_name)
        if abi != "none" or platform_tag != "any" or not any(t.startswith("py3") for t in python_tag.split(".")):
            raise ValueError(
                f"{file_name} is not a pure-Python 3 wheel: only *-py3-none-any.whl wheels, or the Pyodide "
                "wheels of the package folder, can be installed"
            )
        self.file_name, self.name, self.version = file_name, _canonical(name), _parse_version(version)
        if self.version is None:
            raise ValueError(f"{file_name} has an invalid version {version!r}")
        self.source, self._read, self._bytes = source, read, None

    def bytes(self):
        if self._bytes is None:
            self._bytes = self._read()
        return self._bytes

    def metadata(self):
        try:
            with zipfile.ZipFile(io.BytesIO(self.bytes())) as archive:
                names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
                if len(names) != 1:
                    raise ValueError(f"{self.file_name} has no single .dist-info/METADATA: not a valid wheel")
                return _parse_metadata(archive.read(names[0]).decode("utf-8", "replace"))
        except zipfile.BadZipFile as error:
            raise ValueError(f"{self.file_name} is not a valid wheel: {error}") from None


def _folder_wheels():
    wheels = {}
    for file_name in _WHEEL_FILES:  # noqa: F821
        try:
            wheel = _Wheel(file_name, lambda f=file_name: _read_host_wheel(f), f"{_WHEEL_DIR}/{file_name}")  # noqa: F821
        except ValueError:
            continue
        wheels.setdefault(wheel.name, []).append(wheel)
    return wheels


def _lock_packages():
    """canonical name -> (lock key, version) for the package folder's Pyodide packages."""
    packages = {}
    lock = getattr(pyodide_js, "lockfile", None)
    entries = getattr(lock, "packages", None) if lock is not None else None
    if entries is None:
        return packages
    for key in js.Object.keys(entries):
        entry = getattr(entries, key)
        packages[_canonical(key)] = (key, str(getattr(entry, "version", "") or ""))
    return packages


def _installed_distributions():
    """canonical name -> (version, .dist-info path) for what sys.path holds."""
    found = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for dir_name in names:
            if dir_name.endswith(".dist-info") and "-" in dir_name:
                name, _, version = dir_name[: -len(".dist-info")].partition("-")
                found.setdefault(_canonical(name), (version, os.path.join(entry or ".", dir_name)))
    return found


def _requirements_of(dist_info):
    """The Requires-Dist lines of an installed distribution."""
    try:
        with open(os.path.join(dist_info, "METADATA"), encoding="utf-8") as f:
            return _parse_metadata(f.read()).get("requires-dist", [])
    except OSError:
        return []


# --- installing ---------------------------------------------------------------------------


class _Plan:
    def __init__(self, deps, pre):
        self.deps, self.pre = deps, pre
        self.lock = _lock_packages()
        self.folder = _folder_wheels()
        self.pyodide_packages = []  # lock keys, for pyodide.loadPackage (which adds their deps)
        self.wheels = []  # dependencies first
        self.constraints = {}  # canonical name -> Requirement: versions allowed whoever asks
        self.chosen = {}  # canonical name -> version text, to spot conflicts
        self.requires = {}  # canonical name -> its Requires-Dist lines
        self.extras_done = {}  # canonical name -> extras whose dependencies were added (None: none yet)
        self.failures = []
        # Nothing is installed while the plan is made: sys.path is scanned once.
        self.installed = _installed_distributions()

    def fail(self, message, keep_going):
        if not keep_going:
            raise ValueError(message) from None
        self.failures.append(message)

    def add_text(self, text, keep_going):
        try:
            if text.startswith("emfs:"):
                path = text[len("emfs:") :]
                self._add_direct_wheel(_Wheel(os.path.basename(path), lambda: _read_sandbox_wheel(path), text), text)
            elif "://" in text:
                raise _no_network(text)
            elif text.endswith(".whl"):
                wheel = _Wheel(text, lambda: _read_host_wheel(text), f"{_WHEEL_DIR}/{text}")  # noqa: F821
                if text not in _WHEEL_FILES:  # noqa: F821
                    raise ValueError(f"no wheel named {text!r} in this vivarium ({_where_looked()})")
                self._add_direct_wheel(wheel, text)
            else:
                requirement = Requirement(text)
                if requirement.applies():  # a marker may rule it out here, as pip does
                    self._add_requirement(requirement, None)
        except ValueError as error:
            self.fail(str(error), keep_going)

    def _fits(self, requirement, version):
        """The requirement's and any constraint's specifiers hold for this version."""
        if version is None or not requirement.specifier.contains(version):
            return False
        constraint = self.constraints.get(requirement.name)
        return constraint is None or constraint.specifier.contains(version)

    def _allows(self, requirement, version):
        """_fits, and a pre-release only when asked for (the wheel folder's choice)."""
        if not self._fits(requirement, version):
            return False
        return not version.is_prerelease or self.pre or requirement.specifier.names_prerelease()

    def _installed_version(self, name):
        installed = self.installed.get(name)
        return _parse_version(installed[0]) if installed else None

    def _add_requirement(self, requirement, wanted_by):
        name = requirement.name
        if name in self.chosen:
            version = _parse_version(self.chosen[name])
            if version is not None and not requirement.specifier.contains(version):
                raise ValueError(f"conflicting requirements: {name} {self.chosen[name]} is chosen, "
                                 f"but {wanted_by or 'you'} asked for {requirement.text!r}")
            self._add_dependencies(name, requirement.extras)
            return
        installed = self._installed_version(name)
        if installed is not None:
            constraint = self.constraints.get(name)
            if requirement.specifier.contains(installed) and (
                constraint is None or constraint.specifier.contains(installed)
            ):
                self.chosen[name] = installed.text
                if requirement.extras:  # what an extra needs may be missing still
                    self.requires[name] = _requirements_of(self.installed[name][1])
                    self.extras_done[name] = set()
                    self._add_dependencies(name, requirement.extras)
                return
            raise ValueError(
                f"{name} {installed.text} is already installed, and {requirement.text!r}"
                f"{f' with the constraint {constraint.text!r}' if constraint else ''} asks for another version: "
                "an interpreter cannot replace a package it has loaded (start a new session)"
            )
        lock_entry = self.lock.get(name)
        # The lock pins one version, pre-release or not: take it when it fits.
        if lock_entry and self._fits(requirement, _parse_version(lock_entry[1]) or Version("0")):
            self.chosen[name] = lock_entry[1]
            self.pyodide_packages.append(lock_entry[0])
            return
        candidates = [w for w in self.folder.get(name, []) if self._allows(requirement, w.version)]
        if candidates:
            self._add_wheel(max(candidates, key=lambda w: w.version), requirement.text)
            return
        available = sorted({w.version.text for w in self.folder.get(name, [])} | ({lock_entry[1]} if lock_entry else set()))
        found = f" (available: {', '.join(available)})" if available else ""
        needed = f", needed by {wanted_by}" if wanted_by else ""
        raise ValueError(
            f"Can't find a pure Python 3 wheel for {requirement.text!r}{needed}{found}: {_where_looked()}. "
            "vivarium has no network access: add the wheel to the wheel folder "
            "(--wheels-dir / VIVARIUM_WHEELS_DIR) or the package folder"
        )

    def _add_direct_wheel(self, wheel, text):
        """A wheel named by file: it must not clash with what is installed or chosen."""
        installed = self._installed_version(wheel.name)
        present = installed or _parse_version(self.chosen.get(wheel.name, ""))
        if present is not None and present == wheel.version:
            return  # that very version is there already
        if present is not None:
            state = "installed" if installed is not None else "chosen"
            raise ValueError(
                f"{wheel.name} {present.text} is already {state}, and {text!r} is version {wheel.version.text}: "
                "an interpreter cannot replace a package it has loaded (start a new session)"
            )
        self._add_wheel(wheel, text)

    def _add_wheel(self, wheel, text):
        self.chosen[wheel.name] = wheel.version.text
        metadata = wheel.metadata()
        requires_python = (metadata.get("requires-python") or [""])[0]
        if requires_python and not Specifier(requires_python).contains(Version(_PYTHON_VERSION)):
            raise ValueError(f"{wheel.file_name} requires Python {requires_python}, and this is Python {_PYTHON_VERSION}")
        self.requires[wheel.name] = metadata.get("requires-dist", [])
        self._add_dependencies(wheel.name, Requirement(text).extras if not text.endswith(".whl") else set())
        self.wheels.append(wheel)

    def _add_dependencies(self, name, extras):
        """The dependencies of a chosen package, for these extras (again when asked for more)."""
        done = self.extras_done.get(name)
        if not self.deps or (done is not None and set(extras) <= done):
            return
        self.extras_done[name] = (done or set()) | set(extras)
        for line in self.requires.get(name, []):
            requirement = Requirement(line)
            if requirement.applies(self.extras_done[name]):
                self._add_requirement(requirement, f"{name} {self.chosen[name]}")

    async def install(self):
        if self.pyodide_packages:
            errors = []
            on_error = create_proxy(errors.append)
            on_message = create_proxy(lambda message: None)
            try:
                await pyodide_js.loadPackage(
                    to_js(self.pyodide_packages),
                    to_js({"messageCallback": on_message, "errorCallback": on_error}, dict_converter=js.Object.fromEntries),
                )
            finally:
                on_error.destroy()
                on_message.destroy()
            if errors:
                details = " ".join(str(message).strip() for message in errors)
                raise ValueError(f"installing from the package folder failed: {details}")
        site_packages = get_install_dir("site")
        for wheel in self.wheels:
            unpack_buffer(
                js.Uint8Array.new(to_js(wheel.bytes())),
                filename=wheel.file_name,
                extract_dir=site_packages,
                metadata={"INSTALLER": "micropip", "PYODIDE_SOURCE": wheel.source},
            )
        # Only site-packages' finder needs to see the new files: importlib.invalidate_caches()
        # would also drop zipimport's index of the standard library (~60 ms to rebuild).
        finder = sys.path_importer_cache.get(site_packages)
        if finder is not None:
            finder.invalidate_caches()
        else:
            importlib.invalidate_caches()


async def install(
    requirements,
    keep_going=False,
    deps=True,
    credentials=None,
    pre=False,
    index_urls=None,
    *,
    constraints=None,
    reinstall=False,
    verbose=False,
):
    """Installs packages and their dependencies from this vivarium's folders (no network).

    requirements: a name with optional extras, version specifiers and markers
    ("pkg[extra]>=1.0; python_version >= '3.8'"), the file name of a wheel in the wheel
    folder, "emfs:/path/to/x.whl" for a wheel inside the sandbox, or a list of these.
    Pyodide packages of the package folder always come with their dependencies.
    credentials and reinstall are accepted for compatibility and change nothing: there is
    nothing to log in to, and a running interpreter cannot replace a package it has."""
    if index_urls:
        raise _no_network(index_urls)
    if isinstance(requirements, str):
        requirements = [requirements]
    plan = _Plan(deps, pre)
    for text in constraints or []:
        try:
            constraint = Requirement(text)
        except ValueError as error:
            raise ValueError(f"invalid constraint: {error}") from None
        plan.constraints[constraint.name] = constraint
    for text in requirements:
        plan.add_text(str(text), keep_going)
    if plan.failures:
        raise ValueError("\n".join(plan.failures))
    await plan.install()
    if verbose:
        for name in sorted(plan.chosen):
            print(f"micropip: {name} {plan.chosen[name]}")


class _Package:
    def __init__(self, name, version, source):
        self.name, self.version, self.source = name, version, source

    def __repr__(self):
        return f"{self.name} {self.version} ({self.source})"


class PackageDict(dict):
    def __repr__(self):
        rows = [("Name", "Version", "Source")] + [(p.name, p.version, p.source) for p in self.values()]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def list():  # noqa: A001 (micropip's own name)
    """The installed packages: name -> object with .name, .version and .source."""
    packages = PackageDict()
    for name, (version, dist_info) in sorted(_installed_distributions().items()):
        source = "pyodide"
        for marker in ("PYODIDE_SOURCE", "INSTALLER"):
            try:
                with open(os.path.join(dist_info, marker)) as f:
                    source = f.read().strip() or source
                break
            except OSError:
                continue
        packages[name] = _Package(name, version, source)
    return packages


def __getattr__(name):
    raise AttributeError(
        f"vivarium's micropip has no {name!r}: it offers install() and list(), from this vivarium's "
        "own package and wheel folders (there is no network access)"
    )
