// Calls to the reef REST API. With API keys on, the page is opened as
// /?key=KEY (the key is then moved to sessionStorage and dropped from the
// address bar) or asks for one on the first 401; every call sends it as a
// Bearer token. Thumbnails are fetched the same way when a key is set.

export class ApiError extends Error {
  status: number;
  field?: string;
  constructor(status: number, message: string, field?: string) {
    super(message);
    this.status = status;
    this.field = field;
  }
}

const KEY = 'reef.key';
let key = '';
{
  const url = new URL(location.href);
  const k = url.searchParams.get('key');
  if (k) {
    sessionStorage.setItem(KEY, k);
    url.searchParams.delete('key');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  key = sessionStorage.getItem(KEY) ?? '';
}

let prompt: (() => Promise<string>) | null = null;
export function setKeyPrompt(p: () => Promise<string>) {
  prompt = p;
}

async function call(path: string, body?: unknown, retried = false): Promise<Response> {
  const headers: Record<string, string> = {};
  if (key) headers.Authorization = `Bearer ${key}`;
  const init: RequestInit = { headers };
  if (body !== undefined) {
    init.method = 'POST';
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (res.status === 401 && !retried && prompt) {
    key = await prompt();
    sessionStorage.setItem(KEY, key);
    return call(path, body, true);
  }
  if (!res.ok) {
    let msg = `${res.status} ${res.statusText}`;
    let field: string | undefined;
    try {
      const e = (await res.json()).error;
      msg = e.field ? `${e.field}: ${e.message}` : e.message;
      field = e.field;
    } catch {
      /* not JSON */
    }
    throw new ApiError(res.status, msg, field);
  }
  return res;
}

export const api = {
  async json<T>(path: string, body?: unknown): Promise<T> {
    return (await call(path, body)).json();
  },
  async bin(path: string): Promise<ArrayBuffer> {
    return (await call(path)).arrayBuffer();
  },
};

const blobs = new Map<string, string>();
export async function imgSrc(path: string): Promise<string> {
  if (!key) return path;
  let u = blobs.get(path);
  if (!u) {
    u = URL.createObjectURL(await (await call(path)).blob());
    blobs.set(path, u);
  }
  return u;
}
