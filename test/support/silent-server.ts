import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";

/** An HTTP/2 server that accepts every stream and never answers (a server that hangs); it records each request's headers. */
export async function silentServer(): Promise<{ url: string; headers: http2.IncomingHttpHeaders[]; close(): Promise<void> }> {
  const server = http2.createServer();
  const headers: http2.IncomingHttpHeaders[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.on("error", () => undefined);
  });
  // Keep the stream open and silent; a reset by the client is expected.
  server.on("stream", (stream, h) => {
    headers.push(h);
    stream.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    headers,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}
