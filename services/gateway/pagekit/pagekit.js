// What the staff console and the merchant portal share, served under each one's own path
// (/console/pagekit.js, /m/pagekit.js): calling the gateway's JSON routes with the session's
// CSRF token, errors that name their field, and building elements.

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
    this.field = body?.field || fieldOf(this.message);
  }
}

// The services' messages start with the field they are about: "totp_code: is required".
export function fieldOf(message) {
  const m = /^([a-z_][a-z0-9_.[\]]*): /.exec(message || '');
  return m ? m[1] : '';
}

// api(method, path, body): JSON in and out; every change carries `csrf()` (the session's token,
// or null when signed out); a 401 calls `expired(path)`; a failed fetch is an ApiError with
// status 0 and `networkMessage`.
export function apiClient({ csrf, expired, networkMessage }) {
  return async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const token = method !== 'GET' ? csrf() : null;
    if (token) headers['X-CSRF-Token'] = token;
    let resp;
    try {
      resp = await fetch(path, { method, headers, credentials: 'same-origin',
        body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, { message: networkMessage });
    }
    if (resp.status === 204) return null;
    const data = await resp.json().catch(() => null);
    if (!resp.ok) {
      if (resp.status === 401) expired(path);
      throw new ApiError(resp.status, data?.error || data);
    }
    return data;
  };
}

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}
