import * as net from "node:net";

/** A TCP relay on 127.0.0.1 that counts the bytes each way: "bytes on the wire" of a client. */
export interface ByteCounter {
  url: string;
  sent(): number;
  received(): number;
  close(): Promise<void>;
}

export async function startByteCounter(targetUrl: string): Promise<ByteCounter> {
  const target = new URL(targetUrl);
  let sent = 0;
  let received = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.on("data", (chunk: Buffer) => void (sent += chunk.length));
    upstream.on("data", (chunk: Buffer) => void (received += chunk.length));
    client.pipe(upstream).pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sent: () => sent,
    received: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
