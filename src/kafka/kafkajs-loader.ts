import * as net from "node:net";
import * as tls from "node:tls";
import type * as KafkaJs from "kafkajs";
import type { ISocketFactory, Kafka, KafkaConfig } from "kafkajs";
import { fixRequestQueueTimerLoop } from "./kafkajs-request-queue-fix.js";

/** The kafkajs module (its value exports). */
export type KafkaJsModule = typeof KafkaJs;

let loaded: KafkaJsModule | undefined;

/**
 * kafkajs, loaded on first use instead of when the package is imported: it takes about as long
 * to load as the rest of the package, and only Kafka users need it. Every value use of kafkajs in
 * the SDK goes through here; elsewhere it is imported for types only (`import type`), so the main
 * entry point never loads it.
 *
 * The CommonJS build (and jest, tsx: the sources run as CommonJS) loads it with a synchronous
 * `require`. The ESM build has no `require` (and no `import.meta` in a file that is also built as
 * CommonJS), so it uses a dynamic `import()`; hence this is async, and kafkajs is first needed
 * in `subscribe()` / `start()`, which are async anyway, never in a constructor.
 */
export async function loadKafkajs(): Promise<KafkaJsModule> {
  if (loaded !== undefined) return loaded;
  const kafkajs = await loadCommonJs<KafkaJsModule>("kafkajs");
  // kafkajs's 1 ms timer loop per connection (see the fix); its internal module, by path.
  const requestQueue = await loadCommonJs<{ prototype: object }>("kafkajs/src/network/requestQueue/index.js").catch(() => undefined);
  if (requestQueue !== undefined) fixRequestQueueTimerLoop(requestQueue);
  return (loaded = kafkajs);
}

/** A CommonJS module: `require` where there is one (CommonJS build, jest, tsx), `import()` in the ESM build. */
async function loadCommonJs<T>(specifier: string): Promise<T> {
  if (typeof require === "function") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the lazy load this module exists for
    return require(specifier) as T;
  }
  // A CommonJS module's exports object is the namespace's default.
  const namespace = (await import(specifier)) as T & { default?: T };
  return namespace.default ?? namespace;
}

/**
 * A kafkajs client for a config from `kafkaConfig()`, with kafkajs's own logging off unless the
 * config asks for it: `logLevel`, or a `logCreator` (which then gets kafkajs's default level,
 * INFO, unless `logLevel` says otherwise). Bracketed IPv6 brokers (`[::1]:9092`) work too.
 */
export async function createKafka(config: KafkaConfig): Promise<Kafka> {
  const kafkajs = await loadKafkajs();
  const quiet = config.logLevel === undefined && config.logCreator === undefined;
  return new kafkajs.Kafka({ ...(quiet ? { logLevel: kafkajs.logLevel.NOTHING } : {}), ...withIpv6Brokers(config) });
}

/**
 * kafkajs splits a bootstrap broker at its first `:`, so `[::1]:9092` would become host `[`.
 * Such brokers are given to it under an alias host (`k1s0-ipv6-0:9092`) that the socket factory
 * (the config's own, or one like kafkajs's) turns back into the address. Brokers the cluster
 * advertises later come with a separate host and port, which kafkajs handles as they are.
 */
function withIpv6Brokers(config: KafkaConfig): KafkaConfig {
  if (!Array.isArray(config.brokers)) return config;
  const aliases = new Map<string, string>(); // alias -> IPv6 address
  const brokers = config.brokers.map((broker) => {
    const match = /^\[([^\]]+)\]:(\d+)$/.exec(broker);
    if (match === null) return broker;
    let alias = [...aliases].find(([, address]) => address === match[1])?.[0];
    if (alias === undefined) aliases.set((alias = `k1s0-ipv6-${aliases.size}`), match[1]);
    return `${alias}:${match[2]}`;
  });
  if (aliases.size === 0) return config;
  const factory = config.socketFactory ?? defaultSocketFactory;
  return { ...config, brokers, socketFactory: (args) => factory({ ...args, host: aliases.get(args.host) ?? args.host }) };
}

/** kafkajs's own socket factory (not exported by it): TCP, or TLS with SNI for host names. */
const defaultSocketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl ? tls.connect({ host, port, ...(net.isIP(host) === 0 ? { servername: host } : {}), ...ssl }, onConnect) : net.connect({ host, port }, onConnect);
  socket.setKeepAlive(true, 60_000);
  return socket;
};
