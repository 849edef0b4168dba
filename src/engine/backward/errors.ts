/** Errors the compiler raises; the engine maps them to the protocol's typed errors. */
export class UnsupportedOpError extends Error {
  constructor(readonly op: string, readonly nodeName: string, readonly detail: string) {
    super(detail);
  }
}
