"""engine/py/pep440.py (what vivarium's micropip chooses wheels with) on the host's
python3, in well under a second; tests/engine/packages_test.cpp runs a part of the same
through micropip inside Pyodide. Run: python3 -m unittest discover -s tests/py"""

import importlib.util
import sys
import unittest
from pathlib import Path

# Loaded from its file, not by putting engine/py on sys.path, where micropip.py and
# runner.py (which need Pyodide) would shadow nothing but could be imported by mistake.
_PATH = Path(__file__).resolve().parents[2] / "engine" / "py" / "pep440.py"
_spec = importlib.util.spec_from_file_location("pep440", _PATH)
pep440 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pep440)

V = pep440.Version


def holds(spec, version):
    return pep440.Specifier(spec).contains(V(version))


# A Pyodide-like environment, so that marker results do not depend on the host.
PYODIDE = {
    "python_version": "3.14",
    "python_full_version": "3.14.2",
    "sys_platform": "emscripten",
    "platform_machine": "wasm32",
    "platform_system": "Emscripten",
    "os_name": "posix",
    "implementation_name": "cpython",
}


def marker(text, extra=""):
    return pep440.marker_holds(text, extra, environment=PYODIDE)


class Versions(unittest.TestCase):
    def test_the_order_pep_440_gives(self):
        order = ["0.9", "1.0.dev1", "1.0a1", "1.0a2.dev1", "1.0a2", "1.0a2.post1", "1.0b1", "1.0rc1", "1.0",
                 "1.0+abc", "1.0+5", "1.0.post1.dev1", "1.0.post1", "1.0.1", "1.1", "10.0", "1!0.1"]
        for smaller, larger in zip(order, order[1:]):
            with self.subTest(smaller=smaller, larger=larger):
                self.assertLess(V(smaller), V(larger))
                self.assertFalse(V(larger) < V(smaller))

    def test_spellings_of_one_version_are_equal(self):
        for a, b in [("1.0", "1.0.0"), ("v1.0", "1.0"), ("1.0-1", "1.0.post1"), ("1.0alpha1", "1.0a1"),
                     ("1.0.RC1", "1.0rc1"), ("1.0c1", "1.0rc1"), ("1.0-dev", "1.0.dev0"), ("1.0r", "1.0.post0"),
                     (" 1.0 ", "1.0"), ("0!1.0", "1.0")]:
            with self.subTest(a=a, b=b):
                self.assertEqual(V(a), V(b))
                self.assertEqual(hash(V(a)), hash(V(b)))

    def test_pre_and_post_releases_are_recognised(self):
        self.assertTrue(V("1.0a1").is_prerelease)
        self.assertTrue(V("1.0.dev0").is_prerelease)
        self.assertTrue(V("1.0.post1.dev0").is_prerelease)
        self.assertFalse(V("1.0.post1").is_prerelease)
        self.assertTrue(V("1.0.post1").is_postrelease)
        self.assertFalse(V("1.0+local").is_prerelease)

    def test_text_that_is_no_version_is_refused(self):
        for text in ["", "abc", "1.0-", "1..0", "1.0+", "1.0+a..b", "=1.0", "1.0 beta 2"]:
            with self.subTest(text=text):
                self.assertIsNone(pep440.parse_version(text))
                with self.assertRaisesRegex(ValueError, "invalid version"):
                    V(text)

    def test_a_version_shows_as_written(self):
        self.assertEqual(repr(V(" 1.0.Post2 ")), "1.0.Post2")
        self.assertEqual(V("1.2.3").release, (1, 2, 3))


class Specifiers(unittest.TestCase):
    def test_clauses_hold_as_pep_440_says(self):
        cases = [
            ("==1.0", "1.0.0", True), ("==1.*", "1.9", True), ("==1.*", "2.0", False), ("!=1.*", "2.0", True),
            ("!=1.0", "1.0", False), ("~=1.4.2", "1.4.9", True), ("~=1.4.2", "1.5", False),
            ("~=1.4.2", "1.4.1", False), ("~=2.2", "2.9", True), ("~=2.2", "3.0", False), (">=1,<2", "1.5", True),
            ("(>1.0)", "1.0", False), (">=1.0b1,<2.0", "2.0rc1", False), ("<2.0rc2", "2.0rc1", True),
            ("<2.0", "1.9", True), ("<=2.0", "2.0", True), (">1.0", "1.0.post1", False),
            (">1.0.post1", "1.0.post2", True), (">1.0", "1.1", True), ("==1.0", "1.0+cpu", True),
            ("==1.0+cpu", "1.0", False), ("==1.0+cpu", "1.0+cpu", True), ("===1.0", "1.0", True),
            ("===1.0", "1.0.0", False), ("", "7.3", True), (" >= 1.0 , != 1.5 ", "1.5", False),
        ]
        for spec, version, expected in cases:
            with self.subTest(spec=spec, version=version):
                self.assertIs(holds(spec, version), expected)

    def test_a_specifier_names_a_prerelease_or_not(self):
        self.assertTrue(pep440.Specifier(">=2.0b1").names_prerelease())
        self.assertFalse(pep440.Specifier(">=2.0,<3").names_prerelease())

    def test_bad_clauses_are_refused_with_the_clause_named(self):
        for text, message in [(">>1.0", "invalid version specifier: '>>1.0'"),
                              ("==1.0,<=x", "invalid version in specifier: '<=x'"),
                              ("1.0", "invalid version specifier: '1.0'")]:
            with self.subTest(text=text):
                with self.assertRaises(ValueError) as raised:
                    pep440.Specifier(text)
                self.assertEqual(str(raised.exception), message)

    def test_a_single_clause_can_be_checked(self):
        self.assertTrue(pep440.clause_holds(">=", "3.8", V("3.14.2")))
        self.assertTrue(pep440.clause_holds("<", "3.10", V("3.9")))
        self.assertFalse(pep440.clause_holds("<", "3.9", V("3.10")))


