// Convex values over HTTP, as the backend's value/src/export.rs writes them.
//
// Arguments are always read in the encoded form ({"$integer": ...}, {"$bytes": ...}); results and errorData are
// written in the format the request names: "convex_encoded_json" (what the npm and Python clients ask for) keeps
// the wrappers, "json" (the documented HTTP API format, and the default) is the lossy "clean" export: int64 as a
// decimal string, bytes as a plain base64 string, NaN and infinities as strings.
import { Base64, convexToJson } from "convex/values";

export const FORMATS = {
  json: "clean",
  convex_clean_json: "clean",
  convex_encoded_json: "encoded",
  convex_json: "encoded",
};

/** The format a request asked for, or an HTTP error {status: 400, code: "BadFormat"} when it names another one. */
export function parseFormat(format) {
  if (format === undefined || format === null) return "clean";
  const known = FORMATS[format];
  if (known === undefined) {
    throw httpError(400, "BadFormat", `format param must be one of [\`json\`]. Got ${format}`);
  }
  return known;
}

export function exportValue(value, format) {
  return format === "encoded" ? convexToJson(value) : exportClean(value);
}

function exportClean(value) {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "NaN";
    if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
    return value;
  }
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (value instanceof ArrayBuffer) return Base64.fromByteArray(new Uint8Array(value));
  if (Array.isArray(value)) return value.map(exportClean);
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, exportClean(v)]));
}

/** An error the HTTP layer answers with `status` and the backend's `{code, message}` body. */
export function httpError(status, code, message) {
  return Object.assign(new Error(message), { httpStatus: status, code });
}
