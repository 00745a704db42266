import { checkPayloadJson, encodePayload } from "../../src/validation/payload-rules.js";
import { describeValue } from "../../src/validation/invalid.js";

describe("payload rules", () => {
  it("encodes plain JSON values, including null-prototype objects", () => {
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    expect(encodePayload(bare)).toBe('{"a":1}');
    expect(encodePayload({ s: "✓", n: -0.5, b: false, z: null, l: [[]] })).toBe('{"s":"✓","n":-0.5,"b":false,"z":null,"l":[[]]}');
  });

  it.each([
    ["a sparse array", [1, , 3], "payload[1]", "sparse"],
    ["a symbol key", { [Symbol("k")]: 1 }, "payload", "symbol"],
    ["a symbol value", { s: Symbol("v") }, "payload.s", "Symbol(v)"],
    ["a Map", { m: new Map() }, "payload.m", "Map"],
    ["a class instance", { c: new (class Point {})() }, "payload.c", "Point"],
    ["deep nesting", JSON.parse("[".repeat(101) + "]".repeat(101)), `payload${"[0]".repeat(100)}`, "100 levels"],
    ["Infinity", [Infinity], "payload[0]", "Infinity"],
  ])("rejects %s, naming the path", (_what, payload, field, shown) => {
    expect(() => encodePayload(payload)).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", field, message: expect.stringContaining(shown) }),
    );
  });

  it("accepts a shared (non-cyclic) reference twice", () => {
    const shared = { x: 1 };
    expect(encodePayload({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });

  it("checks JSON text as a server receives it", () => {
    expect(checkPayloadJson('{"big":12345678901234567890}')).toBe('{"big":12345678901234567890}');
    expect(() => checkPayloadJson("")).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT", field: "payload" }));
    expect(() => checkPayloadJson("{'single':1}")).toThrow(/not valid JSON/);
  });

  it("describes values briefly and unambiguously", () => {
    expect(describeValue("x".repeat(100))).toBe(`"${"x".repeat(80)}…"`);
    expect(describeValue(new Date(0))).toBe("Date(1970-01-01T00:00:00.000Z)");
    expect(describeValue([1])).toBe("an array");
    expect(describeValue({})).toBe("an object");
    expect(describeValue(null)).toBe("null");
  });
});
