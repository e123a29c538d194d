#!/usr/bin/env python3
"""Builds a small Pyodide package folder for the tests: two pure-Python wheels (one
with a data file, one depending on the first) and a pyodide-lock.json listing them, plus
a stand-in for Pyodide's own micropip wheel (which downloads from PyPI, so vivarium must
never use it: importing it raises).

usage: make_test_packages.py OUT_DIR BUNDLE_LOCK [--corrupt]
       make_test_packages.py OUT_DIR --wheels
  --corrupt  writes a wrong sha256 for vivtest_base, to test the checksum refusal
  --wheels   builds an extra wheel folder for micropip instead: pure-Python wheels with
             dependencies (on each other and on the package folder's vivtest-base),
             several versions, a pre-release, markers, an extra, and one native wheel
"""
import hashlib
import json
import sys
import zipfile
from pathlib import Path


def build_wheel(out_dir, name, version, files, requires=(), tag="py3-none-any"):
    dist = f"{name}-{version}"
    path = out_dir / f"{dist}-{tag}.whl"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {requirement}\n" for requirement in requires)
    metadata += "\nA description body, which is not a header: Requires-Dist: not-a-dependency\n"
    wheel = "Wheel-Version: 1.0\nGenerator: vivarium-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    entries = dict(files)
    entries[f"{dist}.dist-info/METADATA"] = metadata
    entries[f"{dist}.dist-info/WHEEL"] = wheel
    record = "".join(f"{n},," + "\n" for n in entries) + f"{dist}.dist-info/RECORD,,\n"
    entries[f"{dist}.dist-info/RECORD"] = record
    with zipfile.ZipFile(path, "w") as archive:
        for entry_name, text in entries.items():
            archive.writestr(entry_name, text)
    return path


def lock_entry(path, name, version, imports, depends):
    return {
        "name": name,
        "version": version,
        "file_name": path.name,
        "install_dir": "site",
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "package_type": "package",
        "imports": imports,
        "depends": depends,
        "unvendored_tests": False,
    }


def build_wheel_folder(out_dir):
    def module(name, version):
        return {f"{name}.py": f"VERSION = {version!r}\n"}

    for version in ("1.0", "1.5", "1.9rc1", "2.0"):
        build_wheel(out_dir, "vivtest_pure", version, module("vivtest_pure", version))
    build_wheel(out_dir, "vivtest_fancy", "1.0", module("vivtest_fancy", "1.0"))
    build_wheel(out_dir, "vivtest_extra", "3.0", {
        "vivtest_extra/__init__.py": (
            "import vivtest_pure, vivtest_base\n"
            "def describe():\n"
            "    return [vivtest_pure.VERSION, vivtest_base.VALUE]\n"
        ),
    }, requires=[
        "vivtest-pure (>=1.0,<2)",
        "Vivtest_Base>=1.0",
        'vivtest-never-needed; sys_platform == "win32"',
        'vivtest-fancy; extra == "fancy"',
        'vivtest-pure>=1.1; python_version >= "3" and (os_name == "posix" or os_name == "nt")',
    ])
    build_wheel(out_dir, "vivtest_native", "1.0", module("vivtest_native", "1.0"), tag="cp312-cp312-linux_x86_64")


def main():
    out_dir = Path(sys.argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    if "--wheels" in sys.argv:
        build_wheel_folder(out_dir)
        return
    bundle_lock = Path(sys.argv[2])
    base = build_wheel(out_dir, "vivtest_base", "1.0", {
        "vivtest_base/__init__.py": (
            "from importlib import resources\n"
            "VALUE = 42\n"
            "def data():\n"
            "    return resources.files(__name__).joinpath('data.txt').read_text()\n"
        ),
        "vivtest_base/data.txt": "data shipped in the wheel\n",
    })
    app = build_wheel(out_dir, "vivtest_app", "2.0", {
        "vivtest_app/__init__.py": "import vivtest_base\ndef answer():\n    return vivtest_base.VALUE\n",
    })
    pyodide_micropip = build_wheel(out_dir, "micropip", "0.9", {
        "micropip/__init__.py": "raise ImportError('the package folder\\'s micropip was used instead of vivarium\\'s')\n",
    })
    packages = {
        "vivtest-base": lock_entry(base, "vivtest-base", "1.0", ["vivtest_base"], []),
        # Depends on micropip too, as some official packages may: it must load all the same.
        "vivtest-app": lock_entry(app, "vivtest-app", "2.0", ["vivtest_app"], ["vivtest-base", "micropip"]),
        "micropip": lock_entry(pyodide_micropip, "micropip", "0.9", ["micropip"], []),
    }
    if "--corrupt" in sys.argv:
        packages["vivtest-base"]["sha256"] = "0" * 64
    info = json.loads(bundle_lock.read_text())["info"]
    (out_dir / "pyodide-lock.json").write_text(json.dumps({"info": info, "packages": packages}, indent=1))


if __name__ == "__main__":
    main()
