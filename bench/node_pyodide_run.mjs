// Baseline for bench/cpu.sh: run a Python file's text in Node 20 with the
// same Pyodide bundle that vivarium embeds (assets/pyodide).
// Usage: node bench/node_pyodide_run.mjs FILE
import { readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";

const file = process.argv[2];
if (!file) {
  console.error("usage: node node_pyodide_run.mjs FILE");
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const indexDir = path.resolve(here, "..", "assets", "pyodide") + path.sep;
const { loadPyodide } = await import(pathToFileURL(indexDir + "pyodide.mjs").href);
const py = await loadPyodide({ indexURL: indexDir });
py.runPython(readFileSync(file, "utf8"));
