// The client of `mkdocs-hybrid serve`'s local API: the token the server put in the editor's address, and
// saving a version through it (the server checks the snapshot with the site build's own validator).

const TOKEN_KEY = "mkdocs-hybrid-token";

/** Take `#token=` out of the address bar into sessionStorage; the API settings, or null for a static site. */
export function serveApi(location, history) {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const token = params.get("token");
  if (token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    params.delete("token");
    const rest = params.toString();
    history.replaceState(history.state, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
  }
  const kept = sessionStorage.getItem(TOKEN_KEY);
  return kept ? { base: new URL("../api/", location.href).href, token: kept } : null;
}

/** POST the snapshot to the serve API; resolves with its answer (`share_url`, ...) or throws its one line. */
export async function postVersion(api, snapshot) {
  let response;
  try {
    response = await fetch(new URL("versions", api.base), {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Hybrid-Token": api.token },
      body: JSON.stringify(snapshot),
    });
  } catch (error) {
    throw new Error(`the local server did not answer (${error.message})`);
  }
  const answer = await response.json().catch(() => ({}));
  if (response.status !== 201) {
    throw new Error(answer.error || `the local server refused the version (HTTP ${response.status})`);
  }
  return answer;
}
