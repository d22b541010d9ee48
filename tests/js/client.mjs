// End-to-end MCP client built on the official TypeScript SDK, driven by
// web/tssdk_test.go. Given only the gateway URL of one route it discovers the
// authorization server (401 → protected resource metadata → AS metadata),
// registers itself dynamically, sends the user to the authorization URL, takes
// the code on a loopback callback, lists and calls tools, and finally forces a
// token refresh by presenting a rejected access token.
//
// Usage: node client.mjs <mcpURL> <callbackPort|0> [clientMetadataUrl]
// With clientMetadataUrl the SDK uses that URL as its client_id (a client ID
// metadata document) when the server advertises support, instead of registering.
//
// Protocol on stdout, one line each (the Go test reads these):
//   STEP <text>          progress
//   HTTP <METHOD> <url> <status> [<WWW-Authenticate>]   every request the SDK made
//   AUTHORIZE <url>      open this URL in a browser; the user signs in and approves
//   CALLBACK <json>      query the callback received (code redacted)
//   RESULT <name> <json> results of MCP calls
//   REFRESHED <bool>     whether a forced refresh produced a working new access token
// Anything else goes to stderr. Exit status 0 means every step passed.

import http from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

const [mcpArg, portArg, metadataArg] = process.argv.slice(2);
if (!mcpArg) {
    console.error('usage: node client.mjs <mcpURL> <callbackPort|0>');
    process.exit(2);
}
const mcpURL = new URL(mcpArg);
const out = (line) => process.stdout.write(line + '\n');
const fail = (msg) => {
    console.error('FAIL ' + msg);
    process.exit(1);
};
// Never hang the Go test: it has its own deadline, but leave a clear message.
setTimeout(() => fail('timed out after 80s'), 80_000).unref();

// ---- loopback callback ----------------------------------------------------
let resolveCallback;
const callbackQuery = new Promise((resolve) => (resolveCallback = resolve));
const cb = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://127.0.0.1');
    if (u.pathname !== '/callback') {
        res.writeHead(404).end();
        return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('done');
    resolveCallback(u.searchParams);
});
await new Promise((resolve, reject) => {
    cb.once('error', reject);
    cb.listen(Number(portArg ?? 0), '127.0.0.1', resolve);
});
const redirectUri = `http://127.0.0.1:${cb.address().port}/callback`;
out(`STEP callback listening at ${redirectUri}`);

// ---- OAuthClientProvider, all in memory -----------------------------------
const expectedState = 'st-' + Math.random().toString(36).slice(2);
class MemoryProvider {
    _client = undefined;
    _tokens = undefined;
    _verifier = undefined;
    _discovery = undefined;
    rejectAccessToken = false; // when set, tokens() hands out a rejected access token
    get redirectUrl() {
        return redirectUri;
    }
    get clientMetadataUrl() {
        return metadataArg || undefined;
    }
    get clientMetadata() {
        return {
            client_name: 'TypeScript SDK E2E',
            redirect_uris: [redirectUri],
            token_endpoint_auth_method: 'none',
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
        };
    }
    state() {
        return expectedState;
    }
    clientInformation() {
        return this._client;
    }
    saveClientInformation(info) {
        out(`STEP saveClientInformation client_id=${info.client_id}`);
        this._client = info;
    }
    tokens() {
        if (this._tokens && this.rejectAccessToken) {
            return { ...this._tokens, access_token: 'not-a-valid-token' };
        }
        return this._tokens;
    }
    saveTokens(tokens) {
        out(`STEP saveTokens token_type=${tokens.token_type} expires_in=${tokens.expires_in} refresh=${Boolean(tokens.refresh_token)} scope=${tokens.scope ?? ''}`);
        this._tokens = tokens;
        this.rejectAccessToken = false;
    }
    redirectToAuthorization(url) {
        out(`AUTHORIZE ${url.href}`);
    }
    saveCodeVerifier(v) {
        this._verifier = v;
    }
    codeVerifier() {
        if (!this._verifier) throw new Error('no code verifier saved');
        return this._verifier;
    }
    saveDiscoveryState(s) {
        out(`STEP discovered authorization server ${s.authorizationServerUrl} resource ${s.resourceMetadata?.resource ?? '(none)'}`);
        this._discovery = s;
    }
    discoveryState() {
        return this._discovery;
    }
    invalidateCredentials(scope) {
        out(`STEP invalidateCredentials ${scope}`);
        if (scope === 'all' || scope === 'tokens') this._tokens = undefined;
        if (scope === 'all' || scope === 'client') this._client = undefined;
        if (scope === 'all' || scope === 'verifier') this._verifier = undefined;
        if (scope === 'all' || scope === 'discovery') this._discovery = undefined;
    }
}
const provider = new MemoryProvider();

