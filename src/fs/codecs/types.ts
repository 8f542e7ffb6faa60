// The one interface every compression algorithm is reached through.

/** Thrown by a decoder on malformed input; compress.ts turns it into CORRUPT with the cluster named. */
export class CodecError extends Error {}

export interface Codec {
  readonly name: string;
  /** Decodes all of `src` into `dst` and returns the bytes produced (the caller checks it equals the cluster size). */
  decompress(src: Buffer, dst: Buffer): number;
  /** Compresses `src`; null when the result would exceed `maxLen` bytes (the cluster is then stored plain). */
  compress?(src: Buffer, maxLen: number, level: number): Buffer | null;
}
