// The Authorization header, read as the backend's local_backend/src/authentication.rs and authentication/src/lib.rs
// read it:
//   none                      -> anonymous
//   "Convex <deploy key>"     -> admin (may call internal functions); "<key>:<base64 JSON identity>" acts as a user
//   "Bearer <JWT>"            -> a user identity, from a token the configured provider signed (here: HS256 with
//                                the --jwt-secret, the stand-in's test provider)
// Failures are HTTP errors with the backend's codes: 401 BadAdminKey / InvalidAuthHeader / NoAuthProvider, 400
// for a header that is neither.
import { createHmac, timingSafeEqual } from "node:crypto";
import { httpError } from "./values.mjs";

const CLOCK_SKEW_SECONDS = 5; // the backend's validation epsilon

// OIDC claims -> UserIdentity fields (convex/server's UserIdentity; "tokenIdentifier" is iss|sub).
const CLAIMS = {
  sub: "subject",
  iss: "issuer",
  name: "name",
  given_name: "givenName",
  family_name: "familyName",
  nickname: "nickname",
  preferred_username: "preferredUsername",
  profile: "profileUrl",
  picture: "pictureUrl",
  email: "email",
  email_verified: "emailVerified",
  gender: "gender",
  birthdate: "birthday",
  zoneinfo: "timezone",
  locale: "language",
  phone_number: "phoneNumber",
  phone_number_verified: "phoneNumberVerified",
  address: "address",
  updated_at: "updatedAt",
};
const NOT_IDENTITY = new Set(["aud", "exp", "iat", "nbf", "jti"]);

/** The deploy key without the "prod:" / "dev:" label the dashboard shows in front of it. */
function withoutTypePrefix(key) {
  const match = /^(prod|dev|preview|local):(.*)$/s.exec(key);
  return match ? match[2] : key;
}

/** The header's kind, or a 400 for one that is neither: read before the body, as the backend's extractor does. */
export function readAuthorization(header) {
  if (header === undefined) return { kind: "none" };
  if (header.length < 7) throw httpError(400, "InvalidHeaderFailure", "Invalid authentication header");
  if (header.slice(0, 7).toLowerCase() === "convex ") return { kind: "admin", value: header.slice(7) };
  if (header.slice(0, 7).toLowerCase() !== "bearer ") throw httpError(400, "InvalidAdminKey", "Invalid admin key");
  return { kind: "bearer", value: header.slice(7).trim() };
}

/** {admin, identity} for a header read by readAuthorization, or a 401 (checked after the body, as the backend does). */
export function verifyAuthorization(read, { deployKey, jwtSecret, now = Date.now() / 1000 }) {
  if (read.kind === "none") return { admin: false, identity: null };
  if (read.kind === "admin") return adminAuth(read.value, deployKey);
  return { admin: false, identity: verifyJwt(read.value, jwtSecret, now) };
}

export function authenticate(header, options) {
  return verifyAuthorization(readAuthorization(header), options);
}

function adminAuth(given, deployKey) {
  const key = withoutTypePrefix(given);
  const colon = key.indexOf(":");
  const secret = colon === -1 ? key : key.slice(0, colon);
  if (deployKey === undefined || !sameText(secret, withoutTypePrefix(deployKey))) {
    throw httpError(401, "BadAdminKey", "The provided admin key was invalid for this instance");
  }
  if (colon === -1) return { admin: true, identity: null };
  let acting;
  try {
    acting = JSON.parse(Buffer.from(key.slice(colon + 1), "base64").toString("utf8"));
  } catch {
    throw httpError(400, "HeaderParseFailure", "Malformed Authorization header.");
  }
  if (acting === null || typeof acting !== "object" || Array.isArray(acting)) {
    throw httpError(400, "HeaderParseFailure", "Malformed Authorization header.");
  }
  return { admin: true, identity: acting };
}

function sameText(a, b) {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function decodePart(part) {
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

function verifyJwt(token, secret, now) {
  const parts = token.split(".");
  let header;
  let claims;
  try {
    if (parts.length !== 3) throw new Error("not three parts");
    header = decodePart(parts[0]);
    claims = decodePart(parts[1]);
  } catch {
    throw httpError(401, "InvalidAuthHeader",
      "Could not parse JWT payload. Check that the token is a valid JWT format with three base64-encoded parts separated by dots.");
  }
  if (typeof claims.iss !== "string") {
    throw httpError(401, "InvalidAuthHeader",
      "Missing issuer claim ('iss') in JWT payload. The JWT must include an 'iss' claim that matches one of your configured auth providers.");
  }
  if (secret === undefined) {
    throw httpError(401, "NoAuthProvider",
      "No auth provider found matching the given token (no auth providers configured). Check convex/auth.config.ts.");
  }
  const expected = createHmac("sha256", secret).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], "base64url");
  if (header.alg !== "HS256" || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw httpError(401, "InvalidAuthHeader", "Could not decode token. The signature does not match the provider's key.");
  }
  if (typeof claims.exp === "number" && claims.exp + CLOCK_SKEW_SECONDS < now) {
    throw httpError(401, "InvalidAuthHeader", "Could not validate token: token has expired");
  }
  if (typeof claims.nbf === "number" && claims.nbf - CLOCK_SKEW_SECONDS > now) {
    throw httpError(401, "InvalidAuthHeader", "Could not validate token: token is not yet valid");
  }
  if (typeof claims.sub !== "string" || claims.sub === "") {
    throw httpError(401, "InvalidAuthHeader",
      "Could not verify token claim. Check that the JWT contains valid claims and matches your auth provider configuration.");
  }
  return identityOf(claims);
}

function identityOf(claims) {
  const identity = {};
  for (const [claim, value] of Object.entries(claims)) {
    if (NOT_IDENTITY.has(claim)) continue;
    identity[CLAIMS[claim] ?? claim] = value;
  }
  identity.tokenIdentifier = `${claims.iss}|${claims.sub}`;
  return identity;
}

/** An HS256 test token (the fixture signs its own in Python; this one is for Node tests and scripts). */
export function signTestToken(claims, secret) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const body = `${encode({ alg: "HS256", typ: "JWT" })}.${encode(claims)}`;
  return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
}
