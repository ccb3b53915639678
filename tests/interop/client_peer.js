// The autobahn-js (npm) peer of tests/unit/client_interop_test.cpp: calls the
// nexus C++ client's procedures and is called by it, through a nexus router.
// usage: node client_peer.js URL SERIALIZER   (json | msgpack | cbor)
// Prints what failed and exits 1, or exits 0 once the C++ side said "finish".
'use strict';
const { autobahn, serializer, failures, check } = require('./autobahn_js_common');

const [url, serializerName] = process.argv.slice(2);
const fail = (why) => { console.log(`FAILED ${why}`); process.exit(1); };
setTimeout(() => fail('timeout: the C++ side never called com.interop.js.finish'), 15000);

async function run(session) {
  // Called by the C++ client.
  await session.register('com.interop.js.greet', (args, kwargs, details) =>
    new autobahn.Result([`hello, ${args[0]}`], { caller: details.caller || null, bytes: kwargs.bytes }),
    { disclose_caller: true });
  await session.register('com.interop.js.fail', () => {
    throw new autobahn.Error('com.interop.js.oops', ['bad input'], { code: 3 });
  });
  await session.subscribe('com.interop.cpp.ping', (args, kwargs, details) =>
    session.publish('com.interop.js.pong', args, { from: details.publisher || null }));
  await session.register('com.interop.js.finish', () => {
    setTimeout(() => {
      if (failures.length) fail(failures.join('; '));
      console.log('all checks passed');
      process.exit(0);
    }, 50);
    return failures.length;
  });

  // Calls to the C++ client.
  const sum = await session.call('com.interop.cpp.add', [2, 3], { scale: 10 });
  check('cpp add', sum === 50, JSON.stringify(sum));
  try {
    await session.call('com.interop.cpp.fail');
    check('cpp fail', false, 'no error');
  } catch (e) {
    check('cpp error uri', e.error === 'com.interop.cpp.oops', e.error);
    check('cpp error args', JSON.stringify(e.args) === '["too big"]', JSON.stringify(e.args));
    check('cpp error kwargs', e.kwargs && e.kwargs.limit === 10, JSON.stringify(e.kwargs));
  }
  const steps = [];
  // autobahn's when.js promise reports progressive results through then()'s third argument.
  const counted = await new Promise((resolve, reject) =>
    session.call('com.interop.cpp.count', [3], {}, { receive_progress: true })
      .then(resolve, reject, (p) => steps.push(p)));
  check('cpp progressive', counted === 'done' && JSON.stringify(steps) === '[1,2,3]',
    `${counted} ${JSON.stringify(steps)}`);
  // Tell the C++ side it may call us now.
  await session.call('com.interop.cpp.ready', [failures.length]);
}

const connection = new autobahn.Connection({
  url, realm: 'realm1', serializers: [serializer(serializerName)], max_retries: 0,
});
connection.onopen = (session) => { run(session).catch((e) => fail(`exception ${e.error || e}`)); };
connection.onclose = (reason) => { if (reason !== 'closed') fail(`connection ${reason}`); return true; };
connection.open();
