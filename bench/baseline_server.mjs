// Baseline for bench/server.sh: the ORIGINAL vivarium's design, rebuilt small.
// One Node 20 process; every session is its own loadPyodide() instance (same
// Pyodide bundle as vivarium, assets/pyodide) living in that one process, and
// code runs with runPythonAsync on the single event loop. So a Python loop in
// one session freezes every session and /health too: that is the point of
// comparing against it.
//
// Same API as vivarium serve (see docs/api.md), minus what the
// benchmark does not exercise (file upload/download: output_files is []).
// Usage: node bench/baseline_server.mjs [PORT]   (or PORT env; 0 = any free port)
// Prints "listening on http://127.0.0.1:PORT" on stderr when ready.
import http from "node:http";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const indexURL = path.resolve(here, "..", "assets", "pyodide") + path.sep;
const { loadPyodide } = await import(pathToFileURL(indexURL + "pyodide.mjs").href);

const port = Number(process.argv[2] ?? process.env.PORT ?? 3080);
const sessionTimeoutMinutes = Number(process.env.SESSION_TIMEOUT_MINUTES ?? 10);
const SESSION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const HOME = "/home/earth";

// id -> {id, createdAt, lastAccessedAt, ready: Promise<pyodide>, queue: Promise, out: [], err: []}
const sessions = new Map();

// A new session: a whole new Pyodide instance, as the original does. The
// promise is stored at once so that concurrent first requests share it.
function createSession(id) {
  const now = Date.now();
  const session = { id, createdAt: now, lastAccessedAt: now, out: [], err: [], queue: Promise.resolve() };
  session.ready = (async () => {
    const pyodide = await loadPyodide({ indexURL });
    // batched hands over whole lines without their newline.
    pyodide.setStdout({ batched: (line) => session.out.push(line + "\n") });
    pyodide.setStderr({ batched: (line) => session.err.push(line + "\n") });
    pyodide.FS.mkdirTree(HOME);
    pyodide.FS.chdir(HOME);
    return pyodide;
  })();
  sessions.set(id, session);
  // A failed boot must not leave a broken session behind.
  session.ready.catch(() => {
    if (sessions.get(id) === session) sessions.delete(id);
  });
  return session;
}

// JSON-native values pass as they are; anything else becomes its String().
function toFinalExpression(value) {
  if (value === undefined || value === null) return null;
  const type = typeof value;
  if (type === "string" || type === "boolean") return value;
  if (type === "number") return Number.isFinite(value) ? value : String(value);
  const text = String(value);
  if (value && typeof value.destroy === "function") value.destroy(); // a PyProxy
  return text;
}

async function runCode(session, code) {
  const pyodide = await session.ready;
  session.out = [];
  session.err = [];
  const started = Date.now();
  let value, error;
  try {
    value = toFinalExpression(await pyodide.runPythonAsync(code));
  } catch (e) {
    error = e;
  }
  const result = {
    final_expression: error ? null : value,
    output_files: [],
    std_out: session.out.join(""),
    std_err: session.err.join(""),
    code_runtime: Date.now() - started,
  };
  if (!error) return { status: 200, body: { success: true, result } };
  const traceback = String(error.message ?? error);
  const lines = traceback.trimEnd().split("\n");
  const message = lines[lines.length - 1];
  return {
    status: 200,
    body: {
      success: false,
      error: { type: "execution", message, exception: error.type ?? message.split(":")[0], traceback },
      result,
    },
  };
}

// Executions of one session run one at a time, in arrival order.
function enqueue(session, code) {
  const run = session.queue.then(() => runCode(session, code));
  session.queue = run.catch(() => {});
  return run;
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

function fail(res, status, type, message) {
  send(res, status, { success: false, error: { type, message } });
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

async function handleExec(req, res, url) {
  const id = url.searchParams.get("sessionId");
  if (!id || !SESSION_ID.test(id)) return fail(res, 400, "validation", "sessionId is missing or invalid");
  let body;
  try {
    body = JSON.parse(await readBody(req));
  } catch {
    return fail(res, 400, "parsing", "body is not JSON");
  }
  if (typeof body?.code !== "string" || body.code === "") {
    return fail(res, 400, "validation", "code must be a non-empty string");
  }
  const session = sessions.get(id) ?? createSession(id);
  session.lastAccessedAt = Date.now();
  try {
    const { status, body: answer } = await enqueue(session, body.code);
    session.lastAccessedAt = Date.now();
    send(res, status, answer);
  } catch (e) {
    fail(res, 500, "internal", String(e?.message ?? e));
  }
}

function listSessions() {
  const now = Date.now();
  return [...sessions.values()].map((s) => ({
    id: s.id,
    createdAt: s.createdAt,
    lastAccessedAt: s.lastAccessedAt,
    ageMinutes: (now - s.createdAt) / 60000,
    idleMinutes: (now - s.lastAccessedAt) / 60000,
  }));
}

async function route(req, res) {
  const url = new URL(req.url, "http://127.0.0.1");
  if (req.method === "POST" && url.pathname === "/exec") return handleExec(req, res, url);
  if (req.method === "GET" && url.pathname === "/health") {
    return send(res, 200, { status: "healthy", activeSessions: sessions.size });
  }
  if (req.method === "GET" && url.pathname === "/sessions") return send(res, 200, { sessions: listSessions() });
  if (req.method === "DELETE" && url.pathname.startsWith("/sessions/")) {
    const id = decodeURIComponent(url.pathname.slice("/sessions/".length));
    // Pyodide has no destroy: dropping the last reference lets GC reclaim it.
    if (sessions.delete(id)) return send(res, 200, { success: true });
    return fail(res, 404, "not_found", `no session ${id}`);
  }
  fail(res, 404, "not_found", `no route ${req.method} ${url.pathname}`);
}

// Expired sessions are dropped periodically, as in the original.
setInterval(() => {
  const cutoff = Date.now() - sessionTimeoutMinutes * 60000;
  for (const [id, s] of sessions) if (s.lastAccessedAt < cutoff) sessions.delete(id);
}, 60000).unref();

const server = http.createServer((req, res) => {
  route(req, res).catch((e) => fail(res, 500, "internal", String(e?.message ?? e)));
});
server.listen(port, "127.0.0.1", () => {
  console.error(`listening on http://127.0.0.1:${server.address().port}`);
});
