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
# and versions PEP 440: engine/py/pep440.py, embedded as the module `_vivarium_pep440`
# and tested on the host too (tests/py/test_pep440.py).
import importlib
import io
import os
import sys
import zipfile

import js
import pyodide_js
from pyodide._package_loader import get_install_dir, unpack_buffer
from pyodide.ffi import JsException, create_proxy, to_js

# Version, Specifier and marker_holds stay attributes of micropip, as before the split.
from _vivarium_pep440 import (
    PYTHON_VERSION,
    Requirement,
    Specifier,
    Version,
    canonical_name,
    marker_holds,
    parse_version,
)

__all__ = ["install", "list"]
__version__ = "vivarium"

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


def _wheel_name(file_name):
    """The parts of a wheel file name, by the host's rules (the same as `vivarium packages`)."""
    try:
        return js.wheelname(file_name)
    except JsException as error:
        raise ValueError(error.message) from None


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
        parts = _wheel_name(file_name)
        name, version = parts.name, parts.version
        if not parts.purePython3:
            raise ValueError(
                f"{file_name} is not a pure-Python 3 wheel: only *-py3-none-any.whl wheels, or the Pyodide "
                "wheels of the package folder, can be installed"
            )
        self.file_name, self.name, self.version = file_name, canonical_name(name), parse_version(version)
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
        packages[canonical_name(key)] = (key, str(getattr(entry, "version", "") or ""))
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
                found.setdefault(canonical_name(name), (version, os.path.join(entry or ".", dir_name)))
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
        return parse_version(installed[0]) if installed else None

    def _add_requirement(self, requirement, wanted_by):
        name = requirement.name
        if name in self.chosen:
            version = parse_version(self.chosen[name])
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
        if lock_entry and self._fits(requirement, parse_version(lock_entry[1]) or Version("0")):
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
        present = installed or parse_version(self.chosen.get(wheel.name, ""))
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
        if requires_python and not Specifier(requires_python).contains(Version(PYTHON_VERSION)):
            raise ValueError(f"{wheel.file_name} requires Python {requires_python}, and this is Python {PYTHON_VERSION}")
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
