import { type DescField, type DescMessage, fromBinary, type MessageShape, protoInt64, ScalarType } from "@bufbuild/protobuf";
import { Edition, FeatureSet_FieldPresence } from "@bufbuild/protobuf/wkt";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

/** Decodes binary protobuf into the same plain message object `fromBinary` makes. */
export type MessageDecoder<Desc extends DescMessage> = (bytes: Uint8Array) => MessageShape<Desc>;

type Msg = Record<string, unknown>;

/** One message type's generated code. Every instance has the same shape (monomorphic calls). */
interface Compiled {
  typeName: string;
  /** A fresh message with every implicit-presence field at its zero value, as `create()` makes it. */
  zero: () => Msg;
  /** Reads fields from `reader` into `msg` until `end`. */
  read: (msg: Msg, reader: BinaryReader, end: number) => void;
}

const cache = new WeakMap<DescMessage, Compiled>();

/**
 * A decoder generated once from a message's descriptor, in the way protobuf.js (the library
 * under `@grpc/proto-loader`) decodes: one function per message type whose object literal has
 * every field at once and whose `switch` on the tag reads each field inline, instead of
 * protobuf-es's reflective `fromBinary` (bench/RESULTS.md has the figures). It produces exactly
 * what `fromBinary(desc, bytes, { readUnknownFields: false })` produces (property tests check
 * this), and is stricter where that one would read garbage: a field with the wrong wire type is
 * an error.
 *
 * The generated source holds only what the descriptor says (field names and numbers, quoted as
 * JSON), never bytes from the wire.
 *
 * Returns undefined when the message, or any message it can contain, is something it does not
 * compile - proto2 or editions files, map fields, group (delimited) encoding - or when the
 * runtime forbids code generation (`--disallow-code-generation-from-strings`); the caller then
 * falls back to `fromBinary`.
 */
export function compileDecoder<Desc extends DescMessage>(desc: Desc): MessageDecoder<Desc> | undefined {
  if (!codeGenerationAllowed() || !compilable(desc, new Set())) return undefined;
  const compiled = compile(desc);
  return (bytes) => {
    // The runtime reads strings and small 64-bit varints straight from this Buffer (no view
    // per field); a plain Uint8Array gets a Buffer view over the same memory, once.
    // (The reader keeps what it was given: bytes fields are views of it, as in fromBinary.)
    const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const reader = new BinaryReader(bytes);
    const outer = input;
    input = buffer;
    try {
      const msg = compiled.zero();
      compiled.read(msg, reader, buffer.length);
      return msg as MessageShape<Desc>;
    } finally {
      input = outer;
    }
  };
}

// The bytes of the decode in progress (decoding is synchronous; a decoder called from inside
// another one restores the outer bytes when it returns).
let input: Buffer = Buffer.alloc(0);

/** A 64-bit integer as protobuf-es represents it: bigint, or a string where BigInt is unsupported. */
const toLong: (value: number) => bigint | string = protoInt64.supported ? BigInt : String;

const decoders = new WeakMap<DescMessage, (bytes: Uint8Array) => unknown>();

/** The compiled decoder of `desc`, or `fromBinary` for what does not compile; made once per descriptor. */
export function decoderFor<Desc extends DescMessage>(desc: Desc): MessageDecoder<Desc> {
  let decoder = decoders.get(desc);
  if (decoder === undefined) {
    decoder = compileDecoder(desc) ?? ((bytes: Uint8Array) => fromBinary(desc, bytes, { readUnknownFields: false }));
    decoders.set(desc, decoder);
  }
  return decoder as MessageDecoder<Desc>;
}

let allowed: boolean | undefined;

/** Whether this runtime may compile source text (Node.js can forbid it with a flag). */
function codeGenerationAllowed(): boolean {
  if (allowed === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the probe of exactly that.
      new Function("");
      allowed = true;
    } catch {
      allowed = false;
    }
  }
  return allowed;
}

