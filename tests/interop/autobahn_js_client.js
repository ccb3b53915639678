// Interop checks: npm autobahn (autobahn-js) against a running nexusd over WebSocket.
// usage: node autobahn_js_client.js URL SERIALIZER   (json | msgpack | cbor)
// Exits 0 when every check passed; otherwise prints which check failed and how.
'use strict';
// autobahn 26 uses the global WebSocket of Node 22+; on older Node, npm's ws provides it.
if (typeof globalThis.WebSocket === 'undefined') globalThis.WebSocket = require('ws');
const autobahn = require('autobahn');

const [url, serializerName] = process.argv.slice(2);
const label = `autobahn-js websocket ${serializerName}`;
const serializers = {
  json: () => new autobahn.serializer.JSONSerializer(),
  msgpack: () => new autobahn.serializer.MsgpackSerializer(),
  cbor: () => new autobahn.serializer.CBORSerializer(),
};
const failures = [];
const check = (name, ok, detail) => { if (!ok) failures.push(`${name}: ${detail}`); };
const timeout = (ms, what) => new Promise((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), ms));
const within = (p, what) => Promise.race([Promise.resolve(p), timeout(5000, what)]);

function finish(completed) {
  if (!completed) failures.push('the checks did not run to the end');
  if (failures.length) {
    for (const f of failures) console.log(`${label}: FAILED ${f}`);
    process.exit(1);
  }
  console.log(`${label}: all checks passed`);
  process.exit(0);
}

async function checks(session) {
  // RPC with args and kwargs
  await within(session.register('com.interop.add', (args, kwargs) => (args[0] + args[1]) * (kwargs.scale || 1)), 'register');
  const sum = await within(session.call('com.interop.add', [2, 3], { scale: 10 }), 'call');
  check('call result', sum === 50, JSON.stringify(sum));

  // Errors carry URI, args and kwargs
  await session.register('com.interop.fail', () => { throw new autobahn.Error('com.interop.oops', ['why'], { code: 7 }); });
  try {
    await within(session.call('com.interop.fail'), 'call fail');
    check('error', false, 'no error');
  } catch (e) {
    check('error uri', e.error === 'com.interop.oops', e.error);
    check('error args', JSON.stringify(e.args) === '["why"]', JSON.stringify(e.args));
    check('error kwargs', e.kwargs && e.kwargs.code === 7, JSON.stringify(e.kwargs));
  }
  try {
    await within(session.call('com.interop.nothing'), 'no such procedure');
    check('no_such_procedure', false, 'no error');
  } catch (e) {
    check('no_such_procedure', e.error === 'wamp.error.no_such_procedure', e.error);
  }

  // Pattern registration and the concrete procedure in the details
  await session.register('com.interop.prefix', (args, kwargs, details) => details.procedure, { match: 'prefix' });
  const proc = await within(session.call('com.interop.prefix.deep'), 'prefix call');
  check('prefix registration', proc === 'com.interop.prefix.deep', proc);

  // Shared registration, round robin between two registrations of this session is refused
  // (same session twice), so only check that invoke is accepted.
  await within(session.register('com.interop.shared', () => 'rr', { invoke: 'roundrobin' }), 'shared');
  check('shared call', (await session.call('com.interop.shared')) === 'rr', 'bad result');

  // Binary payloads (JSON carries them as "\u0000" + base64)
  if (serializerName !== 'json') {
    const blob = new Uint8Array([0, 1, 2, 250, 255]);
    await session.register('com.interop.echo', (args) => args[0]);
    const back = await within(session.call('com.interop.echo', [blob]), 'binary');
    check('binary', back && back.length === 5 && back[3] === 250, String(back));
  }

  // Pub/sub: acknowledge, exclude_me false, publisher disclosure, patterns
  const got = new Promise((resolve) => {
    session.subscribe('com.interop.topic', (args, kwargs, details) => resolve({ args, kwargs, details }));
  });
  const wild = new Promise((resolve) => {
    session.subscribe('com..topic', (args, kwargs, details) => resolve(details), { match: 'wildcard' });
  });
  await new Promise((r) => setTimeout(r, 100));
  const pub = await within(session.publish('com.interop.topic', [1, 'two'], { k: true },
    { acknowledge: true, exclude_me: false, disclose_me: true }), 'publish');
  check('published', pub && pub.id > 0, JSON.stringify(pub));
  const ev = await within(got, 'event');
  check('event args', JSON.stringify(ev.args) === '[1,"two"]', JSON.stringify(ev.args));
  check('event kwargs', ev.kwargs && ev.kwargs.k === true, JSON.stringify(ev.kwargs));
  check('publisher disclosure', ev.details.publisher === session.id, JSON.stringify(ev.details));
  const wd = await within(wild, 'wildcard event');
  check('wildcard topic', wd.topic === 'com.interop.topic', JSON.stringify(wd));

  // Meta API
  const count = await within(session.call('wamp.session.count'), 'meta');
  check('wamp.session.count', count >= 1, String(count));
}

const connection = new autobahn.Connection({
  url, realm: 'realm1', serializers: [serializers[serializerName]()], max_retries: 0,
});
let completed = false;
connection.onopen = async (session) => {
  try {
    await checks(session);
    completed = true;
  } catch (e) {
    failures.push(`unexpected ${e && (e.error || e.message || e)}`);
  }
  connection.close();
};
connection.onclose = (reason, details) => {
  if (!completed && reason !== 'closed') failures.push(`connection ${reason} ${JSON.stringify(details)}`);
  finish(completed);
  return true;
};
setTimeout(() => { failures.push('overall timeout'); finish(false); }, 30000);
connection.open();
