/**
 * The loader's fix of kafkajs 2.2.4's request-queue timer loop, on real connections to the real
 * broker: an idle connection must not re-arm a timer every millisecond (and so never prints
 * Node.js 23+'s TimeoutNegativeWarning).
 */
import { createKafka } from "../../src/kafka/kafkajs-loader.js";
import { kafkaConfig } from "../../src/kafka/kafka-options.js";

// Not from ../support/kafka.js: that module applies the same fix to the tests' own clients, and
// this test must see the loader's doing alone.
const brokers = process.env.KAFKA_BROKERS?.split(",");
const describeKafka = brokers === undefined ? describe.skip : describe;

interface RequestQueueProto {
  checkPendingRequests: (this: unknown) => void;
}

describeKafka("kafkajs request queue on idle connections", () => {
  it("an idle connection checks its request queue only when something happens, not every millisecond", async () => {
    const client = await createKafka(kafkaConfig({ brokers: brokers! }));
    // kafkajs's own class, as the loader patched it; counted from here on.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs's internal module, the one the fix patches
    const proto = (require("kafkajs/src/network/requestQueue/index.js") as { prototype: RequestQueueProto }).prototype;
    const check = proto.checkPendingRequests;
    let checks = 0;
    proto.checkPendingRequests = function (this: unknown) {
      checks++;
      check.call(this);
    };
    const admin = client.admin();
    try {
      await admin.connect();
      await admin.listTopics(); // a few requests and responses on a real connection
      const before = checks;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const idle = checks - before;
      console.info(`request-queue checks in 1 s on an idle admin connection: ${idle} (kafkajs 2.2.4 unpatched: one about every millisecond)`);
      // Unpatched, the loop runs several hundred times a second.
      expect(idle).toBeLessThan(20);
      expect((await admin.listTopics()).length).toBeGreaterThanOrEqual(0); // still answers
    } finally {
      proto.checkPendingRequests = check;
      await admin.disconnect();
    }
  });
});
