// The preview runs in a sandboxed iframe where touching localStorage throws a
// SecurityError, so every access is guarded and falls back to memory.
const memory = new Map<string, string>();

function store(): Storage | null {
  try {
    const s = window.localStorage;
    const probe = "__todo_probe__";
    s.setItem(probe, probe);
    s.removeItem(probe);
    return s;
  } catch {
    return null;
  }
}

const backend = store();

export const persistent = backend !== null;

export function load<T>(key: string, fallback: T): T {
  try {
    const raw = backend ? backend.getItem(key) : memory.get(key) ?? null;
    return raw === null ? fallback : (JSON.parse(raw) as T);
  } catch {
    return fallback;
  }
}

export function save<T>(key: string, value: T): void {
  const raw = JSON.stringify(value);
  try {
    if (backend) backend.setItem(key, raw);
    else memory.set(key, raw);
  } catch {
    memory.set(key, raw);
  }
}
