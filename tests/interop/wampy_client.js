// Interop checks: npm wampy (wampy.js) against a running nexusd over WebSocket.
// usage: node wampy_client.js URL SERIALIZER   (json | msgpack | cbor)
// Exits 0 when every check passed; otherwise prints which check failed and how.
//
// Two wampy sessions (A: callee and publisher, B: caller and subscriber) and, for progressive
// results towards a wampy caller, a scripted callee that announces progressive_call_results and
// call_canceling (wampy's own callee announces neither, see the checks below).
//
// Each session's serializer is wrapped to record the messages it decodes, so that the checks can
// also look at the wire (INVOCATION details, EVENTs after UNSUBSCRIBED): wampy itself hides what
// it drops.
'use strict';
const WebSocket = require('ws');
const { Wampy, Errors } = require('wampy');
const { JsonSerializer } = require('wampy/JsonSerializer.js');
const { MsgpackSerializer } = require('wampy/MsgpackSerializer.js');
const { CborSerializer } = require('wampy/CborSerializer.js');

const [url, serializerName] = process.argv.slice(2);
const label = `wampy websocket ${serializerName}`;
const STEP_MS = 5000;
const WAMP = {
  HELLO: 1, WELCOME: 2, ABORT: 3, GOODBYE: 6, ERROR: 8, EVENT: 36, REGISTER: 64, REGISTERED: 65,
  INVOCATION: 68, INTERRUPT: 69, YIELD: 70,
};

const serializers = {
  json: () => new JsonSerializer(),
  msgpack: () => new MsgpackSerializer(),
  cbor: () => new CborSerializer(),
};
if (!serializers[serializerName]) {
  console.log(`${label}: FAILED unknown serializer (json | msgpack | cbor)`);
  process.exit(2);
}

// A wampy serializer (encode/decode/protocol/isBinary, as its README describes custom ones)
// that keeps every decoded message.
class RecordingSerializer {
  constructor(inner) {
    this.inner = inner;
    this.protocol = inner.protocol;
    this.isBinary = inner.isBinary;
    this.received = [];
  }
  encode(data) { return this.inner.encode(data); }
  decode(data) {
    const message = this.inner.decode(data);
    this.received.push(message);
    return message;
  }
}

