// Malformed and hostile input, as raw bytes on stdin and raw HTTP (not through the
// SDK): each gets the JSON-RPC error or HTTP status the MCP specification gives it, and
// the server keeps answering.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rawStdio, startServe, initializeMessage } from './helpers.mjs';

const call = (id, args, name = 'run_python_code') => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});
const line = (message) => JSON.stringify(message) + '\n';

describe('malformed messages on stdin', () => {
  let raw;
  before(() => {
    raw = rawStdio();
  });
  after(async () => {
    assert.equal(await raw.close(), 0); // exits when stdin closes
  });

  it('refuses requests before initialize, and answers ping', async () => {
    raw.send(line({ jsonrpc: '2.0', id: 1, method: 'tools/list' }));
    const refused = await raw.next();
    assert.equal(refused.id, 1);
    assert.equal(refused.error.code, -32600);
    raw.send(line({ jsonrpc: '2.0', id: 2, method: 'ping' }));
    assert.deepEqual((await raw.next()).result, {});
  });

  it('answers bad JSON with a parse error and a null id', async () => {
    raw.send('{"jsonrpc": "2.0", "id": 3, "method": \n');
    const error = await raw.next();
    assert.equal(error.error.code, -32700);
    assert.equal(error.id, null);
    raw.send('\x00\xff garbage\n');
    assert.equal((await raw.next()).error.code, -32700);
  });

  it('answers invalid JSON-RPC with invalid request', async () => {
    raw.send(line({ id: 4, method: 'ping' }));
    assert.equal((await raw.next()).error.code, -32600);
    raw.send(line([{ jsonrpc: '2.0', id: 5, method: 'ping' }]));
    assert.equal((await raw.next()).error.code, -32600);
    raw.send('[' .repeat(100000) + '\n');
    assert.equal((await raw.next()).error.code, -32600);
  });

  it('initializes (2025-06-18), then refuses a second initialize', async () => {
    raw.send(line(initializeMessage(6)));
    const answer = await raw.next();
    assert.equal(answer.result.protocolVersion, '2025-06-18');
    raw.send(line({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    raw.send(line(initializeMessage(7)));
    assert.equal((await raw.next()).error.code, -32600);
  });

  it('answers an unknown method with method not found', async () => {
    raw.send(line({ jsonrpc: '2.0', id: 8, method: 'resources/list' }));
    assert.equal((await raw.next()).error.code, -32601);
  });

  it('answers an unknown tool and wrong argument types with invalid params', async () => {
    raw.send(line(call(9, { python_code: '1' }, 'shell')));
    const unknown = await raw.next();
    assert.equal(unknown.error.code, -32602);
    assert.match(unknown.error.message, /Unknown tool: shell/);
    raw.send(line(call(10, { python_code: 42 })));
    assert.equal((await raw.next()).error.code, -32602);
    raw.send(line(call(11, { python_code: '1', global_variables: [1] })));
    assert.equal((await raw.next()).error.code, -32602);
    raw.send(line(call(12, {})));
    assert.equal((await raw.next()).error.code, -32602);
    raw.send(line({ jsonrpc: '2.0', id: 13, method: 'tools/call', params: [1] }));
    assert.equal((await raw.next()).error.code, -32602);
  });

  it('still runs code after all of that', async () => {
    raw.send(line(call(14, { python_code: '6 * 7' })));
    const answer = await raw.next();
    assert.equal(answer.id, 14);
    assert.equal(answer.result.structuredContent.result.final_expression, 42);
  });
});

describe('argument errors in MCP 2025-11-25 are tool results', () => {
  it('reports wrong argument types with isError', async () => {
    const raw = rawStdio();
    raw.send(line(initializeMessage(1, '2025-11-25')));
    assert.equal((await raw.next()).result.protocolVersion, '2025-11-25');
    raw.send(line(call(2, { python_code: 42 })));
    const answer = await raw.next();
    assert.equal(answer.result.isError, true);
    assert.match(answer.result.content[0].text, /python_code must be a string/);
    assert.equal(await raw.close(), 0);
  });
});

describe('malformed requests over HTTP', () => {
  let server;
  let session;
  const headers = (extra = {}) => ({
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
    ...extra,
  });
  const post = (body, extra = {}) =>
    fetch(server.mcp, { method: 'POST', headers: headers(extra), body: typeof body === 'string' ? body : JSON.stringify(body) });

  before(async () => {
    server = await startServe();
    const response = await post(initializeMessage(1));
    assert.equal(response.status, 200);
    session = response.headers.get('mcp-session-id');
    assert.match(session, /^mcp-[0-9a-f]{32}$/);
    assert.equal((await response.json()).result.protocolVersion, '2025-06-18');
  });
  after(() => server.stop());

  const inSession = (extra = {}) => ({ 'Mcp-Session-Id': session, 'MCP-Protocol-Version': '2025-06-18', ...extra });

  it('refuses a request without a session with 400', async () => {
    const response = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    assert.equal(response.status, 400);
    assert.equal((await response.json()).error.code, -32000);
  });

  it('answers an unknown Mcp-Session-Id with 404', async () => {
    const response = await post({ jsonrpc: '2.0', id: 3, method: 'ping' }, { 'Mcp-Session-Id': 'mcp-' + '0'.repeat(32) });
    assert.equal(response.status, 404);
  });

  it('refuses a foreign Origin with 403 and accepts localhost ones', async () => {
    const foreign = await post({ jsonrpc: '2.0', id: 4, method: 'ping' }, inSession({ Origin: 'http://evil.example' }));
    assert.equal(foreign.status, 403);
    assert.equal((await foreign.json()).id, null);
    const local = await post({ jsonrpc: '2.0', id: 5, method: 'ping' }, inSession({ Origin: 'http://localhost:6274' }));
    assert.equal(local.status, 200);
    assert.deepEqual((await local.json()).result, {});
  });

  it('answers bad JSON with 400 and a parse error', async () => {
    const response = await post('{"jsonrpc": "2.0", "id": ', inSession());
    assert.equal(response.status, 400);
    assert.equal((await response.json()).error.code, -32700);
  });

  it('answers an unknown method, an unknown tool and wrong argument types with JSON-RPC errors', async () => {
    const method = await (await post({ jsonrpc: '2.0', id: 6, method: 'prompts/list' }, inSession())).json();
    assert.equal(method.error.code, -32601);
    const tool = await (await post(call(7, { python_code: '1' }, 'nope'), inSession())).json();
    assert.equal(tool.error.code, -32602);
    const types = await (await post(call(8, { python_code: ['not', 'code'] }), inSession())).json();
    assert.equal(types.error.code, -32602);
  });

  it('refuses an unsupported MCP-Protocol-Version with 400', async () => {
    const response = await post({ jsonrpc: '2.0', id: 9, method: 'ping' }, inSession({ 'MCP-Protocol-Version': '1999-01-01' }));
    assert.equal(response.status, 400);
  });

  it('accepts a notification with 202 and no body', async () => {
    const response = await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, inSession());
    assert.equal(response.status, 202, await response.clone().text());
    assert.equal(await response.text(), '');
  });

  it('offers no GET stream (405)', async () => {
    const response = await fetch(server.mcp, { headers: { Accept: 'text/event-stream', 'Mcp-Session-Id': session } });
    assert.equal(response.status, 405);
  });

  it('ends the session on DELETE, after which it is 404', async () => {
    const deleted = await fetch(server.mcp, { method: 'DELETE', headers: inSession() });
    assert.equal(deleted.status, 200);
    const after = await post({ jsonrpc: '2.0', id: 10, method: 'ping' }, inSession());
    assert.equal(after.status, 404);
    const again = await fetch(server.mcp, { method: 'DELETE', headers: inSession() });
    assert.equal(again.status, 404);
  });

  it('answers 404 for a session deleted through /sessions', async () => {
    const response = await post(initializeMessage(11));
    const id = response.headers.get('mcp-session-id');
    const listed = await (await fetch(`${server.url}/sessions`)).json();
    assert.ok(listed.sessions.some((s) => s.id === id));
    assert.equal((await fetch(`${server.url}/sessions/${id}`, { method: 'DELETE' })).status, 200);
    const after = await post({ jsonrpc: '2.0', id: 12, method: 'ping' }, { 'Mcp-Session-Id': id });
    assert.equal(after.status, 404);
  });
});
