// Quick-share links: the whole snapshot in the URL's hash, so sharing needs no server. The hash is never sent
// to the site, and a link over SHARE_LIMIT is refused (export the snapshot instead).

export const SHARE_LIMIT = 32 * 1024;

function base64url(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

async function through(bytes, stream) {
  const response = new Response(new Blob([bytes]).stream().pipeThrough(stream));
  return new Uint8Array(await response.arrayBuffer());
}

/** `#s=` + base64url(deflate-raw(snapshot JSON)); `null` when over SHARE_LIMIT. */
export async function shareHash(snapshot) {
  const json = new TextEncoder().encode(JSON.stringify(snapshot));
  const hash = `#s=${base64url(await through(json, new CompressionStream("deflate-raw")))}`;
  return hash.length > SHARE_LIMIT ? null : hash;
}

/** The snapshot in a `#s=` hash, checked by `format` (throws a readable error for a damaged link). */
export async function readShareHash(hash, format) {
  const encoded = new URLSearchParams(hash.replace(/^#/, "")).get("s");
  try {
    const json = await through(fromBase64url(encoded), new DecompressionStream("deflate-raw"));
    return format.parseSnapshot(new TextDecoder().decode(json));
  } catch (error) {
    throw new Error(`this share link is damaged (${error.message})`);
  }
}