const PROTO3 = Edition.EDITION_PROTO3;
const IMPLICIT = FeatureSet_FieldPresence.IMPLICIT;
const LENGTH_DELIMITED = WireType.LengthDelimited;

/**
 * Whether every message reachable from `desc` compiles. Checked up front, so code is only
 * generated for message types that all compile.
 */
function compilable(desc: DescMessage, visiting: Set<DescMessage>): boolean {
  if (visiting.has(desc)) return true;
  visiting.add(desc);
  if (desc.file.edition !== PROTO3) return false;
  return desc.fields.every((field) => {
    if (field.fieldKind === "map") return false;
    const nested = field.fieldKind === "message" || (field.fieldKind === "list" && field.listKind === "message") ? field : undefined;
    return nested === undefined || (!nested.delimitedEncoding && compilable(nested.message, visiting));
  });
}

/**
 * The runtime the generated code calls: nested reads (with the depth bound), the error for a
 * field sent with the wrong wire type, and the checks of unusual tags. Passed in, never global.
 */
const runtime = {
  nested(compiled: Compiled, target: Msg, reader: BinaryReader): Msg {
    const length = reader.uint32();
    const end = reader.pos + length;
    if (end > reader.len) throw new RangeError("premature EOF");
    if (++depth > RECURSION_LIMIT) {
      depth = 0;
      throw new Error(`cannot decode ${compiled.typeName} from binary: maximum recursion depth of ${RECURSION_LIMIT} reached`);
    }
    try {
      compiled.read(target, reader, end);
    } finally {
      depth = Math.max(0, depth - 1);
    }
    return target;
  },
  wrongWireType(typeName: string, field: string, actual: number, expected: number): Error {
    return new Error(`cannot read ${typeName}.${field}: wire type ${actual}, expected ${expected}`);
  },
  /**
   * A string field, decoded from the input Buffer without a view per field. Only text that
   * decodes without a replacement character and does not start with a byte order mark is taken
   * from the fast path; anything else is read
   * again by BinaryReader.string (its UTF-8 checks, its errors), so the result is the same.
   */
  string(reader: BinaryReader, strict: boolean): string {
    const at = reader.pos;
    const length = reader.uint32();
    const start = reader.pos;
    const end = start + length;
    if (end <= reader.len) {
      const text = input.toString("utf8", start, end);
      // A leading byte order mark is dropped by TextDecoder (BinaryReader) and kept by Buffer.
      if (!text.includes("\uFFFD") && text.charCodeAt(0) !== 0xfeff) {
        reader.pos = end;
        return text;
      }
    }
    reader.pos = at;
    return reader.string(strict);
  },
  /**
   * An int64/uint64 varint: values below 2^49 (seven bytes; timestamps, durations, counters) are
   * read as a number and converted once; anything else, negative values included, goes through
   * BinaryReader (its two 32-bit halves).
   */
  int64(reader: BinaryReader, unsigned: boolean): bigint | string {
    const at = reader.pos;
    let pos = at;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      const byte = input[pos++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        reader.pos = pos;
        return toLong(value);
      }
      scale *= 128;
    }
    reader.pos = at;
    return unsigned ? reader.uint64() : reader.int64();
  },
  /** BinaryReader.tag()'s checks, for a tag the fast path found unusual; returns fieldNo * 8 + wireType. */
  slowTag(reader: BinaryReader, start: number): number {
    reader.pos = start;
    const [fieldNo, wireType] = reader.tag();
    return fieldNo * 8 + wireType;
  },
};
type Runtime = typeof runtime;

// Nesting depth of the decode in progress (decoding is synchronous), bounded as in fromBinary.
let depth = 0;
const RECURSION_LIMIT = 100;

