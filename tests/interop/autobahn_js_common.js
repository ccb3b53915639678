// Shared by the autobahn-js interop scripts (autobahn_js_*.js, client_peer.js):
// autobahn with a WebSocket on any Node, its serializers by name, the record of
// failed checks and the verdict, bounded waits and opening a session.
'use strict';
// autobahn 26 uses the global WebSocket of Node 22+; on older Node, npm's ws provides it.
if (typeof globalThis.WebSocket === 'undefined') globalThis.WebSocket = require('ws');
const autobahn = require('autobahn');

const serializers = {
  json: () => new autobahn.serializer.JSONSerializer(),
  msgpack: () => new autobahn.serializer.MsgpackSerializer(),
  cbor: () => new autobahn.serializer.CBORSerializer(),
};
// A new serializer: json | msgpack | cbor.
const serializer = (name) => serializers[name]();

const failures = [];
const check = (name, ok, detail) => { if (!ok) failures.push(`${name}: ${detail}`); };

// `p`, or a rejection naming `what` once `ms` have passed.
const within = (p, what, ms = 5000) => Promise.race([Promise.resolve(p),
  new Promise((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), ms))]);

// A session of `realm` at `url`: resolves {connection, session}; rejects
// ("`what`: reason") when the connection closes first.
function openSession(url, realm, serializerName, what = 'session') {
  return new Promise((resolve, reject) => {
    const connection = new autobahn.Connection({
      url, realm, serializers: [serializer(serializerName)], max_retries: 0,
    });
    connection.onopen = (session) => resolve({ connection, session });
    connection.onclose = (reason) => { reject(new Error(`${what}: ${reason}`)); return true; };
    connection.open();
  });
}

// Prints the verdict under `label` and exits: 0 when no check failed.
function finish(label) {
  if (failures.length) {
    for (const f of failures) console.log(`${label}: FAILED ${f}`);
    process.exit(1);
  }
  console.log(`${label}: all checks passed`);
  process.exit(0);
}

// The verdict once `checks` (a promise) settles; its rejection is a failure too.
function report(label, checks) {
  checks.then(() => finish(label), (e) => {
    console.log(`${label}: FAILED ${(e && (e.message || e.error)) || JSON.stringify(e)}`);
    process.exit(1);
  });
}

module.exports = { autobahn, serializer, failures, check, within, openSession, finish, report };
