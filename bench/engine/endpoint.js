// A minimal HTTP endpoint for the delivery benchmark, of another make than
// zalo-mock: answers every request with a Zalo success after DELAY_MS,
// keeps connections open, checks nothing.  Prints its port on stdout.
'use strict';
const http = require('http');

const delay = Number(process.env.DELAY_MS || 0);
const body = Buffer.from('{"error":0,"message":"Success","data":{"message_id":"x"}}');
let answered = 0;

const server = http.createServer((req, res) => {
	req.resume();
	req.on('end', () => {
		const answer = () => {
			answered++;
			res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
			res.end(body);
		};
		if (delay > 0)
			setTimeout(answer, delay);
		else
			answer();
	});
});
server.keepAliveTimeout = 60000;
server.headersTimeout = 65000;
server.maxRequestsPerSocket = 0;
server.listen(0, '127.0.0.1', () => {
	console.log(`listening on 127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => {
	console.error(`answered ${answered}`);
	process.exit(0);
});
