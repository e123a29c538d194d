// Live replies of a running `vivarium serve` against docs/openapi.json: each call below
// is checked against the document's response for its operation and status (the status
// must be documented, the documented required headers present, the body valid against
// the schema with Ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses). At the end, every
// documented (operation, status) must have been seen, or be listed in `notExercised`
// with the reason it cannot be produced from outside.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const binary = process.env.VIVARIUM_BINARY;
if (!binary) throw new Error('VIVARIUM_BINARY is not set: run these tests through ctest');
const documentPath = new URL('../../docs/openapi.json', import.meta.url);
const doc = JSON.parse(readFileSync(documentPath, 'utf8'));

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(doc, 'openapi.json');

const seen = new Set();
const validators = new Map();
const pointer = (...parts) => parts.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

function resolve(object) {
  let pointerText = null;
  while (object && object.$ref) {
    pointerText = object.$ref.slice(1);
    object = object.$ref
      .slice(2)
      .split('/')
      .reduce((node, key) => node[key.replaceAll('~1', '/').replaceAll('~0', '~')], doc);
  }
  return { object, pointerText };
}

function validatorFor(schemaPointer) {
  if (!validators.has(schemaPointer)) validators.set(schemaPointer, ajv.compile({ $ref: `openapi.json#${schemaPointer}` }));
  return validators.get(schemaPointer);
}

function validate(schemaPointer, value, what) {
  const check = validatorFor(schemaPointer);
  assert.ok(check(value), `${what} does not match ${schemaPointer}: ${ajv.errorsText(check.errors)}\n${JSON.stringify(value).slice(0, 400)}`);
}

// Checks one reply against the document; returns its body (parsed when JSON).
async function checked(method, template, response) {
  const operation = doc.paths[template]?.[method];
  assert.ok(operation, `${method.toUpperCase()} ${template} is not in the document`);
  const status = String(response.status);
  const documented = operation.responses[status];
  const text = await response.text();
  assert.ok(documented, `${operation.operationId} answered ${status}, which the document does not list: ${text.slice(0, 300)}`);
  seen.add(`${operation.operationId} ${status}`);
  const { object: described, pointerText } = resolve(documented);
  const base = pointerText ?? '/' + pointer('paths', template, method, 'responses', status);
  for (const [name, header] of Object.entries(described.headers ?? {})) {
    const { object } = resolve(header);
    if (object.required) assert.ok(response.headers.has(name), `${operation.operationId} ${status} lacks the ${name} header`);
  }
  if (!described.content) {
    assert.equal(text, '', `${operation.operationId} ${status} has a body the document does not describe`);
    return text;
  }
  const type = (response.headers.get('content-type') ?? '').split(';')[0].trim();
  assert.ok(described.content[type], `${operation.operationId} ${status} answered ${type}, not one of ${Object.keys(described.content)}`);
  const schemaPointer = `${base}/${pointer('content', type, 'schema')}`;
  if (type === 'application/json') {
    const body = JSON.parse(text);
    validate(schemaPointer, body, `${operation.operationId} ${status}`);
    return body;
  }
  validate(schemaPointer, text, `${operation.operationId} ${status}`);
  return text;
}

// What cannot be produced from outside the server in a test, each with its reason.
const notExercised = {
  'execute 500': 'a server fault',
  'listSessions 500': 'a server fault',
  'deleteSession 500': 'a server fault',
  'interruptSession 500': 'a server fault',
  'terrariumRun 409': 'a session deleted while its request waits: a race, covered by terrarium_client',
  'terrariumRun 500': 'the zygote failing to fork, or a server fault',
  'ready 503': 'only while the zygote boots or the server stops: covered by metrics_ready_while_booting and ServeReady',
};

function startServe(extra) {
  const child = spawn(binary, ['serve', '--port', '0', '--preload', 'none', '--execution-timeout', '2', ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines = createInterface({ input: child.stderr });
  let log = '';
  return new Promise((resolveUrl, reject) => {
    lines.on('line', (line) => {
      log += line + '\n';
      const match = line.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (match)
        resolveUrl({
          url: match[1],
          async stop() {
            child.kill('SIGTERM');
            if (child.exitCode === null) await once(child, 'exit');
          },
        });
    });
    child.on('exit', (code) => reject(new Error(`vivarium serve exited with ${code} before listening:\n${log}`)));
  });
}

const json = (body) => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const mcpHeaders = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
const initialize = (id) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'openapi-test', version: '1' } },
});