/** Generates (once) the code of `desc` and of every message it can contain. */
function compile(desc: DescMessage): Compiled {
  const cached = cache.get(desc);
  if (cached !== undefined) return cached;
  // Registered before its code is generated, so recursive messages find it; the placeholders
  // are replaced before any decode can run.
  const compiled: Compiled = { typeName: desc.typeName, zero: unready, read: unready };
  cache.set(desc, compiled);
  const nested: Compiled[] = [];
  const ref = (message: DescMessage): string => {
    const target = compile(message);
    let index = nested.indexOf(target);
    if (index < 0) index = nested.push(target) - 1;
    return `N[${index}]`;
  };
  const source = generate(desc, ref);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the point: see compileDecoder.
  const make = new Function("N", "rt", source) as (nested: Compiled[], rt: Runtime) => Pick<Compiled, "zero" | "read">;
  const { zero, read } = make(nested, runtime);
  compiled.zero = zero;
  compiled.read = read;
  return compiled;
}

function unready(): never {
  throw new Error("internal error: a decoder ran before its code was generated");
}

const q = (text: string): string => JSON.stringify(text);

/** The source of `return { zero, read }` for one message type. */
function generate(desc: DescMessage, ref: (message: DescMessage) => string): string {
  const zero: string[] = [`$typeName: ${q(desc.typeName)}`];
  for (const member of desc.members) {
    if (member.kind === "oneof") zero.push(`${q(member.localName)}: { case: undefined }`);
    else {
      const value = zeroValue(member);
      if (value !== undefined) zero.push(`${q(member.localName)}: ${value}`);
    }
  }
  const cases: string[] = [];
  const expected: string[] = [];
  for (const field of desc.fields) {
    const name = q(field.localName);
    const oneof = field.oneof === undefined ? undefined : q(field.oneof.localName);
    const tag = (wire: WireType): number => field.number * 8 + wire;
    // The wire type the field's values come with (a packed list also accepts LENGTH_DELIMITED).
    let wire: WireType = LENGTH_DELIMITED;
    switch (field.fieldKind) {
      case "scalar":
      case "enum": {
        const scalar = scalarRead(field.fieldKind === "enum" ? ScalarType.INT32 : field.scalar, field.fieldKind === "scalar" && field.longAsString, field.utf8Validation);
        wire = scalar.wire;
        cases.push(oneof === undefined ? `case ${tag(wire)}: m[${name}] = ${scalar.read}; break;` : `case ${tag(wire)}: m[${oneof}] = { case: ${name}, value: ${scalar.read} }; break;`);
        break;
      }
      case "message": {
        const c = ref(field.message);
        // A repeated occurrence of a singular message merges into it, as in fromBinary.
        cases.push(
          oneof === undefined
            ? `case ${tag(wire)}: m[${name}] = rt.nested(${c}, m[${name}] ?? ${c}.zero(), r); break;`
            : `case ${tag(wire)}: { const o = m[${oneof}]; m[${oneof}] = { case: ${name}, value: rt.nested(${c}, o.case === ${name} && o.value !== undefined ? o.value : ${c}.zero(), r) }; break; }`,
        );
        break;
      }
      case "list": {
        if (field.listKind === "message") {
          const c = ref(field.message);
          cases.push(`case ${tag(wire)}: m[${name}].push(rt.nested(${c}, ${c}.zero(), r)); break;`);
          break;
        }
        const scalar = scalarRead(field.listKind === "enum" ? ScalarType.INT32 : field.scalar, field.listKind === "scalar" && field.longAsString, field.utf8Validation);
        wire = scalar.wire;
        cases.push(`case ${tag(wire)}: m[${name}].push(${scalar.read}); break;`);
        // Packed: the elements back to back. Parsers accept both encodings, whatever the declaration.
        if (wire !== LENGTH_DELIMITED) {
          cases.push(`case ${tag(LENGTH_DELIMITED)}: { const l = m[${name}], e = r.uint32() + r.pos; while (r.pos < e) l.push(${scalar.read}); break; }`);
        }
        break;
      }
      case "map":
        throw new Error(`internal error: ${desc.typeName} has a map field and does not compile`);
    }
    expected.push(`case ${field.number}: throw rt.wrongWireType(${q(desc.typeName)}, ${q(field.name)}, wt, ${wire});`);
  }
  return `"use strict";
return {
  zero() { return { ${zero.join(", ")} }; },
  read(m, r, end) {
    while (r.pos < end) {
      const start = r.pos;
      let tag = r.uint32();
      // Anything unusual (a 5-byte tag, field 0, wire type 6 or 7) goes through BinaryReader.tag()
      // for its checks; the common case skips its array per field.
      if (r.pos - start >= 5 || tag < 8 || (tag & 7) > 5) tag = rt.slowTag(r, start);
      switch (tag) {
        ${cases.join("\n        ")}
        default: {
          const wt = tag % 8, no = (tag - wt) / 8;
          if (wt === ${WireType.EndGroup}) throw new Error("invalid end group tag");
          switch (no) {
            ${expected.join("\n            ")}
          }
          r.skip(wt, no);
        }
      }
    }
    if (r.pos > end) throw new RangeError("premature EOF");
  },
};`;
}

