// Interop checks: autobahn-js (npm) authenticating to nexusd with ticket,
// WAMP-CRA (plain and salted) and cryptosign, and meeting its authorization.
// usage: node autobahn_js_auth.js URL SERIALIZER   (nexusd runs auth_realm.json)
'use strict';
const { autobahn, serializer, check, report } = require('./autobahn_js_common');
const nacl = require('tweetnacl');

const [url, serializerName] = process.argv.slice(2);
const label = `autobahn-js auth websocket ${serializerName}`;
// The spec's cryptosign test key (advanced/authentication_cryptosign.md, vector 1).
const aliceKey = nacl.sign.keyPair.fromSeed(
  Buffer.from('4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510', 'hex'));

// Opens a session with `options`; resolves {session, details} on join or
// {closed: reason-uri} when the router refuses. Times out after 5 s.
function open(options) {
  return new Promise((resolve) => {
    const connection = new autobahn.Connection({
      url, realm: 'authrealm', serializers: [serializer(serializerName)], max_retries: 0,
      retry_if_unreachable: false, ...options,
    });
    const timer = setTimeout(() => resolve({ closed: 'timeout' }), 5000);
    connection.onopen = (session, details) => { clearTimeout(timer); resolve({ connection, session, details }); };
    connection.onclose = (reason, details) => {
      clearTimeout(timer);
      resolve({ closed: (details && details.reason) || reason });
      return true; // no reconnect
    };
    connection.open();
  });
}

async function expectJoin(name, options, authrole) {
  const r = await open(options);
  if (!r.session) { check(name, false, `refused: ${r.closed}`); return null; }
  check(name, r.details.authrole === authrole && r.details.authid === options.authid,
        `joined as ${r.details.authid}/${r.details.authrole}`);
  return r;
}

async function expectRefused(name, options) {
  const r = await open(options);
  check(name, !r.session && r.closed === 'wamp.error.authentication_failed',
        r.session ? 'joined' : `closed with ${r.closed}`);
  if (r.connection) r.connection.close();
}

async function main() {
  const ticket = (secret) => ({ authmethods: ['ticket'], onchallenge: () => secret });
  const joe = await expectJoin('ticket', { authid: 'joe', ...ticket('joe-ticket') }, 'user');
  await expectRefused('wrong ticket', { authid: 'joe', ...ticket('nope') });

  const cra = (secret) => ({
    authmethods: ['wampcra'],
    onchallenge: (session, method, extra) => {
      const key = extra.salt ? autobahn.auth_cra.derive_key(secret, extra.salt, extra.iterations, extra.keylen) : secret;
      return autobahn.auth_cra.sign(key, extra.challenge);
    },
  });
  const peter = await expectJoin('wampcra', { authid: 'peter', ...cra('peter-secret') }, 'user');
  const salty = await expectJoin('wampcra salted', { authid: 'salty', ...cra('salty-secret') }, 'user');
  await expectRefused('wampcra wrong secret', { authid: 'peter', ...cra('guess') });

  const cryptosign = (key) => ({
    authmethods: ['cryptosign'],
    authextra: { pubkey: Buffer.from(key.publicKey).toString('hex') },
    onchallenge: (session, method, extra) => autobahn.auth_cryptosign.sign_challenge(key, extra),
  });
  const alice = await expectJoin('cryptosign', { authid: 'alice', ...cryptosign(aliceKey) }, 'backend');
  await expectRefused('cryptosign unknown key', { authid: 'alice', ...cryptosign(nacl.sign.keyPair()) });

  // Authorization: the backend may register, users may only call; a rule
  // discloses the caller of com.app.whoami.
  if (alice && joe) {
    await alice.session.register('com.app.whoami', (args, kwargs, details) => details.caller_authid || null);
    const who = await joe.session.call('com.app.whoami');
    check('authorization: call allowed, caller disclosed', who === 'joe', `got ${JSON.stringify(who)}`);
    try {
      await joe.session.register('com.app.mine', () => 1);
      check('authorization: register denied', false, 'registered');
    } catch (e) {
      check('authorization: register denied', e.error === 'wamp.error.not_authorized', `error ${e.error}`);
    }
    try {
      await joe.session.publish('com.app.news', [1], {}, { acknowledge: true });
      check('authorization: publish denied', false, 'published');
    } catch (e) {
      check('authorization: publish denied', e.error === 'wamp.error.not_authorized', `error ${e.error}`);
    }
  }
  for (const r of [joe, peter, salty, alice]) if (r) r.connection.close();
}

report(label, main());
