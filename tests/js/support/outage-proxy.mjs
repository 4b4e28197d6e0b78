/**
 * A TCP proxy in front of the emulator that can simulate a network outage: while it is down it cuts every
 * open connection and refuses new ones, so a client stays away for as long as the test needs (for example
 * past the emulator's connectionStateTtl), which a one-off transport drop cannot do because ably-js
 * reconnects at once.
 */
import net from 'node:net';

export class OutageProxy {
  #server = net.createServer((socket) => this.#accept(socket));
  #sockets = new Set();
  #down = false;
  port = 0;

  constructor(targetPort) {
    this.targetPort = targetPort;
  }

  async start() {
    await new Promise((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = this.#server.address().port;
    return this;
  }

  /** Cut all connections now and refuse new ones until `restore()`. */
  cut() {
    this.#down = true;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  restore() {
    this.#down = false;
  }

  async stop() {
    this.cut();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #accept(client) {
    if (this.#down) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        this.#sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
