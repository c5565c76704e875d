/**
 * Errors the caller sees, always in OpenAI's shape: `{ "error": { "message", "type", "code", "param" } }`.
 * The official SDKs read `type`/`code`/`param` from here, so keep the field names exact.
 */
export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "not_found_error"
  | "rate_limit_error"
  | "api_error"
  | "timeout_error"
  | "configuration_error";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: ErrorType,
    readonly code: string,
    message: string,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }

  toJSON(): { error: { message: string; type: string; code: string; param: string | null } } {
    return { error: { message: this.message, type: this.type, code: this.code, param: this.param } };
  }
}

export const badRequest = (message: string, param: string | null = null, code = "invalid_request") =>
  new ApiError(400, "invalid_request_error", code, message, param);

/** A caller's value quoted in an error message: at most its first `max` characters, so a huge value is not echoed back. */
export function excerpt(value: string, max = 100): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}
