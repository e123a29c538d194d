// Baseline for bench/startup.sh: Node 20 loading the same Pyodide bundle
// that vivarium embeds (assets/pyodide), then printing 1.
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const indexDir = path.resolve(here, "..", "assets", "pyodide") + path.sep;
const { loadPyodide } = await import(pathToFileURL(indexDir + "pyodide.mjs").href);
const py = await loadPyodide({ indexURL: indexDir });
py.runPython("print(1)");