describe('live replies match docs/openapi.json', () => {
  let server;
  before(async () => {
    server = await startServe(['--max-sessions', '2', '--max-body-size', '4KB']);
  });
  after(async () => {
    await server?.stop();
  });
  const call = (path, init) => fetch(server.url + path, init);

  it('serves the document itself, with this binary version', async () => {
    const served = await checked('get', '/openapi.json', await call('/openapi.json'));
    assert.deepEqual({ ...served, info: { ...served.info, version: doc.info.version } }, doc);
    assert.match(served.info.version, /^\d+\.\d+\.\d+/);
  });

  it('/health, /ready, /metrics', async () => {
    assert.equal((await checked('get', '/health', await call('/health'))).status, 'healthy');
    assert.equal((await checked('get', '/ready', await call('/ready'))).status, 'ready');
    assert.match(await checked('get', '/metrics', await call('/metrics')), /^# (HELP|TYPE) vivarium_/m);
  });

  it('POST /exec: success, a Python error, and the request errors', async () => {
    const ok = await checked('post', '/exec', await call('/exec?sessionId=a', json({ code: 'x = 41\nx + 1' })));
    assert.equal(ok.result.final_expression, 42);
    assert.equal(ok.session_created, true);
    const again = await checked('post', '/exec', await call('/exec?sessionId=a', json({ code: 'x' })));
    assert.equal(again.session_created, false);
    const failed = await checked('post', '/exec', await call('/exec?sessionId=a', json({ code: '1/0' })));
    assert.equal(failed.error.exception, 'ZeroDivisionError');
    const timeout = await checked('post', '/exec', await call('/exec?sessionId=a', json({ code: 'while True: pass' })));
    assert.equal(timeout.error.type, 'timeout');
    assert.equal((await checked('post', '/exec', await call('/exec', json({ code: '1' })))).error.type, 'validation');
    const notJson = await call('/exec?sessionId=a', { method: 'POST', body: '{' });
    assert.equal((await checked('post', '/exec', notJson)).error.type, 'parsing');
    const big = await call('/exec?sessionId=a', json({ code: `s = "${'x'.repeat(8000)}"` }));
    assert.equal((await checked('post', '/exec', big)).error.type, 'resource_limit');
  });

  it('POST /exec past the session cap: 503', async () => {
    await checked('post', '/exec', await call('/exec?sessionId=b', json({ code: '1' })));
    const refused = await checked('post', '/exec', await call('/exec?sessionId=c', json({ code: '1' })));
    assert.equal(refused.error.type, 'resource_limit');
    await checked('delete', '/sessions/{id}', await call('/sessions/b', { method: 'DELETE' }));
  });

  it('POST /exec as Server-Sent Events: the result event is the JSON reply', async () => {
    const response = await call('/exec?sessionId=a', {
      ...json({ code: 'print("hi")\n2' }),
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
    });
    const stream = await checked('post', '/exec', response);
    const result = stream.split('\n\n').find((event) => event.startsWith('event: result'));
    assert.ok(result, stream);
    const body = JSON.parse(result.split('\n').find((line) => line.startsWith('data: ')).slice(6));
    validate('/' + pointer('paths', '/exec', 'post', 'responses', '200', 'content', 'application/json', 'schema'), body, 'the result event');
    assert.equal(body.result.std_out, 'hi\n');
  });

  it('/sessions, interrupt and DELETE', async () => {
    const list = await checked('get', '/sessions', await call('/sessions'));
    assert.deepEqual(list.sessions.map((s) => s.id), ['a']);
    const idle = await checked('post', '/sessions/{id}/interrupt', await call('/sessions/a/interrupt', { method: 'POST' }));
    assert.equal(idle.interrupted, false);
    const missing = await call('/sessions/nope/interrupt', { method: 'POST' });
    assert.equal((await checked('post', '/sessions/{id}/interrupt', missing)).error.type, 'not_found');
    assert.equal((await checked('delete', '/sessions/{id}', await call('/sessions/a', { method: 'DELETE' }))).success, true);
    const gone = await call('/sessions/a', { method: 'DELETE' });
    assert.equal((await checked('delete', '/sessions/{id}', gone)).error.type, 'not_found');
  });

  it("POST /, terrarium's API", async () => {
    const ok = await checked('post', '/', await call('/', json({ code: '1 + 1' })));
    assert.equal(ok.final_expression, 2);
    const raised = await checked('post', '/', await call('/', json({ code: 'x' })));
    assert.equal(raised.error.type, 'NameError');
    assert.equal((await checked('post', '/', await call('/', { method: 'POST', body: '{' }))).error.type, 'parsing');
    const big = await call('/', json({ code: 'x'.repeat(8000) }));
    assert.equal((await checked('post', '/', big)).error.type, 'resource_limit');
    await checked('post', '/exec', await call('/exec?sessionId=b', json({ code: '1' })));
    await checked('post', '/exec', await call('/exec?sessionId=c', json({ code: '1' })));
    assert.equal((await checked('post', '/', await call('/', json({ code: '1' })))).error.type, 'resource_limit');
    await call('/sessions/b', { method: 'DELETE' });
    await call('/sessions/c', { method: 'DELETE' });
  });

  it('/mcp: initialize, a notification, a call, the errors, DELETE and GET', async () => {
    const post = (body, headers = {}) =>
      call('/mcp', { method: 'POST', headers: { ...mcpHeaders, ...headers }, body: JSON.stringify(body) });
    await checked('post', '/exec', await call('/exec?sessionId=b', json({ code: '1' })));
    await checked('post', '/exec', await call('/exec?sessionId=c', json({ code: '1' })));
    assert.equal((await checked('post', '/mcp', await post(initialize(0)))).error.code, -32000);
    await call('/sessions/b', { method: 'DELETE' });
    await call('/sessions/c', { method: 'DELETE' });
    const started = await post(initialize(1));
    const session = started.headers.get('mcp-session-id');
    assert.equal((await checked('post', '/mcp', started)).result.protocolVersion, '2025-06-18');
    const inSession = { 'Mcp-Session-Id': session, 'MCP-Protocol-Version': '2025-06-18' };
    await checked('post', '/mcp', await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, inSession));
    const listed = await checked('post', '/mcp', await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, inSession));
    assert.equal(listed.result.tools[0].name, 'run_python_code');
    const bad = await call('/mcp', { method: 'POST', headers: mcpHeaders, body: '{' });
    assert.equal((await checked('post', '/mcp', bad)).error.code, -32700);
    const unknown = await post({ jsonrpc: '2.0', id: 3, method: 'tools/list' }, { 'Mcp-Session-Id': 'mcp-nope' });
    await checked('post', '/mcp', unknown);
    await checked('post', '/mcp', await post(initialize(4), { Accept: 'text/html' }));
    await checked('post', '/mcp', await post(initialize(5), { Origin: 'https://evil.example' }));
    await checked('get', '/mcp', await call('/mcp', { headers: { Accept: 'text/event-stream' } }));
    await checked('delete', '/mcp', await call('/mcp', { method: 'DELETE' }));
    await checked('delete', '/mcp', await call('/mcp', { method: 'DELETE', headers: inSession }));
    await checked('delete', '/mcp', await call('/mcp', { method: 'DELETE', headers: inSession }));
  });
});

