// Runs an npm MCP server bound to 127.0.0.1 only: servers started by tests
// must not listen on other interfaces, and server-everything has no host option.
// Usage: node loopback.mjs <module path> [args...]
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const listen = http.Server.prototype.listen;
http.Server.prototype.listen = function (...args) {
  if ((typeof args[0] === 'number' || typeof args[0] === 'string') && typeof args[1] !== 'string') {
    args.splice(1, 0, '127.0.0.1');
  }
  return listen.apply(this, args);
};

const [, , modulePath, ...rest] = process.argv;
process.argv = [process.argv[0], modulePath, ...rest];
await import(pathToFileURL(path.resolve(modulePath)).href);
