// Interop: progressive call results from an autobahn-js callee. autobahn-js
// callees announce progressive_call_results but not call_canceling, so by the
// spec (rpc_progressive_call_results.md) the dealer disregards their progress;
// a realm with progressive_results_without_canceling honours it.
// usage: node autobahn_js_progress.js URL SERIALIZER REALM EXPECT
//   EXPECT "honoured": the caller must see the callee's progress;
//   EXPECT "disregarded": only the final result (the spec's default).
'use strict';
if (typeof globalThis.WebSocket === 'undefined') globalThis.WebSocket = require('ws');
const autobahn = require('autobahn');

const [url, serializerName, realm, expect] = process.argv.slice(2);
const label = `autobahn-js progress ${realm} ${serializerName}`;
const serializers = {
  json: () => new autobahn.serializer.JSONSerializer(),
  msgpack: () => new autobahn.serializer.MsgpackSerializer(),
  cbor: () => new autobahn.serializer.CBORSerializer(),
};
const failures = [];
const check = (name, ok, detail) => { if (!ok) failures.push(`${name}: ${detail}`); };
const within = (p, what) => Promise.race([Promise.resolve(p),
  new Promise((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), 5000))]);

function open() {
  return new Promise((resolve, reject) => {
    const connection = new autobahn.Connection({
      url, realm, serializers: [serializers[serializerName]()], max_retries: 0,
    });
    connection.onopen = (session) => resolve({ connection, session });
    connection.onclose = (reason) => { reject(new Error(`session: ${reason}`)); return true; };
    connection.open();
  });
}

async function checks() {
  const callee = await within(open(), 'callee session');
  const caller = await within(open(), 'caller session');
  await within(callee.session.register('com.interop.stream', (args, kwargs, details) => {
    if (details.progress) {
      details.progress([25]);
      details.progress([50]);
      details.progress([75]);
    }
    return 100;
  }), 'register');
  const chunks = [];
  const final = await within(caller.session.call('com.interop.stream', [], {},
    { receive_progress: true }).then((r) => r, null,
    // autobahn-js hands a single positional result over unwrapped, several as a Result
    (p) => chunks.push(p instanceof autobahn.Result ? p.args[0] : p)), 'call');
  check('final result', final === 100, JSON.stringify(final));
  if (expect === 'honoured')
    check('progressive results', JSON.stringify(chunks) === '[25,50,75]', JSON.stringify(chunks));
  else
    check('progress disregarded', chunks.length === 0, JSON.stringify(chunks));
  callee.connection.close();
  caller.connection.close();
}

checks().then(() => {
  if (failures.length) {
    for (const f of failures) console.log(`${label}: FAILED ${f}`);
    process.exit(1);
  }
  console.log(`${label}: all checks passed`);
  process.exit(0);
}, (e) => {
  console.log(`${label}: FAILED ${e.message}`);
  process.exit(1);
});