/** The zero value `create()` gives a field, as source, or undefined when the field starts unset. */
function zeroValue(field: DescField): string | undefined {
  switch (field.fieldKind) {
    case "list":
      return "[]";
    case "map":
      return "{}";
    case "message":
      return undefined;
    case "enum":
      return field.presence === IMPLICIT ? String(field.enum.values[0]?.number ?? 0) : undefined;
    case "scalar":
      return field.presence === IMPLICIT ? scalarZero(field.scalar, field.longAsString) : undefined;
  }
}

/** Each scalar type's BinaryReader method, wire type and zero value (as source); 64-bit types are `long`. */
const SCALARS: Record<ScalarType, { method: string; wire: WireType; zero: string; long?: true }> = {
  [ScalarType.DOUBLE]: { method: "double", wire: WireType.Bit64, zero: "0" },
  [ScalarType.FLOAT]: { method: "float", wire: WireType.Bit32, zero: "0" },
  [ScalarType.INT64]: { method: "int64", wire: WireType.Varint, zero: "0n", long: true },
  [ScalarType.UINT64]: { method: "uint64", wire: WireType.Varint, zero: "0n", long: true },
  [ScalarType.INT32]: { method: "int32", wire: WireType.Varint, zero: "0" },
  [ScalarType.FIXED64]: { method: "fixed64", wire: WireType.Bit64, zero: "0n", long: true },
  [ScalarType.FIXED32]: { method: "fixed32", wire: WireType.Bit32, zero: "0" },
  [ScalarType.BOOL]: { method: "bool", wire: WireType.Varint, zero: "false" },
  [ScalarType.STRING]: { method: "string", wire: LENGTH_DELIMITED, zero: '""' },
  [ScalarType.BYTES]: { method: "bytes", wire: LENGTH_DELIMITED, zero: "new Uint8Array(0)" },
  [ScalarType.UINT32]: { method: "uint32", wire: WireType.Varint, zero: "0" },
  [ScalarType.SFIXED32]: { method: "sfixed32", wire: WireType.Bit32, zero: "0" },
  [ScalarType.SFIXED64]: { method: "sfixed64", wire: WireType.Bit64, zero: "0n", long: true },
  [ScalarType.SINT32]: { method: "sint32", wire: WireType.Varint, zero: "0" },
  [ScalarType.SINT64]: { method: "sint64", wire: WireType.Varint, zero: "0n", long: true },
};

function scalarZero(type: ScalarType, longAsString: boolean): string {
  const { zero, long } = SCALARS[type];
  return long === true && longAsString ? '"0"' : zero;
}

/** How one value of `type` is read: the BinaryReader call, as source, and the wire type it comes with. */
function scalarRead(type: ScalarType, longAsString: boolean, validateUtf8: boolean): { read: string; wire: WireType } {
  const { method, wire, long } = SCALARS[type];
  const call =
    type === ScalarType.STRING
      ? `rt.string(r, ${String(validateUtf8)})`
      : type === ScalarType.INT64 || type === ScalarType.UINT64
        ? `rt.int64(r, ${String(type === ScalarType.UINT64)})`
        : `r.${method}()`;
  return { read: long === true && longAsString ? `String(${call})` : call, wire };
}
