// A test server in its own process, so that tests can read its memory apart from jest's. Run by
// child-server.ts with `node --expose-gc --import tsx`; options as JSON in argv[2]. Talks over the
// IPC channel: sends { url } when listening, answers "stats" with its memory after a full GC, and
// closes on "close".
import { createTestServer, type TestServerOptions } from "@k1s0/scheduler-client/testing";

export interface ServerStats {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? "{}") as TestServerOptions;
  const server = await createTestServer({ clock: "manual", ...options });
  const send = (message: object): void => void process.send?.(message);
  process.on("message", (message: string) => {
    if (message === "stats") {
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      gc?.();
      const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
      send({ rss, heapUsed, external, arrayBuffers });
    } else if (message === "close") {
      void server.close().then(() => process.exit(0));
    }
  });
  send({ url: server.url });
}

void main();
