// A test stand-in for R2's S3 API, over the R2 bindings of the worker it runs in (wrangler's local R2).
//
// Path-style only: {prefix}/{bucket}/{key}, the bucket name mapped to a binding by the caller (BUCKETS).
// It answers the calls mkdocs_hybrid.deploy makes (ArtifactStore, BucketRecords, MediaStore, MultipartUpload):
// HeadBucket; HeadObject, GetObject, PutObject (If-None-Match: * and If-Match: "etag" applied by the binding's
// onlyIf, so the check and the write are one step, as on R2), DeleteObject; ListObjectsV2 (prefix, delimiter,
// start-after, max-keys, continuation); Get/Put/DeleteBucketCors; CreateMultipartUpload, UploadPart,
// CompleteMultipartUpload, AbortMultipartUpload. Anything else is a 501 NotImplemented naming the request.
// Bodies and errors are S3's XML; an ETag is the binding's quoted MD5 hex (multipart: MD5 of the part MD5s,
// "-N"); Content-Type, Cache-Control and the other HTTP headers are kept as httpMetadata, x-amz-meta-* as
// customMetadata; Content-MD5 is checked (BadDigest).
// Not S3: no authentication (any Authorization header, SigV4 or none, is accepted and not checked);
// no aws-chunked bodies (the client must send plain bodies: botocore's request_checksum_calculation
// "when_required", as mkdocs_hybrid's r2_client sets); no Range or conditional reads; bucket CORS rules are
// kept in this worker's memory (the bindings have no CORS API), so they last as long as the server;
// CompleteMultipartUpload's If-None-Match: * is a HEAD then the completion (the binding has no condition there).

const XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";
const MAX_KEYS = 1000;
const HTTP_METADATA = [
  ["content-type", "contentType"], ["cache-control", "cacheControl"], ["content-encoding", "contentEncoding"],
  ["content-disposition", "contentDisposition"], ["content-language", "contentLanguage"],
];
const corsRules = new Map();

export async function handleS3(request, env, buckets, prefix) {
  try {
    return await route(request, env, buckets, prefix);
  } catch (error) {
    return s3Error(500, "InternalError", `the R2 S3 stand-in failed: ${error && error.stack || error}`);
  }
}