class Markers(unittest.TestCase):
    def test_markers_compare_versions_as_versions_and_the_rest_as_text(self):
        self.assertTrue(marker('python_version >= "3.8" and sys_platform == "emscripten"'))
        # As text, "3.14" < "3.9"; as versions it is not.
        self.assertFalse(marker('python_version < "3.9"'))
        self.assertTrue(marker('python_full_version >= "3.14.1"'))
        self.assertTrue(marker('"wasm" in platform_machine'))
        self.assertTrue(marker('"arm" not in platform_machine'))
        self.assertFalse(marker('os_name == "nt"'))
        self.assertTrue(marker("platform_system != 'Windows'"))

    def test_extras_are_compared_by_canonical_name(self):
        self.assertTrue(marker('os_name == "nt" or (extra == "Fancy_Stuff")', "fancy-stuff"))
        self.assertFalse(marker('extra == "x"'))
        self.assertTrue(marker('extra == "x"', "X"))

    def test_and_binds_tighter_than_or(self):
        self.assertTrue(marker('os_name == "posix" or os_name == "nt" and sys_platform == "win32"'))
        self.assertFalse(marker('(os_name == "posix" or os_name == "nt") and sys_platform == "win32"'))

    def test_bad_markers_are_refused(self):
        self.assertTrue(marker('(python_version >= "3")'))
        for text in ['python_version >= ', '(python_version >= "3"', 'python_version >= "3")',
                     'python_version "3"', '"a" == "a" and', 'python_version >= "3" extra']:
            with self.subTest(text=text):
                with self.assertRaisesRegex(ValueError, "invalid environment marker"):
                    marker(text)
        with self.assertRaisesRegex(ValueError, "unknown name 'colour'"):
            marker('colour == "red"')

    def test_the_environment_is_this_interpreters(self):
        environment = pep440.marker_environment("x")
        self.assertEqual(environment["extra"], "x")
        self.assertEqual(environment["python_version"], "{}.{}".format(*sys.version_info[:2]))
        self.assertEqual(environment["python_full_version"], pep440.PYTHON_VERSION)
        self.assertEqual(pep440.PYTHON_VERSION, "{}.{}.{}".format(*sys.version_info[:3]))
        self.assertEqual(environment["sys_platform"], sys.platform)
        for name in ["os_name", "platform_machine", "platform_release", "platform_system", "platform_version",
                     "platform_python_implementation", "implementation_name", "implementation_version"]:
            self.assertIn(name, environment)
        self.assertTrue(pep440.marker_holds(f'sys_platform == "{sys.platform}"'))


class Requirements(unittest.TestCase):
    def test_name_extras_specifier_and_marker(self):
        r = pep440.Requirement(' Foo_Bar.baz [Fancy, extra_2] >=1.0, <2 ; python_version >= "3.8" ')
        self.assertEqual(r.name, "foo-bar-baz")
        self.assertEqual(r.extras, {"fancy", "extra-2"})
        self.assertEqual(str(r.specifier), ">=1.0, <2")
        self.assertTrue(r.specifier.contains(V("1.5")))
        self.assertEqual(r.marker.strip(), 'python_version >= "3.8"')
        self.assertEqual(r.text, 'Foo_Bar.baz [Fancy, extra_2] >=1.0, <2 ; python_version >= "3.8"')

    def test_a_bare_name_allows_any_version(self):
        r = pep440.Requirement("six")
        self.assertEqual((r.name, r.extras, r.marker), ("six", set(), None))
        self.assertTrue(r.specifier.contains(V("0.0.1a1")))
        self.assertTrue(r.applies())

    def test_the_old_parenthesised_form(self):
        self.assertTrue(pep440.Requirement("foo (>=1.0)").specifier.contains(V("1.0")))

    def test_a_marker_applies_for_the_extras_asked_for(self):
        r = pep440.Requirement('tomli; extra == "toml"')
        self.assertFalse(r.applies())
        self.assertTrue(r.applies({"toml"}))
        self.assertTrue(pep440.Requirement("x; python_version >= '3'").applies())

    def test_direct_urls_are_refused_offline(self):
        with self.assertRaisesRegex(ValueError, "no network access, so direct URLs are not supported"):
            pep440.Requirement("pkg @ https://example.org/pkg-1.0-py3-none-any.whl")

    def test_bad_requirements_name_the_text(self):
        with self.assertRaisesRegex(ValueError, "invalid requirement: '-pkg'"):
            pep440.Requirement("-pkg")
        with self.assertRaisesRegex(ValueError, r"invalid requirement 'pkg >>1': invalid version specifier"):
            pep440.Requirement("pkg >>1")

    def test_canonical_names(self):
        self.assertEqual(pep440.canonical_name("Foo__Bar.-baz"), "foo-bar-baz")


if __name__ == "__main__":
    unittest.main()
