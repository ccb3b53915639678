// Interop: autobahn-js sessions on two nodes of a nexusd cluster see one
// router: a callee on node A answers a caller on node B (with progressive
// results), a publisher on A reaches subscribers on B and on A, and the meta
// API on B counts the sessions of both nodes.
// usage: node autobahn_js_cluster.js URL_A URL_B SERIALIZER
'use strict';
const common = require('./autobahn_js_common');
const { autobahn, check, openSession } = common;

const [urlA, urlB, serializerName] = process.argv.slice(2);
const label = `autobahn-js cluster ${serializerName}`;
// Two nodes and NATS between them: more time for each step.
const within = (p, what) => common.within(p, what, 10000);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const open = (url) => openSession(url, 'realm1', serializerName);

// What another node announced reaches this one a moment later: retry while
// the answer says it has not arrived yet.
async function until(what, attempt) {
  for (let i = 0; i < 100; ++i) {
    if (await attempt()) return;
    await sleep(50);
  }
  throw new Error(`never: ${what}`);
}

async function checks() {
  const callee = await within(open(urlA), 'callee session on A');
  const publisher = await within(open(urlA), 'publisher session on A');
  const caller = await within(open(urlB), 'caller session on B');
  const subscriberB = await within(open(urlB), 'subscriber session on B');
  const subscriberA = await within(open(urlA), 'subscriber session on A');

  await within(callee.session.register('com.cluster.add', (args, kwargs, details) => {
    if (details.progress) details.progress([args[0]]);
    return new autobahn.Result([args[0] + args[1]], { node: 'A', caller: details.caller });
  }, { disclose_caller: true }), 'register');

  let result;
  await until('a call from node B reaches the callee on node A', async () => {
    try {
      const chunks = [];
      result = await within(caller.session.call('com.cluster.add', [2, 3], {},
        { receive_progress: true, disclose_me: true }).then((r) => r, null,
        (p) => chunks.push(p instanceof autobahn.Result ? p.args[0] : p)), 'call');
      check('progressive result across nodes', JSON.stringify(chunks) === '[2]',
        JSON.stringify(chunks));
      return true;
    } catch (e) {
      if (e.error === 'wamp.error.no_such_procedure') return false;
      throw e;
    }
  });
  check('result across nodes', result.args[0] === 5, JSON.stringify(result.args));
  check('result kwargs', result.kwargs.node === 'A', JSON.stringify(result.kwargs));
  check('caller disclosed across nodes', result.kwargs.caller === caller.session.id,
    `${result.kwargs.caller} != ${caller.session.id}`);

  const seenB = [];
  const seenA = [];
  await within(subscriberB.session.subscribe('com.cluster.topic',
    (args) => seenB.push(args[0])), 'subscribe on B');
  await within(subscriberA.session.subscribe('com.cluster.topic',
    (args) => seenA.push(args[0])), 'subscribe on A');
  await until('node A knows the subscriber on node B', async () => {
    const ids = await caller.session.call('wamp.subscription.match', ['com.cluster.topic']);
    if (!ids) return false;
    const n = await publisher.session.call('wamp.subscription.count_subscribers', [ids[0]]);
    return n === 2;
  });
  for (let i = 0; i < 20; ++i)
    await within(publisher.session.publish('com.cluster.topic', [i], {},
      { acknowledge: true }), 'acknowledged publish');
  await until('events arrive on both nodes', async () => seenA.length >= 20 && seenB.length >= 20);
  const inOrder = JSON.stringify([...Array(20).keys()]);
  check('events on node B, once each, in order', JSON.stringify(seenB) === inOrder,
    JSON.stringify(seenB));
  check('events on node A', JSON.stringify(seenA) === inOrder, JSON.stringify(seenA));

  const count = await within(caller.session.call('wamp.session.count'), 'session.count');
  check('wamp.session.count on B counts both nodes', count === 5, String(count));

  for (const s of [callee, publisher, caller, subscriberB, subscriberA]) s.connection.close();
}

common.report(label, checks());
