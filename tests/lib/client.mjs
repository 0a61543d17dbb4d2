// A small HTTP client for Cairn's API, one cookie jar per "user".
//
//   const c = new Client(srv.url);
//   await c.login(email, password);            // GET /api/session, then POST /api/login
//   const r = await c.get('/api/me/training');  // r.status, r.headers, r.text, r.body (JSON)
//   await c.post('/api/packages/1/launch', {});  // X-CSRF-Token added from the session
//
// Built on node:http rather than fetch so that tests control every header
// (Host, Origin, Cookie, Content-Length) and can stream bodies.
import http from 'node:http';
import net from 'node:net';

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * One HTTP request. opts: method, headers, body (string|Buffer), timeoutMs.
 * Resolves to {status, headers, text, body, raw}.
 */
export function request(baseUrl, path, { method = 'GET', headers = {}, body, timeoutMs = 30000,
  localAddress } = {}) {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname, port: u.port, method, path, headers, localAddress,
      agent: false, setHost: !Object.keys(headers).some((h) => h.toLowerCase() === 'host'),
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const text = raw.toString('utf8');
        resolve({ status: res.statusCode, headers: res.headers, text, raw, body: parseJson(text) });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    if (body !== undefined)
      req.end(body);
    else
      req.end();
  });
}

/**
 * Sends a body of totalBytes made of a repeated chunk, without building it
 * in memory, over a plain socket, and resolves with the first answer. A
 * server that refuses early may answer and close before the body is all
 * sent: write errors after that are expected and ignored.
 * opts.declareLength: send Content-Length (default true); false uses chunked.
 * opts.contentLength: a Content-Length to declare instead of totalBytes.
 * opts.expectContinue: send "Expect: 100-continue" and the body only after
 *   the server's "100 Continue" (as curl does), so a refusal based on the
 *   headers arrives before any of the body is sent.
 * The result has .sent, the body bytes written before the answer.
 */
export function streamBody(baseUrl, path, { method = 'POST', headers = {}, totalBytes,
  chunk = Buffer.alloc(64 * 1024, 0x61), declareLength = true, contentLength,
  expectContinue = false, timeoutMs = 60000 } = {}) {
  const u = new URL(baseUrl);
  const h = { Host: u.host, Connection: 'close', ...headers };
  if (expectContinue)
    h.Expect = '100-continue';
  if (declareLength)
    h['Content-Length'] = String(contentLength ?? totalBytes);
  else
    h['Transfer-Encoding'] = 'chunked';
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(h))
    head += `${k}: ${v}\r\n`;
  head += '\r\n';
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: u.hostname, port: Number(u.port) });
    let chunks = [];
    let sent = 0, done = false, started = false;
    const finish = (err) => {
      if (done)
        return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const res = parseResponse(Buffer.concat(chunks));
      if (!res && err)
        reject(Object.assign(err, { sent }));
      else if (!res)
        reject(Object.assign(new Error(`${method} ${path}: no answer (sent ${sent} bytes)`), { sent }));
      else
        resolve({ ...res, sent });
    };
    const timer = setTimeout(() => finish(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)), timeoutMs);
    sock.on('data', (d) => {
      chunks.push(d);
      let buf = Buffer.concat(chunks);
      const interim = /^HTTP\/1\.[01] 100[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n/.exec(buf.toString('latin1'));
      if (interim) {
        buf = buf.subarray(interim[0].length);
        chunks = [buf];
        if (!started) {
          started = true;
          write();
        }
      }
      if (parseResponse(buf, true))
        finish();
    });
    sock.on('end', () => finish());
    sock.on('close', () => finish());
    sock.on('error', (e) => {
      // EPIPE / ECONNRESET while writing: the server stopped reading; the
      // answer it sent before may still be in our buffer.
      if (chunks.length)
        finish();
      else
        setTimeout(() => finish(e), 50);
    });
    const write = () => {
      while (!done && sent < totalBytes) {
        const n = Math.min(chunk.length, totalBytes - sent);
        const piece = n === chunk.length ? chunk : chunk.subarray(0, n);
        sent += n;
        const ok = declareLength ? sock.write(piece)
          : sock.write(`${n.toString(16)}\r\n`) && sock.write(piece) && sock.write('\r\n');
        if (!ok) {
          sock.once('drain', write);
          return;
        }
      }
      if (!done && !declareLength)
        sock.write('0\r\n\r\n');
    };
    sock.on('connect', () => {
      sock.write(head);
      if (!expectContinue) {
        started = true;
        write();
      }
    });
  });
}

