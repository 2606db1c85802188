// The one error a bad guest image produces: a specific one-line message, naming the file. The CLI
// prints it and exits with status 2 (src/cli/exit-codes.ts BadInput); it never carries a stack trace
// to the user. Host bugs are HostBugError (src/common/assert.ts), never this.

/** A malformed, truncated, unsupported or oversized guest image. `message` is one line. */
export class ImageError extends Error {
  override name = 'ImageError';
}