const failures = [];
const notes = [];
let step = 'start';
const check = (name, ok, detail) => { if (!ok) failures.push(`${name}: ${detail}`); };
// msgpackr decodes every uint64-encoded integer (IDs above 2^32) as a BigInt.
const show = (v) => JSON.stringify(v, (_, x) => {
  if (typeof x === 'bigint') return `${x}n`;
  return x instanceof Uint8Array ? `<${x.length} bytes>` : x;
});
// Every wait has its own deadline and names what it waited for.
const within = (p, what) => {
  step = what;
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout after ${STEP_MS} ms: ${what}`)), STEP_MS);
  });
  return Promise.race([Promise.resolve(p), deadline]).finally(() => clearTimeout(timer));
};
// A promise resolved from outside (events arriving in callbacks).
const deferred = () => {
  let resolve;
  const promise = new Promise((r) => { resolve = r; });
  return { promise, resolve };
};
// wampy rejects with its own Error classes; say what came back.
const describe = (e) => (e && (e.errorUri
  ? `${e.name} ${e.errorUri} ${show(e.argsList !== undefined ? e.argsList : e.details)}`
  : `${e.name || ''} ${e.message || e}`));

function wampySession(name) {
  const serializer = new RecordingSerializer(serializers[serializerName]());
  const session = new Wampy(url, {
    realm: 'realm1',
    ws: WebSocket,
    serializer,
    autoReconnect: false,
    onError: (e) => failures.push(`${name} session error: ${describe(e)}`),
  });
  return { name, session, serializer };
}

// A minimal callee speaking raw WAMP through `ws` with the same serializer: registers
// `procedure`, answers an INVOCATION that carries receive_progress with three progressive YIELDs
// and a final one (without receive_progress: the final one only), INTERRUPT with
// wamp.error.canceled. Resolves once registered, with leave() (GOODBYE both ways).
function scriptedCallee(procedure) {
  const serializer = serializers[serializerName]();
  const ws = new WebSocket(url, [`wamp.2.${serializer.protocol}`]);
  const send = (message) => ws.send(serializer.encode(message));
  const registered = deferred();
  const left = deferred();
  ws.on('open', () => send([WAMP.HELLO, 'realm1', {
    roles: { callee: { features: { progressive_call_results: true, call_canceling: true } } },
  }]));
  ws.on('message', (data, isBinary) => {
    const m = serializer.decode(isBinary ? data : data.toString());
    switch (m[0]) {
    case WAMP.WELCOME: send([WAMP.REGISTER, 1, {}, procedure]); break;
    case WAMP.REGISTERED: registered.resolve({ leave }); break;
    case WAMP.INVOCATION: {
      const [, request, , details, args] = m;
      if (details.receive_progress) for (let i = args[0]; i > 0; --i) send([WAMP.YIELD, request, { progress: true }, [i]]);
      send([WAMP.YIELD, request, {}, [details.receive_progress ? 'liftoff' : 'no receive_progress'], { final: true }]);
      break;
    }
    case WAMP.INTERRUPT: send([WAMP.ERROR, WAMP.INVOCATION, m[1], {}, 'wamp.error.canceled']); break;
    case WAMP.GOODBYE: ws.close(); left.resolve(); break;
    case WAMP.ABORT: case WAMP.ERROR: failures.push(`scripted callee got ${show(m)}`); ws.close(); break;
    default: break;
    }
  });
  ws.on('error', (e) => failures.push(`scripted callee: ${e.message}`));
  function leave() {
    send([WAMP.GOODBYE, {}, 'wamp.close.close_realm']);
    return left.promise;
  }
  return registered.promise;
}

async function checks(a, b) {
  const A = a.session;
  const B = b.session;

  // Session establishment
  const welcomeA = await within(A.connect(), 'A connect');
  await within(B.connect(), 'B connect');
  check('welcome roles', welcomeA.roles && welcomeA.roles.dealer && welcomeA.roles.broker, show(welcomeA.roles));
  check('session ids', A.getSessionId() > 0 && B.getSessionId() > 0 && A.getSessionId() !== B.getSessionId(),
    `${A.getSessionId()} ${B.getSessionId()}`);

  // RPC with args and kwargs, and caller disclosure (disclose_me)
  const reg = await within(A.register('com.interop.wampy.add', ({ argsList, argsDict, details }) => ({
    argsList: [(argsList[0] + argsList[1]) * (argsDict.scale || 1)],
    argsDict: { caller: details.caller === undefined ? null : details.caller },
  })), 'register com.interop.wampy.add');
  check('registered', reg.registrationId > 0, show(reg));
  const sum = await within(B.call('com.interop.wampy.add', { argsList: [2, 3], argsDict: { scale: 10 } },
    { disclose_me: true }), 'call com.interop.wampy.add');
  check('call result args', show(sum.argsList) === '[50]', show(sum.argsList));
  check('caller disclosure', sum.argsDict && sum.argsDict.caller === B.getSessionId(),
    `${show(sum.argsDict)} (caller ${B.getSessionId()})`);

  // A single value and a dict-only payload
  await within(A.register('com.interop.wampy.echo', ({ argsList, argsDict }) => ({ argsList, argsDict })),
    'register com.interop.wampy.echo');
  const dictOnly = await within(B.call('com.interop.wampy.echo', { only: 'kwargs', n: [1, 2] }), 'call echo (kwargs only)');
  check('kwargs-only call', dictOnly.argsDict && dictOnly.argsDict.only === 'kwargs' && show(dictOnly.argsDict.n) === '[1,2]',
    show(dictOnly));
  if (serializerName !== 'json') {
    const blob = new Uint8Array([0, 1, 2, 250, 255]);
    const back = await within(B.call('com.interop.wampy.echo', [blob]), 'call echo (binary)');
    const got = back.argsList && back.argsList[0];
    check('binary', got && got.length === 5 && got[3] === 250 && got[4] === 255, show(back.argsList));
  }

  // Application error from the callee: URI, args and kwargs reach the caller
  await within(A.register('com.interop.wampy.fail', () => {
    throw { error: 'com.interop.oops', argsList: ['why'], argsDict: { code: 7 } };
  }), 'register com.interop.wampy.fail');
  try {
    await within(B.call('com.interop.wampy.fail', ['x']), 'call com.interop.wampy.fail');
    check('callee error', false, 'the call succeeded');
  } catch (e) {
    check('callee error type', e instanceof Errors.CallError, describe(e));
    check('callee error uri', e.errorUri === 'com.interop.oops', describe(e));
    check('callee error args', show(e.argsList) === '["why"]', show(e.argsList));
    check('callee error kwargs', e.argsDict && e.argsDict.code === 7, show(e.argsDict));
  }
  try {
    await within(B.call('com.interop.wampy.nothing'), 'call a procedure nobody registered');
    check('no_such_procedure', false, 'the call succeeded');
  } catch (e) {
    check('no_such_procedure', e.errorUri === 'wamp.error.no_such_procedure', describe(e));
  }

  // Progressive call results to a wampy caller, from a callee that announces
  // progressive_call_results and call_canceling (scripted: neither wampy 8 nor autobahn-js 26
  // announces call_canceling as callee, and without it the dealer disregards progressive results).
  const scripted = await within(scriptedCallee('com.interop.wampy.countdown'), 'scripted callee register');
  const progress = [];
  const countdown = await within(B.call('com.interop.wampy.countdown', [3], {
    progress_callback: ({ argsList }) => progress.push(argsList[0]),
  }), 'call com.interop.wampy.countdown (progressive)');
  check('progressive results to wampy', show(progress) === '[3,2,1]', `progress ${show(progress)}`);
  check('final result after progress', show(countdown.argsList) === '["liftoff"]' && countdown.argsDict.final === true,
    show(countdown));
  await within(scripted.leave(), 'scripted callee leave');

  // Progressive results from a wampy callee. wampy 8 sends YIELD progress=true through its
  // result_handler, but announces neither callee.progressive_call_results nor call_canceling; the
  // spec (rpc_progressive_call_results.md) has the dealer disregard progressive results then, so
  // the INVOCATION must carry no receive_progress and only the final result may reach the caller.
  const calleeFeatures = A._wamp_features.roles.callee.features;
  const wampyCalleeProgress = Boolean(calleeFeatures.progressive_call_results && calleeFeatures.call_canceling);
  await within(A.register('com.interop.wampy.stream', ({ result_handler: send }) => {
    send({ argsList: [1], options: { progress: true } });
    send({ argsList: [2], options: { progress: true } });
    return { argsList: ['done'] };
  }), 'register com.interop.wampy.stream');
  const streamed = [];
  const invocationsBefore = a.serializer.received.length;
  const stream = await within(B.call('com.interop.wampy.stream', [], {
    progress_callback: ({ argsList }) => streamed.push(argsList[0]),
  }), 'call com.interop.wampy.stream (wampy callee)');
  check('wampy callee final result', show(stream.argsList) === '["done"]', show(stream));
  const invocation = a.serializer.received.slice(invocationsBefore).find((m) => m[0] === WAMP.INVOCATION);
  const receiveProgress = Boolean(invocation && invocation[3] && invocation[3].receive_progress);
  if (wampyCalleeProgress) {
    check('wampy callee progressive results', receiveProgress && show(streamed) === '[1,2]',
      `receive_progress ${receiveProgress}, progress ${show(streamed)}`);
  } else {
    check('no receive_progress for a callee without progressive_call_results+call_canceling', !receiveProgress,
      show(invocation));
    check('no progressive results from such a callee', streamed.length === 0, show(streamed));
    notes.push('wampy callee announces no progressive_call_results/call_canceling: the router sent no '
      + 'receive_progress and dropped its progressive YIELDs (spec); progressive results to the wampy '
      + 'caller are checked with a scripted callee instead');
  }

  // Pub/sub: acknowledge (wampy always asks for it), publisher disclosure, exclusion.
  // wampy sends exclude_me only when it is true (it drops false options), so exclude_me=false
  // cannot be expressed; B subscribes and A publishes, and A, subscribed as well, must not get
  // its own event (exclude_me defaults to true).
  const topic = 'com.interop.wampy.topic';
  const eventB = deferred();
  const eventsA = [];
  const markerA = deferred();
  const subB = await within(B.subscribe(topic, (e) => eventB.resolve(e)), 'B subscribe');
  check('subscribed', subB.subscriptionId > 0, show(subB));
  await within(A.subscribe(topic, (e) => eventsA.push(e)), 'A subscribe');
  await within(A.subscribe('com.interop.wampy.marker', (e) => markerA.resolve(e)), 'A subscribe marker');
  const prefixB = deferred();
  await within(B.subscribe('com.interop.wampy', (e) => prefixB.resolve(e), { match: 'prefix' }), 'B subscribe prefix');
  const wildB = deferred();
  await within(B.subscribe('com.interop..topic', (e) => wildB.resolve(e), { match: 'wildcard' }), 'B subscribe wildcard');

  const pub = await within(A.publish(topic, { argsList: [1, 'two'], argsDict: { k: true } }, { disclose_me: true }),
    'A publish (acknowledge)');
  check('published (acknowledge)', pub.publicationId > 0, show(pub));
  const ev = await within(eventB.promise, 'event at B');
  check('event args', show(ev.argsList) === '[1,"two"]', show(ev.argsList));
  check('event kwargs', ev.argsDict && ev.argsDict.k === true, show(ev.argsDict));
  check('publisher disclosure', ev.details.publisher === A.getSessionId(),
    `${show(ev.details)} (publisher ${A.getSessionId()})`);
  const pev = await within(prefixB.promise, 'prefix event at B');
  check('prefix subscription topic', pev.details.topic === topic, show(pev.details));
  const wev = await within(wildB.promise, 'wildcard event at B');
  check('wildcard subscription topic', wev.details.topic === topic, show(wev.details));
  // B publishes a marker to A; A's own event, had it been sent, would have come first.
  await within(B.publish('com.interop.wampy.marker', ['m']), 'B publish marker');
  await within(markerA.promise, 'marker at A');
  check('publisher excluded by default', eventsA.length === 0, `A got its own event: ${show(eventsA)}`);

  // Unsubscribe: B gets no further event for that subscription (looked for on the wire, as wampy
  // drops events of unknown subscriptions); a later marker event proves A's publication went out.
  const markerB = deferred();
  await within(B.subscribe('com.interop.other.marker', (e) => markerB.resolve(e)), 'B subscribe marker');
  const unsub = await within(B.unsubscribe(topic), 'B unsubscribe');
  check('unsubscribed', unsub && unsub.topic === topic, show(unsub));
  const eventsFor = (id) => b.serializer.received.filter((m) => m[0] === WAMP.EVENT && m[1] === id).length;
  const before = eventsFor(subB.subscriptionId);
  await within(A.publish(topic, ['after unsubscribe']), 'A publish after unsubscribe');
  await within(A.publish('com.interop.other.marker', ['m']), 'A publish marker');
  await within(markerB.promise, 'marker at B');
  check('no event after unsubscribe', eventsFor(subB.subscriptionId) === before,
    `${eventsFor(subB.subscriptionId) - before} EVENT(s) for subscription ${subB.subscriptionId}`);

  // Unregister: the procedure is gone
  const unreg = await within(A.unregister('com.interop.wampy.add'), 'A unregister');
  check('unregistered', unreg && unreg.topic === 'com.interop.wampy.add', show(unreg));
  try {
    await within(B.call('com.interop.wampy.add', [1, 2]), 'call after unregister');
    check('call after unregister', false, 'the call succeeded');
  } catch (e) {
    check('call after unregister', e.errorUri === 'wamp.error.no_such_procedure', describe(e));
  }

  // Meta API
  const count = await within(B.call('wamp.session.count'), 'call wamp.session.count');
  check('wamp.session.count', count.argsList && count.argsList[0] >= 2, show(count));

  // Leave: GOODBYE both ways
  await within(A.disconnect(), 'A disconnect');
  await within(B.disconnect(), 'B disconnect');
  step = 'done';
}

function finish(completed) {
  if (!completed) failures.push(`the checks did not run to the end (last step: ${step})`);
  for (const n of notes) console.log(`${label}: NOTE ${n}`);
  if (failures.length) {
    for (const f of failures) console.log(`${label}: FAILED ${f}`);
    process.exit(1);
  }
  console.log(`${label}: all checks passed`);
  process.exit(0);
}

setTimeout(() => { failures.push('overall timeout (40 s)'); finish(false); }, 40000);
checks(wampySession('A'), wampySession('B'))
  .then(() => finish(true))
  .catch((e) => { failures.push(`at "${step}": ${describe(e)}`); finish(false); });