describe('with API keys: 401 without one, 429 past the rate', () => {
  let server;
  let key;
  let dir;
  before(async () => {
    // A key from the binary itself, its line in a key file; a rate of 1/s with a burst of
    // 1, so that the second request of a key in a second is refused.
    const made = execFileSync(binary, ['keys', 'new', 'openapi'], { encoding: 'utf8' });
    key = made.match(/^key: *(\S+)/m)[1];
    dir = mkdtempSync(join(tmpdir(), 'vivarium-openapi-'));
    writeFileSync(join(dir, 'keys'), made.match(/^line: *(\S+)/m)[1] + '\n');
    server = await startServe(['--api-keys', join(dir, 'keys'), '--rate-limit', '1', '--rate-burst', '1']);
  });
  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const operations = [
    ['post', '/exec', '/exec?sessionId=k', () => json({ code: '1' })],
    ['get', '/sessions', '/sessions', () => ({})],
    ['delete', '/sessions/{id}', '/sessions/k', () => ({ method: 'DELETE' })],
    ['post', '/sessions/{id}/interrupt', '/sessions/k/interrupt', () => ({ method: 'POST' })],
    ['post', '/', '/', () => json({ code: '1' })],
    ['post', '/mcp', '/mcp', () => ({ ...json(initialize(1)), headers: mcpHeaders })],
    ['delete', '/mcp', '/mcp', () => ({ method: 'DELETE' })],
    ['get', '/mcp', '/mcp', () => ({})],
    ['get', '/metrics', '/metrics', () => ({})],
  ];

  it('refuses every protected operation without a key, or with a wrong one', async () => {
    for (const [method, template, path, init] of operations) {
      const first = await fetch(server.url + path, init());
      // Its body was left unread, so the connection ends, and the reply must say so: a
      // client reusing it would send the next request into a closing socket.
      if (init().body) assert.equal(first.headers.get('connection'), 'close', `${method} ${path}`);
      const refused = await checked(method, template, first);
      assert.equal(refused.error.type, 'unauthorized', `${method} ${path}`);
      const wrong = await fetch(server.url + path, { ...init(), headers: { ...init().headers, Authorization: 'Bearer viv_wrong' } });
      assert.match(wrong.headers.get('www-authenticate'), /error="invalid_token"/);
      await checked(method, template, wrong);
    }
    assert.equal((await checked('get', '/health', await fetch(server.url + '/health'))).status, 'healthy');
  });

  it('answers 429 with Retry-After past the rate of the key', async () => {
    for (const [method, template, path, init] of operations.slice(0, 6)) {
      let status = 0;
      for (let attempt = 0; attempt < 5 && status !== 429; attempt++) {
        const request = init();
        const response = await fetch(server.url + path, { ...request, headers: { ...request.headers, Authorization: `Bearer ${key}` } });
        status = response.status;
        const body = await checked(method, template, response);
        if (status === 429) assert.equal(body.error.type, 'rate_limit');
      }
      assert.equal(status, 429, `${method} ${path} was never refused at 1 request a second`);
    }
  });
});

describe('every documented reply was seen', () => {
  it('or is listed with the reason it cannot be produced here', () => {
    const missing = [];
    for (const [path, item] of Object.entries(doc.paths))
      for (const [method, operation] of Object.entries(item))
        for (const status of Object.keys(operation.responses ?? {})) {
          const key = `${operation.operationId} ${status}`;
          if (!seen.has(key) && !(key in notExercised)) missing.push(`${key} (${method.toUpperCase()} ${path})`);
        }
    assert.deepEqual(missing, []);
  });
});
