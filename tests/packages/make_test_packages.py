#!/usr/bin/env python3
"""Builds a small Pyodide package folder for the tests: two pure-Python wheels (one
with a data file, one depending on the first) and a pyodide-lock.json listing them.

usage: make_test_packages.py OUT_DIR BUNDLE_LOCK [--corrupt]
  --corrupt  writes a wrong sha256 for vivtest_base, to test the checksum refusal
"""
import hashlib
import json
import sys
import zipfile
from pathlib import Path


def build_wheel(out_dir, name, version, files):
    dist = f"{name}-{version}"
    path = out_dir / f"{dist}-py3-none-any.whl"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
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


def main():
    out_dir, bundle_lock = Path(sys.argv[1]), Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
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
    packages = {
        "vivtest-base": lock_entry(base, "vivtest-base", "1.0", ["vivtest_base"], []),
        "vivtest-app": lock_entry(app, "vivtest-app", "2.0", ["vivtest_app"], ["vivtest-base"]),
    }
    if "--corrupt" in sys.argv:
        packages["vivtest-base"]["sha256"] = "0" * 64
    info = json.loads(bundle_lock.read_text())["info"]
    (out_dir / "pyodide-lock.json").write_text(json.dumps({"info": info, "packages": packages}, indent=1))


if __name__ == "__main__":
    main()
