import type * as KafkaJs from "kafkajs";
import type { Kafka, KafkaConfig } from "kafkajs";

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
  if (typeof require === "function") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the lazy load this module exists for
    loaded = require("kafkajs") as KafkaJsModule;
  } else {
    // kafkajs is CommonJS: its exports object is the namespace's default.
    const namespace = (await import("kafkajs")) as KafkaJsModule & { default?: KafkaJsModule };
    loaded = namespace.default ?? namespace;
  }
  return loaded;
}

/**
 * A kafkajs client for a config from `kafkaConfig()`, with kafkajs's own logging off unless the
 * config asks for it (`logLevel` or `logCreator`).
 */
export async function createKafka(config: KafkaConfig): Promise<Kafka> {
  const kafkajs = await loadKafkajs();
  return new kafkajs.Kafka({ logLevel: kafkajs.logLevel.NOTHING, ...config });
}
