// Interop: progressive call results from an autobahn-js callee. autobahn-js
// callees announce progressive_call_results but not call_canceling, so by the
// spec (rpc_progressive_call_results.md) the dealer disregards their progress;
// a realm with progressive_results_without_canceling honours it.
// usage: node autobahn_js_progress.js URL SERIALIZER REALM EXPECT
//   EXPECT "honoured": the caller must see the callee's progress;
//   EXPECT "disregarded": only the final result (the spec's default).
'use strict';
const { autobahn, check, within, openSession, report } = require('./autobahn_js_common');

const [url, serializerName, realm, expect] = process.argv.slice(2);
const label = `autobahn-js progress ${realm} ${serializerName}`;
const open = () => openSession(url, realm, serializerName);

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

report(label, checks());
