/**
 * The compiled decoder must be indistinguishable from protobuf-es's `fromBinary` (without unknown
 * fields): property tests over every message of the contract, generated from the descriptors.
 */
import { create, createFileRegistry, type DescField, type DescMessage, fromBinary, ScalarType, toBinary } from "@bufbuild/protobuf";
import {
  type FieldDescriptorProto,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FieldDescriptorProtoSchema,
  FieldOptions_JSType,
  FileDescriptorProtoSchema,
  ListValueSchema,
  StructSchema,
} from "@bufbuild/protobuf/wkt";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import fc from "fast-check";
import { file_k1s0_system_scheduler_v1_events } from "../../gen/k1s0/system/scheduler/v1/events_pb.js";
import { file_k1s0_system_scheduler_v1_execution } from "../../gen/k1s0/system/scheduler/v1/execution_pb.js";
import { file_k1s0_system_scheduler_v1_job } from "../../gen/k1s0/system/scheduler/v1/job_pb.js";
import { file_k1s0_system_scheduler_v1_scheduler_service, ListJobsResponseSchema } from "../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import { compileDecoder, decoderFor } from "../../src/grpc/compiled-decoder.js";

const FILES = [file_k1s0_system_scheduler_v1_job, file_k1s0_system_scheduler_v1_execution, file_k1s0_system_scheduler_v1_events, file_k1s0_system_scheduler_v1_scheduler_service];
const MESSAGES: DescMessage[] = FILES.flatMap((f) => f.messages);

function scalarArbitrary(type: ScalarType): fc.Arbitrary<unknown> {
  switch (type) {
    case ScalarType.STRING:
      return fc.string({ unit: "grapheme", maxLength: 12 });
    case ScalarType.BYTES:
      return fc.uint8Array({ maxLength: 8 });
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.DOUBLE:
      return fc.double({ noNaN: true });
    case ScalarType.FLOAT:
      return fc.float({ noNaN: true }).map((v) => Math.fround(v));
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return fc.integer();
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return fc.nat({ max: 0xffffffff });
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    default:
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
  }
}

function valueArbitrary(field: DescField, depth: number): fc.Arbitrary<unknown> {
  switch (field.fieldKind) {
    case "scalar":
      return scalarArbitrary(field.scalar);
    case "enum":
      return fc.oneof(fc.constantFrom(...field.enum.values.map((v) => v.number)), fc.integer({ min: -5, max: 50 }));
    case "message":
      return initArbitrary(field.message, depth + 1);
    case "list":
      return fc.array(
        field.listKind === "message" ? initArbitrary(field.message, depth + 1) : field.listKind === "enum" ? fc.integer({ min: -5, max: 50 }) : scalarArbitrary(field.scalar),
        { maxLength: 3 },
      );
    case "map":
      return fc.constant({});
  }
}

/** A random init object for `desc`: each field set or left out, each oneof on a random case or none. */
function initArbitrary(desc: DescMessage, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  if (depth > 3) return fc.constant({});
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const member of desc.members) {
    if (member.kind === "oneof") {
      parts[member.localName] = fc.oneof(
        fc.constant({ case: undefined }),
        ...member.fields.map((f) => valueArbitrary(f, depth).map((value) => ({ case: f.localName, value }))),
      );
    } else {
      parts[member.localName] = valueArbitrary(member, depth);
    }
  }
  return fc.record(parts, { requiredKeys: [] });
}

/**
 * A proto3 message with every scalar type, packed and unpacked repeated scalars, 64-bit fields as
 * strings (jstype = JS_STRING), a proto3 optional, an enum and a oneof of scalars: what the
 * scheduler's contract does not use but the decoder compiles.
 */
