import * as net from "node:net";

/** What the proxy does to each new connection. */
export interface ChaosSettings {
  /** Probability that a connection is reset at a random moment within `resetWithinMs`. */
  resetProbability: number;
  resetWithinMs: number;
  /** Delay added before forwarding each chunk, in ms. */
  delayMs: number;
  /** Swallow all traffic without closing anything: a black hole. */
  drop?: boolean;
}

/**
 * A TCP proxy on 127.0.0.1 between a client and a server that can reset connections at random
 * (RST, not a clean close) and delay traffic: real sockets, real faults. Counts what it did.
 */
export class ChaosProxy {
  settings: ChaosSettings = { resetProbability: 0, resetWithinMs: 50, delayMs: 0 };
  resets = 0;
  connections = 0;
  dropped = 0;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  private constructor(private readonly targetPort: number, private readonly random: () => number) {
    this.server = net.createServer((client) => this.accept(client));
  }

  static async start(targetPort: number, random: () => number = Math.random): Promise<ChaosProxy> {
    const proxy = new ChaosProxy(targetPort, random);
    await new Promise<void>((resolve) => proxy.server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  /** Resets every open connection now. */
  resetAll(): void {
    for (const s of this.sockets) this.reset(s);
  }

  /** Swallows all traffic from now on, on open and new connections: a black hole (`drop`). */
  blackHole(): void {
    this.settings = { ...this.settings, drop: true };
  }

  /**
   * Forwards traffic again and resets the connections open now: what the black hole swallowed
   * (an HTTP/2 preface, a PING) is lost for good, so their clients must connect again.
   */
  heal(): void {
    this.settings = { ...this.settings, drop: false };
    this.resetAll();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.connections++;
    const upstream = net.connect(this.targetPort, "127.0.0.1");
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
      s.on("error", () => undefined);
    }
    const pipe = (from: net.Socket, to: net.Socket): void => {
      from.on("data", (chunk: Buffer) => {
        if (this.settings.drop === true) {
          this.dropped += chunk.length;
          return;
        }
        if (this.settings.delayMs > 0) setTimeout(() => to.write(chunk), this.settings.delayMs).unref();
        else to.write(chunk);
      });
      from.on("close", () => to.destroy());
    };
    pipe(client, upstream);
    pipe(upstream, client);
    if (this.random() < this.settings.resetProbability) {
      setTimeout(() => {
        this.resets++;
        this.reset(client);
        this.reset(upstream);
      }, this.random() * this.settings.resetWithinMs).unref();
    }
  }

  private reset(s: net.Socket): void {
    if (!s.destroyed) s.resetAndDestroy();
  }
}
