# PEP 440 versions and PEP 508 requirements and environment markers, as far as wheel
# metadata uses them in practice: what vivarium's offline micropip (engine/py/micropip.py)
# chooses wheels with. Pyodide's bundle has no `packaging` library to do this for us.
#
# Standard library only (re, os, sys), and no Pyodide: it runs in Pyodide's Python 3.14,
# where micropip imports it as `_vivarium_pep440` (embedded like micropip, see
# engine/py/runner.py), and in the host's python3 (3.11), where tests/py/test_pep440.py
# tests it in well under a second.
import os
import re
import sys

__all__ = [
    "PYTHON_VERSION",
    "Requirement",
    "Specifier",
    "Version",
    "canonical_name",
    "clause_holds",
    "marker_environment",
    "marker_holds",
    "parse_version",
]


def canonical_name(name):
    """A project name as PEP 503 normalises it: "Foo_Bar.baz" -> "foo-bar-baz"."""
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


def parse_version(text):
    """The Version of text, or None when it is not a PEP 440 version."""
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
            if op != "===" and parse_version(version[:-2] if wildcard else version) is None:
                raise ValueError(f"invalid version in specifier: {part.strip()!r}")
            self.clauses.append((op, version))

    def names_prerelease(self):
        return any((v := parse_version(text.removesuffix(".*"))) and v.is_prerelease for _, text in self.clauses)

    def contains(self, version):
        return all(clause_holds(op, text, version) for op, text in self.clauses)

    def __str__(self):
        return self.text


def _prefix_matches(version, prefix_text):
    prefix = Version(prefix_text).release
    release = version.release + (0,) * max(0, len(prefix) - len(version.release))
    return release[: len(prefix)] == prefix


def clause_holds(op, text, version):
    """Whether one clause such as (">=", "1.0") holds for a Version."""
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


# Not from `platform`: it, `email` and `importlib.metadata` cost ~220 ms to import in
# Pyodide, more than a whole install.
PYTHON_VERSION = "{}.{}.{}".format(*sys.version_info[:3])


# --- environment markers (PEP 508) --------------------------------------------------------

_MARKER_TOKEN = re.compile(
    r"\s*(?:(?P<paren>[()])|(?P<op>===|==|!=|~=|<=|>=|<|>|not\s+in\b|in\b)|(?P<bool>and\b|or\b)"
    r"|(?P<string>'[^']*'|\"[^\"]*\")|(?P<name>[A-Za-z_][A-Za-z0-9_.]*))"
)


def marker_environment(extra):
    """The values of PEP 508's marker variables for this interpreter."""
    info = sys.implementation.version
    uname = os.uname()
    return {
        "python_version": f"{sys.version_info.major}.{sys.version_info.minor}",
        "python_full_version": PYTHON_VERSION,
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
        left, right = canonical_name(left), canonical_name(right)
    if op in ("in", "not in"):
        return (left in right) == (op == "in")
    lv, rv = parse_version(left), parse_version(right)
    if lv is not None and rv is not None and op != "===":
        return clause_holds(op, right, lv)
    if op in ("==", "==="):
        return left == right
    if op == "!=":
        return left != right
    # Not two versions: plain string comparison, as PEP 508 prescribes.
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}.get(op, False)


def marker_holds(text, extra="", environment=None):
    """Evaluates an environment marker such as 'python_version >= "3.8" and extra == "x"'.
    environment overrides some of this interpreter's values (e.g. {"sys_platform": "linux"})."""
    tokens = _tokenize_marker(text)
    environment = {**marker_environment(extra), **(environment or {})}
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
        self.name = canonical_name(match["name"])
        # "pkg[a, b]": was " b" before the strip, an extra that no marker names.
        self.extras = {canonical_name(e.strip()) for e in (match["extras"] or "").split(",") if e.strip()}
        try:
            self.specifier = Specifier(match["spec"] or "")
        except ValueError as error:
            raise ValueError(f"invalid requirement {text!r}: {error}") from None
        self.marker = match["marker"]

    def applies(self, extras=()):
        if not self.marker:
            return True
        return any(marker_holds(self.marker, extra) for extra in (set(extras) | {""}))