async function route(request, env, buckets, prefix) {
  const url = new URL(request.url);
  const path = url.pathname.slice(prefix.length).replace(/^\//, "");
  const slash = path.indexOf("/");
  const name = decodeURIComponent(slash < 0 ? path : path.slice(0, slash));
  const key = slash < 0 ? "" : decodeURIComponent(path.slice(slash + 1));
  const query = url.searchParams;
  const method = request.method;
  if (name === "") {
    return notImplemented(method, url);
  }
  const bucket = buckets[name] ? env[buckets[name]] : undefined;
  if (!bucket) {
    return s3Error(404, "NoSuchBucket", `no bucket ${name} (bound here: ${Object.keys(buckets).join(", ")})`,
                   method);
  }
  if (request.headers.get("content-encoding")?.includes("aws-chunked")) {
    return s3Error(501, "NotImplemented", "aws-chunked bodies are not supported: set the client's "
                   + "request_checksum_calculation to when_required");
  }
  const target = { bucket, name, key, query, request, method };
  if (key === "") {
    return bucketRequest(target, url);
  }
  if (query.has("uploads") || query.has("uploadId")) {
    return multipartRequest(target, url);
  }
  if (request.headers.has("x-amz-copy-source")) {
    return notImplemented(`${method} (CopyObject)`, url);
  }
  switch (method) {
    case "HEAD": return readObject(target, false);
    case "GET": return readObject(target, true);
    case "PUT": return putObject(target);
    case "DELETE": await bucket.delete(key); return new Response(null, { status: 204 });
    default: return notImplemented(method, url);
  }
}

// -- buckets ---------------------------------------------------------------------------------------------

async function bucketRequest(target, url) {
  const { name, query, method, request } = target;
  if (query.has("cors")) {
    if (method === "GET") {
      const rules = corsRules.get(name);
      return rules === undefined
        ? s3Error(404, "NoSuchCORSConfiguration", `bucket ${name} has no CORS rules`)
        : new Response(rules, { headers: { "Content-Type": "application/xml" } });
    }
    if (method === "PUT") {
      corsRules.set(name, await request.text());
      return new Response(null, { status: 200 });
    }
    if (method === "DELETE") {
      corsRules.delete(name);
      return new Response(null, { status: 204 });
    }
  }
  if (method === "HEAD" && [...query.keys()].length === 0) {
    return new Response(null, { status: 200, headers: { "x-amz-bucket-region": "auto" } });
  }
  if (method === "GET" && query.get("list-type") === "2") {
    return listObjects(target);
  }
  return notImplemented(method, url);
}

async function listObjects({ bucket, name, query }) {
  const prefix = query.get("prefix") || "";
  const delimiter = query.get("delimiter") || undefined;
  const token = query.get("continuation-token") || undefined;
  const startAfter = query.get("start-after") || undefined;
  const maxKeys = Math.min(Number(query.get("max-keys") || MAX_KEYS), MAX_KEYS);
  const listed = await bucket.list({ prefix, delimiter, cursor: token, startAfter: token ? undefined : startAfter,
                                     limit: Math.max(maxKeys, 1), include: ["httpMetadata", "customMetadata"] });
  const contents = listed.objects.map((object) => element("Contents",
    tag("Key", object.key) + tag("LastModified", object.uploaded.toISOString()) + tag("ETag", object.httpEtag)
    + tag("Size", String(object.size)) + tag("StorageClass", "STANDARD"))).join("");
  const prefixes = (listed.delimitedPrefixes || []).map((item) => element("CommonPrefixes", tag("Prefix", item)));
  const body = tag("Name", name) + tag("Prefix", prefix) + (delimiter ? tag("Delimiter", delimiter) : "")
    + tag("MaxKeys", String(maxKeys)) + tag("KeyCount", String(listed.objects.length + prefixes.length))
    + tag("IsTruncated", String(listed.truncated)) + (token ? tag("ContinuationToken", token) : "")
    + (listed.truncated ? tag("NextContinuationToken", listed.cursor) : "")
    + (startAfter ? tag("StartAfter", startAfter) : "") + contents + prefixes.join("");
  return xml("ListBucketResult", body);
}

// -- objects ---------------------------------------------------------------------------------------------

async function readObject({ bucket, key, name }, withBody) {
  const object = withBody ? await bucket.get(key) : await bucket.head(key);
  if (object === null) {
    return s3Error(404, "NoSuchKey", `no object ${key} in bucket ${name}`, withBody ? "GET" : "HEAD");
  }
  const headers = objectHeaders(object);
  headers.set("Content-Length", String(object.size));
  // "manual": the stored bytes as they are, even with a Content-Encoding (workerd would encode them again).
  return new Response(withBody ? object.body : null, { status: 200, headers, encodeBody: "manual" });
}

function objectHeaders(object) {
  const headers = new Headers({ "ETag": object.httpEtag, "Last-Modified": object.uploaded.toUTCString(),
                                "Accept-Ranges": "bytes" });
  for (const [header, field] of HTTP_METADATA) {
    if (object.httpMetadata?.[field]) {
      headers.set(header, object.httpMetadata[field]);
    }
  }
  for (const [field, value] of Object.entries(object.customMetadata || {})) {
    headers.set(`x-amz-meta-${field}`, value);
  }
  return headers;
}

async function putObject({ bucket, key, name, request }) {
  const body = await request.arrayBuffer();
  const options = { ...writtenMetadata(request.headers), onlyIf: writeCondition(request.headers) };
  const md5 = request.headers.get("content-md5");
  if (md5) {
    options.md5 = Uint8Array.from(atob(md5), (c) => c.charCodeAt(0)).buffer;
  }
  let object;
  try {
    object = await bucket.put(key, body, options);
  } catch (error) {
    if (/digest|MD5 checksum|10037/i.test(String(error))) {  // miniflare: "The MD5 checksum you specified did not match" (10037)
      return s3Error(400, "BadDigest", `the Content-MD5 of ${key} does not match its body`);
    }
    throw error;
  }
  if (object === null) {
    return refusedWrite(bucket, key, name, request.headers);
  }
  return new Response(null, { status: 200, headers: { "ETag": object.httpEtag } });
}

function writeCondition(headers) {
  // A Headers object is one of the forms onlyIf takes: the binding reads If-Match / If-None-Match from it.
  const condition = new Headers();
  for (const header of ["if-match", "if-none-match"]) {
    if (headers.has(header)) {
      condition.set(header, headers.get(header));
    }
  }
  return [...condition.keys()].length ? condition : undefined;
}

async function refusedWrite(bucket, key, name, headers) {
  // S3: If-Match on a missing object is a 404 NoSuchKey; every other failed condition is a 412.
  if (headers.has("if-match") && await bucket.head(key) === null) {
    return s3Error(404, "NoSuchKey", `no object ${key} in bucket ${name}`);
  }
  return s3Error(412, "PreconditionFailed", `the condition on ${key} in bucket ${name} did not hold`);
}

function writtenMetadata(headers) {
  const httpMetadata = {};
  for (const [header, field] of HTTP_METADATA) {
    if (headers.has(header)) {
      httpMetadata[field] = headers.get(header);
    }
  }
  const customMetadata = {};
  for (const [header, value] of headers) {
    if (header.startsWith("x-amz-meta-")) {
      customMetadata[header.slice("x-amz-meta-".length)] = value;
    }
  }
  return { httpMetadata, customMetadata };
}

// -- multipart uploads -----------------------------------------------------------------------------------

async function multipartRequest({ bucket, key, name, query, request, method }, url) {
  if (method === "POST" && query.has("uploads")) {
    const upload = await bucket.createMultipartUpload(key, writtenMetadata(request.headers));
    return xml("InitiateMultipartUploadResult",
               tag("Bucket", name) + tag("Key", key) + tag("UploadId", upload.uploadId));
  }
  const upload = bucket.resumeMultipartUpload(key, query.get("uploadId"));
  if (method === "PUT" && query.has("partNumber")) {
    const part = await upload.uploadPart(Number(query.get("partNumber")), await request.arrayBuffer());
    return new Response(null, { status: 200, headers: { "ETag": `"${part.etag}"` } });
  }
  if (method === "POST") {
    if (request.headers.get("if-none-match") === "*" && await bucket.head(key) !== null) {
      return s3Error(412, "PreconditionFailed", `${key} already exists in bucket ${name}`);
    }
    const parts = [...(await request.text()).matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map(([, part]) => ({
      partNumber: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(part)[1]),
      etag: unescape(/<ETag>([\s\S]*?)<\/ETag>/.exec(part)[1]).replace(/"/g, ""),
    }));
    const object = await upload.complete(parts);
    return xml("CompleteMultipartUploadResult",
               tag("Bucket", name) + tag("Key", key) + tag("ETag", object.httpEtag));
  }
  if (method === "DELETE") {
    await upload.abort();
    return new Response(null, { status: 204 });
  }
  return notImplemented(method, url);
}

// -- XML -------------------------------------------------------------------------------------------------

function escape(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function unescape(text) {
  return text.replace(/&quot;/g, "\"").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function tag(name, text) {
  return `<${name}>${escape(text)}</${name}>`;
}

function element(name, inner) {
  return `<${name}>${inner}</${name}>`;
}

function xml(root, inner, status = 200) {
  return new Response(`<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${XMLNS}">${inner}</${root}>`,
                      { status, headers: { "Content-Type": "application/xml" } });
}

function s3Error(status, code, message, method = "") {
  // A HEAD answer has no body: the client reads the status alone (botocore names the error "404").
  const body = method === "HEAD" ? null
    : `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${tag("Code", code)}${tag("Message", message)}</Error>`;
  return new Response(body, { status, headers: { "Content-Type": "application/xml" } });
}

function notImplemented(method, url) {
  return s3Error(501, "NotImplemented",
                 `the R2 S3 stand-in does not answer ${method} ${url.pathname}${url.search}`, method);
}
