// Typed errors: every failure the user can see has a code, a context chain and a JSON form.

export type ErrorCode =
  | 'USAGE' // bad arguments
  | 'ENOENT'
  | 'ENOTDIR'
  | 'EISDIR'
  | 'EEXIST'
  | 'ENOTEMPTY'
  | 'ENAMETOOLONG'
  | 'ENOSPC'
  | 'EINVAL'
  | 'EROFS' // write attempted on a read-only open
  | 'EBUSY'
  | 'ELOOP'
  | 'ENODATA' // no such xattr
  | 'EOPNOTSUPP' // Linux refuses the operation itself (an xattr namespace it has no handler for)
  | 'ENOKEY' // encrypted content and no key given
  | 'EXDEV' // a link or rename into an encrypted directory of an inode under another policy
  | 'EPERM' // operation not permitted on this file (a verity file's contents, a compressed file whose blocks were released)
  | 'NOT_F2FS' // no valid superblock
  | 'CORRUPT' // on-disk structure fails validation
  | 'UNSUPPORTED' // feature or layout we refuse to handle
  | 'IO'; // host I/O failure, short read

/** Process exit status per error code (0 success, 1 generic, 2 usage, 3 not/bad image, 4 unsupported, 5 host I/O). */
const EXIT_CODES: Record<ErrorCode, number> = {
  USAGE: 2,
  ENOENT: 1,
  ENOTDIR: 1,
  EISDIR: 1,
  EEXIST: 1,
  ENOTEMPTY: 1,
  ENAMETOOLONG: 1,
  ENOSPC: 1,
  EINVAL: 1,
  EPERM: 1,
  EROFS: 1,
  EBUSY: 1,
  ELOOP: 1,
  ENODATA: 1,
  EOPNOTSUPP: 1,
  ENOKEY: 4,
  EXDEV: 1,
  NOT_F2FS: 3,
  CORRUPT: 3,
  UNSUPPORTED: 4,
  IO: 5,
};

export class F2fsError extends Error {
  readonly code: ErrorCode;
  /** Outermost first: ["while reading inode 5", "while reading node 7 at blkaddr 4100"]. */
  readonly context: string[];
  // Not "details": test runners (uvu) read that name as a printable diff string.
  readonly info: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'F2fsError';
    this.code = code;
    this.context = [];
    this.info = details;
  }

  get exitCode(): number {
    return EXIT_CODES[this.code];
  }

  /** One line for humans: "CORRUPT: bad magic 0x0 (while reading superblock)". */
  describe(): string {
    const ctx = this.context.length ? ` (${this.context.join(', ')})` : '';
    return `${this.code}: ${this.message}${ctx}`;
  }

  toJSON(): Record<string, unknown> {
    return { error: { code: this.code, message: this.message, context: this.context, ...this.info } };
  }
}

export const fail = (code: ErrorCode, message: string, details?: Record<string, unknown>): never => {
  throw new F2fsError(code, message, details);
};

/** Runs fn; an F2fsError escaping it gains `what` ("while reading inode 5") as context. */
export function during<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw withContext(e, what);
  }
}

/**
 * What `during` does to an error escaping it, for hot paths that catch themselves: no closure and no context string
 * are built unless something fails. Returns the error to throw.
 */
export function withContext(e: unknown, what: string): unknown {
  if (e instanceof F2fsError) {
    e.context.unshift(what);
    return e;
  }
  if (e instanceof RangeError) {
    // A codec read past a buffer: the on-disk data lied about a length.
    const err = new F2fsError('CORRUPT', e.message);
    err.context.unshift(what);
    return err;
  }
  return e;
}

/** Runs a host call (fs.*): a Node error escaping it becomes an F2fsError (ENOENT, EISDIR, ... or IO). */
export function fromHost<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw toF2fsError(e);
  }
}

/** Wraps any thrown value as an F2fsError (host errors become IO). */
export function toF2fsError(e: unknown): F2fsError {
  if (e instanceof F2fsError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string' && typeof err.syscall === 'string') {
    const known: Record<string, ErrorCode> = { ENOENT: 'ENOENT', EISDIR: 'EISDIR', ENOTDIR: 'ENOTDIR', EEXIST: 'EEXIST', ENOSPC: 'ENOSPC', ELOOP: 'ELOOP' };
    // Node's message repeats the code, syscall and path ("ENOENT: no such file or directory, open 'x'"): keep its middle.
    const what = /^[A-Z]+: (.*), \w+ '/.exec(err.message)?.[1] ?? err.message;
    return new F2fsError(known[err.code] ?? 'IO', `${err.syscall}${err.path ? ` ${err.path}` : ''}: ${what}`);
  }
  return new F2fsError('IO', err instanceof Error ? err.message : String(e));
}
