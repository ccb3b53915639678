// Interop checks: npm autobahn (autobahn-js) against a running nexusd over WebSocket.
// usage: node autobahn_js_client.js URL SERIALIZER   (json | msgpack | cbor)
// Exits 0 when every check passed; otherwise prints which check failed and how.
'use strict';
const common = require('./autobahn_js_common');
const { autobahn, serializer, failures, check, within } = common;

const [url, serializerName] = process.argv.slice(2);
const label = `autobahn-js websocket ${serializerName}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A callee that sends progressive results. autobahn-js callees announce
// progressive_call_results without call_canceling, which the spec tells the
// dealer to disregard (rpc_progressive_call_results.md), so this one speaks
// WAMP (JSON) over npm ws itself; the autobahn-js caller gets the results in
// its own serializer.
function progressiveCallee() {
  return new Promise((resolve, reject) => {
    const WebSocketClient = require('ws');
    const ws = new WebSocketClient(url, ['wamp.2.json']);
    const send = (m) => ws.send(JSON.stringify(m));
    ws.on('open', () => send([1, 'realm1', { roles: { callee: { features:
      { call_canceling: true, progressive_call_results: true } } } }]));
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      if (m[0] === 2) send([64, 1, {}, 'com.interop.progressive']); // WELCOME: REGISTER
      else if (m[0] === 65) resolve(ws); // REGISTERED
      else if (m[0] === 68) { // INVOCATION
        const [, request, , details] = m;
        if (details.receive_progress) {
          send([70, request, { progress: true }, [1]]);
          send([70, request, { progress: true }, [2]]);
        }
        send([70, request, {}, ['done']]);
      }
    });
    ws.on('error', reject);
  });
}

// A second session of the same realm (for exclude_me and the black/white lists).
const openSession = () => common.openSession(url, 'realm1', serializerName, 'second session');

function finish(completed) {
  if (!completed) failures.push('the checks did not run to the end');
  common.finish(label);
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

  // Progressive call results, then the final one
  const callee = await within(progressiveCallee(), 'progressive callee');
  const chunks = [];
  const final = await within(session.call('com.interop.progressive', [], {}, { receive_progress: true })
    .then((r) => r, null, (p) => chunks.push(p)), 'progressive call');
  check('progressive results', JSON.stringify(chunks) === '[1,2]', JSON.stringify(chunks));
  check('final result', final === 'done', JSON.stringify(final));
  callee.close();

  // Cancel: a callee that never answers (autobahn-js callees do not take INTERRUPT, so the
  // dealer answers the caller at once); mode kill keeps the call pending until that ERROR.
  await session.register('com.interop.hang', () => new Promise(() => {}));
  const hanging = session.call('com.interop.hang');
  setTimeout(() => hanging.cancel({ mode: 'kill' }), 100);
  try {
    await within(hanging, 'cancel');
    check('cancel', false, 'no error');
  } catch (e) {
    check('cancel', e.error === 'wamp.error.canceled', e.error || e.message);
  }

  // Call timeout: the dealer ends the call after 200 ms
  try {
    await within(session.call('com.interop.hang', [], {}, { timeout: 200 }), 'call timeout');
    check('timeout', false, 'no error');
  } catch (e) {
    check('timeout', e.error === 'wamp.error.timeout', e.error || e.message);
  }

  // Caller disclosure asked for by the registration
  await session.register('com.interop.who', (args, kwargs, details) => details.caller,
    { disclose_caller: true });
  const who = await within(session.call('com.interop.who'), 'caller disclosure');
  check('caller disclosure', who === session.id, JSON.stringify(who));

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

  // exclude_me (on by default), exclude and eligible lists, with a second session
  const other = await within(openSession(), 'second session');
  const seen = [];
  await within(other.session.subscribe('com.interop.lists', (args) => seen.push(`other:${args[0]}`)), 'subscribe');
  await within(session.subscribe('com.interop.lists', (args) => seen.push(`me:${args[0]}`)), 'subscribe');
  await within(session.publish('com.interop.lists', ['default'], {}, { acknowledge: true }), 'publish');
  await within(session.publish('com.interop.lists', ['excluded'], {},
    { acknowledge: true, exclude_me: false, exclude: [other.session.id] }), 'publish');
  await within(session.publish('com.interop.lists', ['eligible'], {},
    { acknowledge: true, exclude_me: false, eligible: [other.session.id] }), 'publish');
  await sleep(300);
  check('exclude_me, exclude, eligible', JSON.stringify(seen.sort()) ===
    JSON.stringify(['me:excluded', 'other:default', 'other:eligible']), JSON.stringify(seen));

  // Meta API
  const count = await within(session.call('wamp.session.count'), 'meta');
  check('wamp.session.count', count >= 2, String(count));
  other.connection.close();
}

const connection = new autobahn.Connection({
  url, realm: 'realm1', serializers: [serializer(serializerName)], max_retries: 0,
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