function allTypes(): DescMessage {
  const T = FieldDescriptorProto_Type;
  const scalars: [string, FieldDescriptorProto_Type][] = [
    ["f_double", T.DOUBLE], ["f_float", T.FLOAT], ["f_int64", T.INT64], ["f_uint64", T.UINT64], ["f_int32", T.INT32],
    ["f_fixed64", T.FIXED64], ["f_fixed32", T.FIXED32], ["f_bool", T.BOOL], ["f_string", T.STRING], ["f_bytes", T.BYTES],
    ["f_uint32", T.UINT32], ["f_sfixed32", T.SFIXED32], ["f_sfixed64", T.SFIXED64], ["f_sint32", T.SINT32], ["f_sint64", T.SINT64],
  ];
  const field: FieldDescriptorProto[] = [];
  let number = 1;
  for (const [name, type] of scalars) {
    field.push(create(FieldDescriptorProtoSchema, { name, number: number++, type, label: FieldDescriptorProto_Label.OPTIONAL, jsonName: name }));
    field.push(create(FieldDescriptorProtoSchema, { name: `r_${name}`, number: number++, type, label: FieldDescriptorProto_Label.REPEATED, jsonName: `r_${name}` }));
    field.push(
      create(FieldDescriptorProtoSchema, { name: `u_${name}`, number: number++, type, label: FieldDescriptorProto_Label.REPEATED, jsonName: `u_${name}`, options: { packed: false } }),
    );
  }
  field.push(create(FieldDescriptorProtoSchema, { name: "s_int64", number: number++, type: T.INT64, label: FieldDescriptorProto_Label.OPTIONAL, options: { jstype: FieldOptions_JSType.JS_STRING } }));
  field.push(create(FieldDescriptorProtoSchema, { name: "rs_uint64", number: number++, type: T.UINT64, label: FieldDescriptorProto_Label.REPEATED, options: { jstype: FieldOptions_JSType.JS_STRING } }));
  field.push(create(FieldDescriptorProtoSchema, { name: "o_int32", number: number++, type: T.INT32, label: FieldDescriptorProto_Label.OPTIONAL, proto3Optional: true, oneofIndex: 0 }));
  field.push(create(FieldDescriptorProtoSchema, { name: "e_color", number: number++, type: T.ENUM, typeName: ".bench.Color", label: FieldDescriptorProto_Label.OPTIONAL }));
  field.push(create(FieldDescriptorProtoSchema, { name: "re_color", number: number++, type: T.ENUM, typeName: ".bench.Color", label: FieldDescriptorProto_Label.REPEATED }));
  field.push(create(FieldDescriptorProtoSchema, { name: "c_text", number: number++, type: T.STRING, label: FieldDescriptorProto_Label.OPTIONAL, oneofIndex: 1 }));
  field.push(create(FieldDescriptorProtoSchema, { name: "c_count", number: number++, type: T.SINT64, label: FieldDescriptorProto_Label.OPTIONAL, oneofIndex: 1 }));
  const file = create(FileDescriptorProtoSchema, {
    name: "bench/all_types.proto",
    package: "bench",
    syntax: "proto3",
    enumType: [{ name: "Color", value: [{ name: "COLOR_UNSPECIFIED", number: 0 }, { name: "COLOR_RED", number: 1 }] }],
    messageType: [{ name: "AllTypes", field, oneofDecl: [{ name: "_o_int32" }, { name: "choice" }] }],
  });
  return createFileRegistry(file, () => undefined).getMessage("bench.AllTypes")!;
}

