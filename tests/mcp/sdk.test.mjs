// vivarium's MCP server through the official TypeScript SDK's client, over stdio
// (`vivarium mcp`) and over Streamable HTTP (`vivarium serve`, /mcp): what an agent
// framework sees.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { transports, run, writePng } from './helpers.mjs';

const expectedSchema = {
  type: 'object',
  properties: {
    python_code: { type: 'string', description: 'Python code to run' },
    global_variables: {
      type: 'object',
      additionalProperties: {},
      default: {},
      description: 'Map of global variables in context when the code is executed',
    },
  },
  required: ['python_code'],
  additionalProperties: false,
  $schema: 'http://json-schema.org/draft-07/schema#',
};

for (const [name, transport] of Object.entries(transports)) {
  describe(`MCP over ${name}`, () => {
    let setup;
    let client;
    before(async () => {
      setup = await transport.setup();
      client = await setup.client();
    });
    after(async () => {
      await client?.close();
      await setup?.teardown();
    });

    it('initializes with vivarium as the server, offering tools and logging', () => {
      assert.equal(client.getServerVersion().name, 'vivarium');
      const capabilities = client.getServerCapabilities();
      assert.ok(capabilities.tools);
      assert.ok(capabilities.logging);
      assert.match(client.getInstructions(), /run_python_code/);
    });

    it('lists run_python_code with exactly mcp-run-python\'s input schema', async () => {
      const { tools } = await client.listTools();
      assert.equal(tools.length, 1);
      assert.equal(tools[0].name, 'run_python_code');
      assert.ok(tools[0].description.startsWith('Tool to execute Python code and return stdout, stderr, and return value.'));
      assert.deepEqual(tools[0].inputSchema, expectedSchema);
    });

    it('runs a call and answers in mcp-run-python\'s layout with the /exec result', async () => {
      const result = await run(client, 'x = 4\nprint(f"{x=}")\nx');
      assert.equal(result.isError, false);
      assert.equal(result.content[0].type, 'text');
      assert.equal(
        result.content[0].text,
        '<status>success</status>\n<output>\nx=4\n</output>\n<return_value>\n4\n</return_value>',
      );
      assert.equal(result.structuredContent.success, true);
      assert.equal(result.structuredContent.result.std_out, 'x=4\n');
      assert.equal(result.structuredContent.result.final_expression, 4);
    });

    it('keeps state across calls', async () => {
      await run(client, 'counter = 41\nopen("note.txt", "w").write("kept")');
      const result = await run(client, 'counter + 1, open("note.txt").read()');
      assert.equal(result.isError, false);
      assert.deepEqual(result.structuredContent.result.final_expression, [42, 'kept']);
    });

    it('returns a Python exception as an error result, not a protocol error', async () => {
      const result = await run(client, 'print("before")\nprint(unknown)');
      assert.equal(result.isError, true);
      const text = result.content[0].text;
      assert.ok(text.startsWith('<status>run-error</status>\n<output>\nbefore\n</output>\n<error>\nTraceback'), text);
      assert.match(text, /NameError: name 'unknown' is not defined\n\n<\/error>$/);
      assert.equal(result.structuredContent.error.type, 'execution');
      assert.equal(result.structuredContent.error.exception, 'NameError');
    });

    it('returns a PNG the code wrote as image content', async () => {
      const result = await run(client, writePng);
      assert.equal(result.isError, false);
      const image = result.content.find((item) => item.type === 'image');
      assert.ok(image, JSON.stringify(result.content));
      assert.equal(image.mimeType, 'image/png');
      const bytes = Buffer.from(image.data, 'base64');
      assert.equal(bytes.subarray(0, 8).toString('latin1'), '\x89PNG\r\n\x1a\n');
      assert.equal(bytes.length, result.structuredContent.result.final_expression);
      assert.equal(result.structuredContent.result.output_files[0].filename, 'dot.png');
    });

    it('returns other files as embedded resources with a MIME type', async () => {
      const result = await run(client, 'open("table.csv", "w").write("a,b\\n1,2\\n")');
      const resource = result.content.find((item) => item.type === 'resource');
      assert.ok(resource, JSON.stringify(result.content));
      assert.equal(resource.resource.uri, 'file:///home/earth/table.csv');
      assert.equal(resource.resource.mimeType, 'text/csv');
      assert.equal(resource.resource.text, 'a,b\n1,2\n');
    });

    it('stops code past the execution timeout, and the session goes on', async () => {
      await run(client, 'survivor = "still here"');
      const result = await run(client, 'import time\ntime.sleep(30)');
      assert.equal(result.isError, true);
      assert.match(result.content[0].text, /TimeoutError: the code ran past the execution timeout of 2 s/);
      assert.equal(result.structuredContent.error.type, 'timeout');
      const after = await run(client, 'survivor');
      assert.equal(after.structuredContent.result.final_expression, 'still here');
    });

    it('gives two MCP sessions two Python sessions that do not see each other', async () => {
      const other = await setup.client();
      try {
        await run(client, 'secret = "mine"');
        const result = await run(other, 'secret');
        assert.equal(result.isError, true);
        assert.equal(result.structuredContent.error.exception, 'NameError');
        await run(other, 'secret = "theirs"');
        const mine = await run(client, 'secret');
        assert.equal(mine.structuredContent.result.final_expression, 'mine');
      } finally {
        await other.close();
      }
    });
  });
}