/** Parses one HTTP/1.x response from bytes; null when incomplete (complete
 * required) or absent. */
function parseResponse(buf, complete = false) {
  const all = buf.toString('latin1');
  const m = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(all);
  if (!m)
    return null;
  const end = all.indexOf('\r\n\r\n');
  if (end < 0)
    return complete ? null : { status: Number(m[1]), headers: {}, text: '', body: undefined };
  const headers = {};
  for (const line of all.slice(m[0].length, end).split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) {
      const k = line.slice(0, i).trim().toLowerCase(), v = line.slice(i + 1).trim();
      if (k === 'set-cookie')
        (headers[k] ||= []).push(v);
      else
        headers[k] = v;
    }
  }
  let bodyBytes = buf.subarray(Buffer.byteLength(all.slice(0, end + 4), 'latin1'));
  if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    if (complete && bodyBytes.length < n)
      return null;
    bodyBytes = bodyBytes.subarray(0, n);
  } else if (complete) {
    return null;     // read to close
  }
  const text = bodyBytes.toString('utf8');
  return { status: Number(m[1]), headers, text, body: parseJson(text) };
}

/**
 * Writes bytes to the server's socket as they are and reads until the
 * server closes, the first response is complete, or timeoutMs. Resolves to
 * {status, headers, text, body}; status 0 when nothing came back.
 */
export function rawRequest(baseUrl, bytes, { timeoutMs = 10000 } = {}) {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: u.hostname, port: Number(u.port) });
    const chunks = [];
    let done = false;
    const finish = () => {
      if (done)
        return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const buf = Buffer.concat(chunks);
      resolve(parseResponse(buf) || { status: 0, headers: {}, text: buf.toString('latin1'), body: undefined });
    };
    const timer = setTimeout(finish, timeoutMs);
    sock.on('data', (d) => {
      chunks.push(d);
      if (parseResponse(Buffer.concat(chunks), true))
        finish();
    });
    sock.on('end', finish);
    sock.on('close', finish);
    sock.on('error', (e) => {
      if (chunks.length || done)
        finish();
      else {
        done = true;
        clearTimeout(timer);
        reject(e);
      }
    });
    sock.write(bytes);
  });
}