describe("compiled protobuf decoder", () => {
  it("decodes every scalar type, packed and unpacked lists, 64-bit strings and oneofs as fromBinary does", () => {
    const desc = allTypes();
    const decode = compileDecoder(desc)!;
    expect(decode).toBeDefined();
    fc.assert(
      fc.property(initArbitrary(desc), (init) => {
        const bytes = toBinary(desc, create(desc, init));
        expect(decode(bytes)).toStrictEqual(fromBinary(desc, bytes, { readUnknownFields: false }));
      }),
      { numRuns: 500 },
    );
    // Parsers must accept both encodings of a repeated scalar, whatever the declaration says:
    // field 8 (r_f_int64, packed) sent unpacked, field 9 (u_f_int64, unpacked) sent packed.
    const mixed = Uint8Array.from([0x40, 0x07, 0x40, 0x08, 0x4a, 0x02, 0x07, 0x08]);
    const decoded = decode(mixed);
    expect(decoded).toStrictEqual(fromBinary(desc, mixed, { readUnknownFields: false }));
    expect(decoded).toMatchObject({ rFInt64: [7n, 8n], uFInt64: [7n, 8n] });
    // A field sent with the wire type of another type is an error, not garbage.
    expect(() => decode(Uint8Array.from([0x3a, 0x01, 0x00]))).toThrow(/wire type/); // f_int64 (7) as length-delimited
  });


  it("compiles every message of the contract", () => {
    for (const desc of MESSAGES) expect([desc.typeName, compileDecoder(desc) !== undefined]).toEqual([desc.typeName, true]);
  });

  it.each(MESSAGES.map((d) => [d.typeName, d] as const))("decodes %s exactly as fromBinary does", (_name, desc) => {
    const decode = compileDecoder(desc)!;
    fc.assert(
      fc.property(initArbitrary(desc), (init) => {
        const bytes = toBinary(desc, create(desc, init));
        expect(decode(bytes)).toStrictEqual(fromBinary(desc, bytes, { readUnknownFields: false }));
      }),
      { numRuns: 300 },
    );
  });

  it("merges repeated occurrences and skips unknown fields, as fromBinary does", () => {
    const decode = compileDecoder(ListJobsResponseSchema)!;
    fc.assert(
      fc.property(initArbitrary(ListJobsResponseSchema), initArbitrary(ListJobsResponseSchema), fc.uint8Array({ maxLength: 6 }), (a, b, junk) => {
        const unknown = Uint8Array.from([0xfa, 0x3e, junk.length, ...junk]); // field 999, length-delimited
        const bytes = Uint8Array.from([...toBinary(ListJobsResponseSchema, create(ListJobsResponseSchema, a)), ...unknown, ...toBinary(ListJobsResponseSchema, create(ListJobsResponseSchema, b))]);
        expect(decode(bytes)).toStrictEqual(fromBinary(ListJobsResponseSchema, bytes, { readUnknownFields: false }));
      }),
      { numRuns: 200 },
    );
  });

  it("never accepts bytes that fromBinary rejects, and agrees whenever it accepts", () => {
    const decode = compileDecoder(ListJobsResponseSchema)!;
    let accepted = 0;
    fc.assert(
      fc.property(initArbitrary(ListJobsResponseSchema), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(), (init, flips, cut) => {
        const bytes = toBinary(ListJobsResponseSchema, create(ListJobsResponseSchema, init));
        for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
        const input = bytes.subarray(0, bytes.length === 0 ? 0 : cut % (bytes.length + 1));
        let ours: unknown;
        try {
          ours = decode(input);
        } catch (err) {
          expect(String(err)).toMatch(/^[A-Za-z]*Error: /);
          return;
        }
        accepted++;
        expect(ours).toStrictEqual(fromBinary(ListJobsResponseSchema, input, { readUnknownFields: false }));
      }),
      { numRuns: 2000 },
    );
    expect(accepted).toBeGreaterThan(0);
    // And arbitrary bytes (a 5-byte tag with high bits set, field 0, wire types 6 and 7, ...).
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (input) => {
        let ours: unknown;
        try {
          ours = decode(input);
        } catch {
          return;
        }
        expect(ours).toStrictEqual(fromBinary(ListJobsResponseSchema, input, { readUnknownFields: false }));
      }),
      { numRuns: 20_000 },
    );
    expect(() => decode(Uint8Array.from([152, 128, 128, 128, 16, 0]))).toThrow(/varint overflows/);
  });

  it("leaves what it does not compile (map fields, also nested) to fromBinary", () => {
    expect(compileDecoder(StructSchema)).toBeUndefined();
    const struct = create(StructSchema, { fields: { a: { kind: { case: "numberValue", value: 1 } } } });
    expect(decoderFor(StructSchema)(toBinary(StructSchema, struct))).toStrictEqual(struct);
    // ListValue has no map itself, but a Value in it can hold a Struct, which has one.
    expect(compileDecoder(ListValueSchema)).toBeUndefined();
    const list = create(ListValueSchema, { values: [{ kind: { case: "structValue", value: struct } }, { kind: { case: "listValue", value: { values: [] } } }] });
    expect(decoderFor(ListValueSchema)(toBinary(ListValueSchema, list))).toStrictEqual(list);
  });

  it("falls back to fromBinary where the runtime forbids code generation", () => {
    // A fresh process: the flag is per process, and this one has already generated code.
    const probe = [
      'const { create, fromBinary, toBinary } = require("@bufbuild/protobuf");',
      'const { ListJobsResponseSchema: S } = require("./gen/k1s0/system/scheduler/v1/scheduler_service_pb.ts");',
      'const { compileDecoder, decoderFor } = require("./src/grpc/compiled-decoder.ts");',
      'const bytes = toBinary(S, create(S, { jobs: [{ id: "j1", name: "n", schedule: { kind: { case: "cron", value: { expression: "0 * * * *" } } } }] }));',
      "const decoded = decoderFor(S)(bytes);",
      "const same = JSON.stringify(decoded, (k, v) => (typeof v === 'bigint' ? String(v) : v)) === JSON.stringify(fromBinary(S, bytes), (k, v) => (typeof v === 'bigint' ? String(v) : v));",
      "process.stdout.write(JSON.stringify({ compiled: compileDecoder(S) !== undefined, id: decoded.jobs[0].id, same }));",
    ].join("\n");
    const run = (flags: string[]): unknown =>
      JSON.parse(execFileSync(process.execPath, [...flags, "--import", "tsx", "-e", probe], { cwd: join(__dirname, "..", ".."), encoding: "utf8" }));
    expect(run(["--disallow-code-generation-from-strings"])).toEqual({ compiled: false, id: "j1", same: true });
    expect(run([])).toEqual({ compiled: true, id: "j1", same: true });
  });

  it("bounds the nesting depth of recursive messages", () => {
    const tree = treeSchema();
    const decode = compileDecoder(tree)!;
    expect(decode(nest(10))).toStrictEqual(fromBinary(tree, nest(10), { readUnknownFields: false }));
    const deep = nest(200);
    expect(() => decode(deep)).toThrow(/maximum recursion depth/);
    expect(() => fromBinary(tree, deep)).toThrow(/maximum recursion depth/);
    // The depth count starts over for the next message.
    expect(decode(nest(10))).toStrictEqual(fromBinary(tree, nest(10), { readUnknownFields: false }));
  });
});

/** `message Tree { repeated Tree children = 1; }`: recursive, proto3, no maps. */
function treeSchema(): DescMessage {
  const file = create(FileDescriptorProtoSchema, {
    name: "bench/tree.proto",
    package: "bench",
    syntax: "proto3",
    messageType: [{ name: "Tree", field: [{ name: "children", number: 1, type: FieldDescriptorProto_Type.MESSAGE, typeName: ".bench.Tree", label: FieldDescriptorProto_Label.REPEATED }] }],
  });
  return createFileRegistry(file, () => undefined).getMessage("bench.Tree")!;
}

/** Tree{children: [Tree{children: [...]}]} nested `levels` deep. */
function nest(levels: number): Uint8Array {
  let tree: number[] = [];
  for (let i = 0; i < levels; i++) tree = [0x0a, ...varint(tree.length), ...tree]; // Tree.children = 1
  return Uint8Array.from(tree);
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
