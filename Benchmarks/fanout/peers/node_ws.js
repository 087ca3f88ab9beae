// Node.js peer of the fan-out benchmark: Debian's node-ws (the `ws` package).
//   node node_ws.js PORT      WebSocket on /ws; POST /trigger broadcasts {"type":"reload","epoch":N}
'use strict';
const http = require('http');
let WebSocket;
try { WebSocket = require('ws'); } catch (e) { WebSocket = require('/usr/share/nodejs/ws'); }

const port = Number(process.argv[2] || 8080);
let epoch = 0;
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/trigger')) {
    epoch += 1;
    const message = JSON.stringify({ type: 'reload', epoch });
    let reached = 0;
    for (const client of wss.clients) {
      if (client.readyState === WebSocket.OPEN) { client.send(message); reached += 1; }
    }
    res.writeHead(200, { 'Content-Type': 'application/json', Connection: 'close' });
    res.end(JSON.stringify({ ok: true, epoch, clients: reached }));
  } else {
    res.writeHead(404, { Connection: 'close' });
    res.end();
  }
});
const wss = new WebSocket.WebSocketServer({ server, path: '/ws', perMessageDeflate: false });
server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => console.log(`node-ws: listening on ${port}`));