export class Client {
  /** baseUrl: the server's 'http://127.0.0.1:PORT'. opts.localAddress:
   * connect from another loopback address (e.g. 127.0.0.7) to look like
   * another client to per-address limits. */
  constructor(baseUrl, { localAddress } = {}) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.localAddress = localAddress;
    this.host = new URL(this.baseUrl).host;
    this.cookies = new Map();
    this.csrf = null;
    this.user = null;
  }

  cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** Takes Set-Cookie headers into the jar (Max-Age=0 removes). */
  absorbCookies(headers) {
    for (const sc of headers['set-cookie'] || []) {
      const [pair, ...attrs] = sc.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim(), value = pair.slice(i + 1).trim();
      const maxAge = attrs.map((a) => a.trim()).find((a) => /^max-age=/i.test(a));
      if (value === '' || (maxAge && Number(maxAge.split('=')[1]) <= 0))
        this.cookies.delete(name);
      else
        this.cookies.set(name, value);
    }
  }

  /**
   * opts: headers, json (an object or a string sent as is), body (raw),
   * contentType, csrf (undefined: automatic for POST/PUT/DELETE; false:
   * none; a string: that token), cookies (false: send none).
   */
  async request(method, path, opts = {}) {
    const headers = {};
    let body = opts.body;
    if (opts.json !== undefined) {
      body = typeof opts.json === 'string' ? opts.json : JSON.stringify(opts.json);
      headers['Content-Type'] = 'application/json';
    }
    if (opts.contentType !== undefined) {
      if (opts.contentType === null)
        delete headers['Content-Type'];
      else
        headers['Content-Type'] = opts.contentType;
    }
    if (['POST', 'PUT', 'DELETE'].includes(method)) {
      let token = opts.csrf;
      if (token === undefined) {
        if (!this.csrf)
          await this.session();
        token = this.csrf;
      }
      if (token)
        headers['X-CSRF-Token'] = token;
    }
    if (opts.cookies !== false && this.cookies.size)
      headers.Cookie = this.cookieHeader();
    Object.assign(headers, opts.headers || {});
    const res = await request(this.baseUrl, path, { method, headers, body, timeoutMs: opts.timeoutMs,
      localAddress: this.localAddress });
    this.absorbCookies(res.headers);
    return res;
  }

  get(path, opts) {
    return this.request('GET', path, opts);
  }

  post(path, json, opts = {}) {
    return this.request('POST', path, json === undefined ? opts : { ...opts, json });
  }

  /** GET /api/session: stores and returns the CSRF token. */
  async session() {
    const r = await this.request('GET', '/api/session');
    if (r.status !== 200)
      throw new Error(`GET /api/session answered ${r.status}: ${r.text}`);
    this.csrf = r.body.csrf_token;
    this.user = r.body.user;
    return r;
  }

  /** Signs in; on success keeps the session's CSRF token. Returns the answer. */
  async login(email, password) {
    if (!this.csrf)
      await this.session();
    const r = await this.post('/api/login', { email, password });
    if (r.status === 200) {
      this.csrf = r.body.csrf_token;
      this.user = r.body.user;
    }
    return r;
  }

  /** Like login, but throws unless it worked. */
  async mustLogin(email, password) {
    const r = await this.login(email, password);
    if (r.status !== 200)
      throw new Error(`login ${email} answered ${r.status}: ${r.text}`);
    return this;
  }

  /** POST /api/register with fields; on 201 keeps the session. */
  async register(fields) {
    if (!this.csrf)
      await this.session();
    const r = await this.post('/api/register', fields);
    if (r.status === 201) {
      this.csrf = r.body.csrf_token;
      this.user = r.body.user;
    }
    return r;
  }

  async logout() {
    const r = await this.post('/api/logout');
    if (r.status === 204) {
      this.csrf = null;
      this.user = null;
    }
    return r;
  }
}

let counter = 0;

/** A unique email address for this test run. */
export function uniqueEmail(prefix = 'learner') {
  counter++;
  return `${prefix}.${process.pid}.${Date.now().toString(36)}.${counter}@test.example`;
}

/** GET /api/boroughs as {bySlugish name: {id, name, organisations}}. */
export async function boroughs(baseUrl) {
  const r = await request(baseUrl, '/api/boroughs');
  if (r.status !== 200)
    throw new Error(`GET /api/boroughs answered ${r.status}: ${r.text}`);
  return r.body;
}

/**
 * Registers a new learner in the borough whose name contains boroughPart.
 * Returns {client, email, password, user, borough, organisation}.
 */
export async function newLearner(baseUrl, boroughPart = 'Leicestershire', extra = {}) {
  const list = await boroughs(baseUrl);
  const b = list.find((x) => x.name.includes(boroughPart));
  if (!b)
    throw new Error(`no borough like ${boroughPart}: ${JSON.stringify(list)}`);
  const client = new Client(baseUrl);
  const email = extra.email || uniqueEmail();
  const password = extra.password || 'correct horse battery';
  const fields = {
    name: extra.name || `Test Learner ${counter}`, email, password,
    borough_id: b.id, organisation_id: b.organisations[0].id, job_role: 'Volunteer',
  };
  const r = await client.register(fields);
  if (r.status !== 201)
    throw new Error(`register ${email} answered ${r.status}: ${r.text}`);
  return { client, email, password, user: r.body.user, borough: b, organisation: b.organisations[0] };
}
