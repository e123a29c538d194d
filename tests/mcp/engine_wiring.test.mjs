// What needs the engine side of issue 11 (ExecInput::globals_json and on_output, wired
// through sessions/executor by the lead): global_variables bound before the code runs,
// and output sent while it runs as logging notifications (over HTTP: an SSE reply).
// Registered in ctest as mcp_sdk_engine_wiring with WILL_FAIL until that lands: once
// these pass, ctest reports that test as failed, and WILL_FAIL is to be removed from
// tests/CMakeLists.txt.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { transports, run } from './helpers.mjs';

for (const [name, transport] of Object.entries(transports)) {
  describe(`engine wiring over ${name}`, () => {
    let setup;
    let client;
    const logged = [];
    before(async () => {
      setup = await transport.setup();
      client = await setup.client();
      client.setNotificationHandler(LoggingMessageNotificationSchema, (note) => logged.push(note.params));
    });
    after(async () => {
      await client?.close();
      await setup?.teardown();
    });

    it('binds global_variables before the code runs', async () => {
      const result = await run(client, 'f"{name} has {len(items)} items"', { name: 'cart', items: [1, 2, 3] });
      assert.equal(result.isError, false, result.content[0].text);
      assert.equal(result.structuredContent.result.final_expression, 'cart has 3 items');
    });

    it('sends output as logging notifications while the code runs', async () => {
      logged.length = 0;
      await client.setLoggingLevel('info');
      const result = await run(client, 'import sys\nprint("to stdout")\nprint("to stderr", file=sys.stderr)');
      assert.equal(result.isError, false);
      const stdout = logged.filter((p) => p.logger === 'stdout').map((p) => p.data).join('');
      const stderr = logged.filter((p) => p.logger === 'stderr').map((p) => p.data).join('');
      assert.equal(stdout, 'to stdout\n');
      assert.equal(stderr, 'to stderr\n');
      assert.ok(logged.every((p) => (p.logger === 'stdout' ? p.level === 'info' : p.level === 'warning')));
    });
  });
}
