// What the MCP tests share: the vivarium binary, a `vivarium mcp` or `vivarium serve`
// started for one test, and the official SDK's client over stdio or Streamable HTTP.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export const binary = process.env.VIVARIUM_BINARY;
if (!binary) throw new Error('VIVARIUM_BINARY is not set: run these tests through ctest');

// Short timeouts keep the timeout test fast; no preload keeps start-up fast.
export const serverArgs = ['--preload', 'none', '--execution-timeout', '2'];

// `vivarium serve` on a free port of 127.0.0.1; resolves once it listens.
export async function startServe(extra = []) {
  const child = spawn(binary, ['serve', '--port', '0', ...serverArgs, ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines = createInterface({ input: child.stderr });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      log += line + '\n';
      const match = line.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`vivarium serve exited with ${code} before listening:\n${log}`)));
  });
  return {
    url,
    mcp: `${url}/mcp`,
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

// An SDK client connected over stdio to a `vivarium mcp` of its own.
export async function stdioClient() {
  const transport = new StdioClientTransport({
    command: binary,
    args: ['mcp', ...serverArgs],
    env: { ...process.env },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'vivarium-tests', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

// An SDK client connected to a server's /mcp endpoint.
export async function httpClient(mcpUrl) {
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl));
  const client = new Client({ name: 'vivarium-tests', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

// The transports every SDK test runs over: each gives a fresh client, and a cleanup.
export const transports = {
  stdio: {
    async setup() {
      return { client: () => stdioClient(), async teardown() {} };
    },
  },
  http: {
    async setup() {
      const server = await startServe();
      return { client: () => httpClient(server.mcp), teardown: () => server.stop() };
    },
  },
};

export async function run(client, code, globals) {
  const args = { python_code: code };
  if (globals !== undefined) args.global_variables = globals;
  return client.callTool({ name: 'run_python_code', arguments: args });
}

// A 4x4 red PNG made with the standard library only (matplotlib may be absent).
export const writePng = `
import struct, zlib
def chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
rows = b''.join(b'\\x00' + b'\\xff\\x00\\x00' * 4 for _ in range(4))
png = (b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 4, 4, 8, 2, 0, 0, 0))
       + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b''))
with open('dot.png', 'wb') as f:
    f.write(png)
len(png)
`;

// `vivarium mcp` driven with raw bytes on stdin: send() writes text as is, next()
// gives the next line of stdout parsed.
export function rawStdio() {
  const child = spawn(binary, ['mcp', ...serverArgs], { stdio: ['pipe', 'pipe', 'ignore'] });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  const received = [];
  lines.on('line', (line) => {
    const message = JSON.parse(line);
    if (waiting.length) waiting.shift()(message);
    else received.push(message);
  });
  return {
    send: (text) => child.stdin.write(text),
    next: () => (received.length ? Promise.resolve(received.shift()) : new Promise((resolve) => waiting.push(resolve))),
    async close() {
      child.stdin.end();
      const [code] = child.exitCode === null ? await once(child, 'exit') : [child.exitCode];
      return code;
    },
  };
}

export const initializeMessage = (id, version = '2025-06-18') => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});
