// A TypeScript SDK client that makes one call failing with a JSON-RPC error,
// then watches what the SDK does with the finished stream. Driven by
// web/gateway_ts_resume_test.go. The SDK resumes a POST stream that ended
// without a *result* (an error response does not count) with GET +
// Last-Event-ID, and after an empty 200 reconnects without Last-Event-ID,
// which a server with one standalone stream per session refuses (409).
//
// Usage: LATCHKEY_TS_TOKEN=<access token> node error_resume.mjs <mcpURL>
// The token goes in the Authorization header; there is no OAuth flow here.
//
// Protocol on stdout, one line each:
//   HTTP <METHOD> <Last-Event-ID|-> <status>   every MCP request the SDK made
//   ERROR <message>                            every onerror report
//   RESULT <name> <json>                       outcomes of the calls
// Exit status 0 means the script ran to the end (the Go test judges the lines).

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [mcpArg] = process.argv.slice(2);
const token = process.env.LATCHKEY_TS_TOKEN;
if (!mcpArg || !token) {
    console.error('usage: LATCHKEY_TS_TOKEN=<token> node error_resume.mjs <mcpURL>');
    process.exit(2);
}
const out = (line) => process.stdout.write(line + '\n');
const fail = (msg) => {
    console.error('FAIL ' + msg);
    process.exit(1);
};
setTimeout(() => fail('timed out after 40s'), 40_000).unref();

// The SDK waits 1 s before its first reconnection and 1.5 s before the
// next: after the resumption GET is answered, this is long enough to see
// any reconnection it makes.
const settle = 2500;

let resumed; // resolves when a GET with Last-Event-ID has been answered
const resumedAnswer = new Promise((resolve) => (resumed = resolve));
const loggingFetch = async (url, init) => {
    const method = (init?.method ?? 'GET').toUpperCase();
    const lastEventID = new Headers(init?.headers).get('last-event-id');
    const res = await fetch(url, init);
    out(`HTTP ${method} ${lastEventID ?? '-'} ${res.status}`);
    if (method === 'GET' && lastEventID) resumed();
    return res;
};

const transport = new StreamableHTTPClientTransport(new URL(mcpArg), {
    fetch: loggingFetch,
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
});
const client = new Client({ name: 'latchkey-ts-error-resume', version: '0.0.0' });
client.onerror = (err) => out(`ERROR ${err?.message ?? err}`);
await client.connect(transport);

const tools = await client.listTools();
out(`RESULT tools ${JSON.stringify(tools.tools.map((t) => t.name))}`);
try {
    const r = await client.callTool({ name: 'no_such_tool', arguments: {} });
    out(`RESULT unknown-tool ${JSON.stringify(r)}`);
} catch (err) {
    out(`RESULT unknown-tool ${JSON.stringify({ code: err?.code, message: err?.message })}`);
}

const resumedInTime = await Promise.race([
    resumedAnswer.then(() => true),
    new Promise((resolve) => setTimeout(() => resolve(false), 5000)),
]);
out(`RESULT resumed ${resumedInTime}`);
await new Promise((resolve) => setTimeout(resolve, settle));

const echo = await client.callTool({ name: 'echo', arguments: { text: 'still here' } });
out(`RESULT echo ${JSON.stringify(echo)}`);
await client.close();
process.exit(0);
