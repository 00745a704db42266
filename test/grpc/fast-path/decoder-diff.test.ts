/** The compiled decoder gives what protobuf-es's fromBinary gives, on edge cases of strings and 64-bit integers. */
import { create, type DescMessage, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Int64ValueSchema, UInt64ValueSchema, StringValueSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { JobSchema } from "../../../gen/k1s0/system/scheduler/v1/job_pb.js";
import { decoderFor } from "../../../src/grpc/compiled-decoder.js";

function same(desc: DescMessage, bytes: Uint8Array): { fast: unknown; ref: unknown } {
  let fast: unknown, ref: unknown;
  try { fast = decoderFor(desc)(Buffer.from(bytes)); } catch (e) { fast = "THROW " + (e as Error).message; }
  try { ref = fromBinary(desc, bytes, { readUnknownFields: false }); } catch (e) { ref = "THROW " + (e as Error).message; }
  return { fast, ref };
}
const str = (raw: number[]): Uint8Array => new Uint8Array([0x0a, raw.length, ...raw]);

describe("compiled decoder vs protobuf-es fromBinary", () => {
  const cases: [string, number[]][] = [
    ["BOM + abc", [0xef, 0xbb, 0xbf, 0x61, 0x62, 0x63]],
    ["BOM alone", [0xef, 0xbb, 0xbf]],
    ["abc", [0x61, 0x62, 0x63]],
    ["encoded U+FFFD", [0xef, 0xbf, 0xbd]],
    ["overlong /", [0xc0, 0xaf]],
    ["CESU surrogate", [0xed, 0xa0, 0x80]],
    ["4-byte emoji", [0xf0, 0x9f, 0x98, 0x80]],
    ["truncated", [0xe2, 0x82]],
  ];
  test.each(cases)("StringValue %s", (_n, raw) => {
    const { fast, ref } = same(StringValueSchema, str(raw));
    expect(fast).toEqual(ref);
  });
  test.each(cases)("Job.name %s", (_n, raw) => {
    // Job field 2 = name
    const bytes = new Uint8Array([0x12, raw.length, ...raw]);
    const { fast, ref } = same(JobSchema, bytes);
    expect(fast).toEqual(ref);
  });
  const longs = [0n, 1n, 127n, 128n, (1n << 49n) - 1n, 1n << 49n, (1n << 53n) + 1n, (1n << 63n) - 1n, -1n, -(1n << 63n)];
  test.each(longs.map((v) => [v]))("Int64Value %p", (v) => {
    const { fast, ref } = same(Int64ValueSchema, toBinary(Int64ValueSchema, create(Int64ValueSchema, { value: v })));
    expect(fast).toEqual(ref);
  });
  test.each(longs.filter((v) => v >= 0n).map((v) => [v]))("UInt64Value %p", (v) => {
    const { fast, ref } = same(UInt64ValueSchema, toBinary(UInt64ValueSchema, create(UInt64ValueSchema, { value: v })));
    expect(fast).toEqual(ref);
  });
  test("overlong/non-minimal varints and truncated varint", () => {
    for (const raw of [[0x08, 0x80, 0x00], [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00], [0x08, 0x80, 0x80], [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]]) {
      const { fast, ref } = same(Int64ValueSchema, new Uint8Array(raw));
      expect([raw, fast]).toEqual([raw, ref]);
    }
    const { fast, ref } = same(TimestampSchema, new Uint8Array([0x08, 0x80, 0x80, 0x80]));
    expect(fast).toEqual(ref);
  });
  test("random fuzz strings", () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed / 0x7fffffff);
    const diffs: unknown[] = [];
    for (let i = 0; i < 3000; i++) {
      const n = Math.floor(rnd() * 8);
      const raw = Array.from({ length: n }, () => (rnd() < 0.5 ? Math.floor(rnd() * 256) : [0xef, 0xbb, 0xbf, 0xed, 0xc0, 0x80, 0xf4, 0x90][Math.floor(rnd() * 8)]));
      const { fast, ref } = same(StringValueSchema, str(raw));
      if (JSON.stringify(fast) !== JSON.stringify(ref)) diffs.push({ raw: Buffer.from(raw).toString("hex"), fast, ref });
    }
    expect(diffs.slice(0, 5)).toEqual([]);
  });
});
