// Starts fox-wamp (npm, a Node.js WAMP router) on 127.0.0.1 and a free port,
// prints "LISTENING <port>" once it accepts connections, and runs until it
// is signalled. fox-wamp creates realms on first use. Used by
// tests/unit/client_router_suite_test.cpp.
'use strict'
const path = require('path')
const Router = require(path.join(__dirname, 'node_modules', 'fox-wamp'))

const router = new Router()
const server = router.listenWAMP({ host: '127.0.0.1', port: 0 })
server.on('listening', () => {
  process.stdout.write('LISTENING ' + server.address().port + '\n')
  // The test reads only that line and closes the pipe; fox-wamp logs with
  // console.log (e.g. a refused subprotocol), which must not hit it (EPIPE).
  console.log = console.error
})
process.on('SIGTERM', () => process.exit(0))
