// SipHash-2-4 (Aumasson and Bernstein): a 64-bit keyed hash of a byte string, as Linux's siphash() computes it
// (lib/siphash.c). fscrypt keys it per directory to hash the names of encrypted + casefolded directories.

const MASK = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & MASK;

/** SipHash-2-4 of `data` under the 128-bit key (k0, k1): the key's bytes read as two little-endian 64-bit words. */
export function siphash24(key: Uint8Array, data: Uint8Array): bigint {
  if (key.length !== 16) throw new RangeError(`a SipHash key is 16 bytes, got ${key.length}`);
  const kv = new DataView(key.buffer, key.byteOffset, 16);
  const k0 = kv.getBigUint64(0, true);
  const k1 = kv.getBigUint64(8, true);
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = () => {
    v0 = (v0 + v1) & MASK;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & MASK;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & MASK;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & MASK;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  const compress = (m: bigint) => {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  };
  const whole = data.length - (data.length % 8);
  const dv = new DataView(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < whole; i += 8) compress(dv.getBigUint64(i, true));
  // The last word: the remaining bytes, little-endian, and the length's low byte on top.
  let last = BigInt(data.length & 0xff) << 56n;
  for (let i = whole; i < data.length; i++) last |= BigInt(data[i]!) << BigInt(8 * (i - whole));
  compress(last);
  v2 ^= 0xffn;
  for (let i = 0; i < 4; i++) round();
  return (v0 ^ v1 ^ v2 ^ v3) & MASK;
}
