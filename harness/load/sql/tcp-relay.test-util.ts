import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * Test support: a loopback TCP relay on a port that stays the same while the server behind it
 * moves (a restarted PostgreSQL gets a new port). `pause()` stops listening, so new connections are
 * refused as by a stopped server, while relayed connections live on until their server ends them.
 */
export class TcpRelay {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private upstreamPort: number,
    private listenPort: number,
  ) {}

  static async start(upstreamPort: number): Promise<TcpRelay> {
    const relay = new TcpRelay(upstreamPort, 0);
    await relay.resume();
    return relay;
  }

  get port(): number {
    return this.listenPort;
  }

  setUpstream(port: number): void {
    this.upstreamPort = port;
  }

  /** Stops accepting; established connections are left alone. */
  pause(): void {
    this.server?.close();
    this.server = null;
  }

  /** Listens again, on the same port. */
  resume(): Promise<void> {
    if (this.server) return Promise.resolve();
    const server = createServer((client) => this.relay(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, '127.0.0.1', () => {
        server.off('error', reject);
        const address = server.address();
        if (typeof address === 'object' && address) this.listenPort = address.port;
        resolve();
      });
    });
  }

  close(): void {
    this.pause();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private relay(client: Socket): void {
    const upstream = connect(this.upstreamPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    // After a clean end the pipe has ended the client already, once the server's last bytes are through.
    upstream.on('close', (hadError) => (hadError ? client.destroy() : client.end()));
  }
}