// Logs every request the SDK makes (MCP and OAuth alike).
const loggingFetch = async (url, init) => {
    const res = await fetch(url, init);
    const challenge = res.headers.get('www-authenticate');
    out(`HTTP ${(init?.method ?? 'GET').toUpperCase()} ${String(url)} ${res.status}${challenge ? ' ' + challenge : ''}`);
    return res;
};
const newTransport = () => new StreamableHTTPClientTransport(mcpURL, { authProvider: provider, fetch: loggingFetch });
const newClient = () => new Client({ name: 'latchkey-ts-e2e', version: '0.0.0' });

// ---- 1. bare URL → UnauthorizedError after discovery + DCR ----------------
let transport = newTransport();
let client = newClient();
try {
    await client.connect(transport);
    fail('connect succeeded without authorization');
} catch (err) {
    if (!(err instanceof UnauthorizedError)) fail(`first connect: want UnauthorizedError, got ${err?.stack ?? err}`);
    out('STEP first connect: UnauthorizedError');
}

// ---- 2. browser step (done by the Go test) → code → tokens ----------------
const q = await callbackQuery;
const shown = Object.fromEntries(q);
if (shown.code) shown.code = shown.code.slice(0, 4) + '…';
out(`CALLBACK ${JSON.stringify(shown)}`);
if (q.get('error')) fail(`authorization failed: ${q.get('error')} ${q.get('error_description') ?? ''}`);
if (q.get('state') !== expectedState) fail(`state = ${q.get('state')}, want ${expectedState}`);
const code = q.get('code');
if (!code) fail('callback without code');
await transport.finishAuth(code);
out('STEP finishAuth done');

// ---- 3. reconnect with the tokens, use the tools --------------------------
transport = newTransport();
client = newClient();
await client.connect(transport);
out(`STEP connected to ${JSON.stringify(client.getServerVersion())}`);
const tools = await client.listTools();
out(`RESULT tools ${JSON.stringify(tools.tools.map((t) => t.name))}`);
// The echo tool's argument: "message" on server-everything, "text" on Latchkey's demo server.
const echoArg = process.env.LATCHKEY_TS_ECHO_ARG || 'message';
const echo = await client.callTool({ name: 'echo', arguments: { [echoArg]: 'hello' } });
out(`RESULT echo ${JSON.stringify(echo)}`);

// ---- 4. forced refresh: the gateway rejects the access token, the SDK ------
//         refreshes with the saved refresh token and retries the request.
const before = provider._tokens;
provider.rejectAccessToken = true;
const echo2 = await client.callTool({ name: 'echo', arguments: { [echoArg]: 'hello again' } });
out(`RESULT echo-after-refresh ${JSON.stringify(echo2)}`);
const after = provider._tokens;
const refreshed =
    after !== before &&
    after.access_token !== before.access_token &&
    !provider.rejectAccessToken &&
    JSON.stringify(echo2).includes('hello again');
out(`REFRESHED ${refreshed}`);

await client.close().catch(() => {});
cb.close();
process.exit(refreshed ? 0 : 1);
