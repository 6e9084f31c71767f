// The error class of wasm-token-manager: every error the library throws or rejects with is a
// TokenManagerError (`err instanceof TokenManagerError`, or `err.code`). Re-exported by the
// package entry.
export class TokenManagerError extends Error {
  constructor(code, message, status, body) {
    super(message);
    this.name = "TokenManagerError";
    this.code = code;
    if (status !== undefined) this.status = status;
    if (body !== undefined) this.body = body;
  }
}

export function tokenManagerError(code, message, status, body) {
  return new TokenManagerError(code, message, status, body);
}
