#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// A UDP echo server: the quick start's stand-in for a game server. Usage: echo-server.js [host:port]
'use strict';
const dgram = require('node:dgram');
const [host, port] = (process.argv[2] || '127.0.0.1:7001').split(/:(?=\d+$)/);
const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
socket.on('message', (msg, from) => socket.send(msg, from.port, from.address));
socket.bind(Number(port), host.replace(/^\[|\]$/g, ''), () => process.stderr.write(`echo server on ${host}:${port}\n`));
