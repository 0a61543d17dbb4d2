// Serving package content and Cairn's own pages (docs/API.md "Content").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { pkg, startServer, zipRead } from '../lib/server.mjs';
import { newLearner, rawRequest, request } from '../lib/client.mjs';
import { GOLF12, packageId } from '../lib/scorm.mjs';

let srv, learner, id, base;

before(async () => {
  srv = await startServer({ demo: true, packages: true });
  learner = await newLearner(srv.url);
  id = await packageId(learner.client, GOLF12);
  base = `/content/${id}/1`;
});

after(async () => {
  await srv?.stop();
});

const golf = (name) => zipRead(pkg(GOLF12.zip), name);

describe('MIME types and headers', () => {
  const types = [
    ['shared/launchpage.html', /^text\/html(; ?charset=utf-8)?$/i],
    ['shared/scormfunctions.js', /^(text|application)\/javascript(; ?charset=utf-8)?$/i],
    ['shared/style.css', /^text\/css(; ?charset=utf-8)?$/i],
    ['shared/background.jpg', /^image\/jpeg$/],
    ['shared/cclicense.png', /^image\/png$/],
    ['imsmanifest.xml', /^(application|text)\/xml/],
    ['adlcp_rootv1p2.xsd', /^(application|text)\/xml/],
  ];
  for (const [file, type] of types) {
    test(`${file}: 200, ${type}, the file's bytes`, async () => {
      const r = await learner.client.get(`${base}/${file}`);
      assert.equal(r.status, 200, r.text);
      assert.match(r.headers['content-type'], type);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.ok(r.raw.equals(golf(file)), 'the bytes of the file in the zip');
      assert.equal(Number(r.headers['content-length']), r.raw.length);
      assert.match(r.headers.etag, /^(W\/)?"[^"]+"$/);
      assert.equal(r.headers['accept-ranges'], 'bytes');
    });
  }

  test('HEAD answers the headers without a body', async () => {
    const r = await learner.client.request('HEAD', `${base}/shared/launchpage.html`);
    assert.equal(r.status, 200);
    assert.equal(r.raw.length, 0);
    assert.equal(Number(r.headers['content-length']), golf('shared/launchpage.html').length);
  });

  test('package content has no CSP (third-party content needs inline script); Cairn pages do', async () => {
    const c = await learner.client.get(`${base}/shared/launchpage.html`);
    assert.equal(c.headers['content-security-policy'], undefined);
    for (const page of ['/', '/login.html', '/register.html', '/training.html', '/play.html', '/officer.html',
      '/upload.html']) {
      const r = await request(srv.url, page);
      assert.equal(r.status, 200, page);
      assert.match(r.headers['content-type'], /^text\/html/, page);
      assert.match(r.headers['content-security-policy'] || '', /default-src 'self'/, page);
      assert.match(r.headers['content-security-policy'], /frame-ancestors 'self'/, page);
      assert.equal(r.headers['x-frame-options'], 'SAMEORIGIN', page);
    }
  });

  test('Cairn\'s stylesheet, scripts and the scorm-again bundle are served', async () => {
    let r = await request(srv.url, '/css/cairn.css');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^text\/css/);
    r = await request(srv.url, '/js/play.js');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /javascript/);
    r = await request(srv.url, '/assets/scorm-again/scorm-again.js');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /javascript/);
  });
});

describe('caching', () => {
  const file = 'shared/launchpage.html';

  test('If-None-Match with the ETag: 304 without a body', async () => {
    const first = await learner.client.get(`${base}/${file}`);
    const etag = first.headers.etag;
    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const r = await learner.client.get(`${base}/${file}`, { headers: { 'If-None-Match': inm } });
      assert.equal(r.status, 304, `If-None-Match: ${inm}`);
      assert.equal(r.raw.length, 0);
      assert.equal(r.headers.etag, etag);
    }
  });

  test('If-None-Match with another tag: 200', async () => {
    const r = await learner.client.get(`${base}/${file}`, { headers: { 'If-None-Match': '"nope"' } });
    assert.equal(r.status, 200);
    assert.ok(r.raw.equals(golf(file)));
  });

  test('the same file in two versions or packages has its own ETag or the same bytes', async () => {
    const a = await learner.client.get(`${base}/shared/style.css`);
    const b = await learner.client.get(`${base}/shared/launchpage.html`);
    assert.notEqual(a.headers.etag, b.headers.etag);
  });
});

describe('ranges', () => {
  const file = 'shared/background.jpg';
  let bytes;
  before(() => {
    bytes = golf(file);
  });

  const table = [
    ['bytes=0-99', 0, 99],
    ['bytes=100-199', 100, 199],
    ['bytes=-10', 'end-10', 'end'],
    ['bytes=4000-', 4000, 'end'],
    ['bytes=0-', 0, 'end'],
    ['bytes=10-999999', 10, 'end'],
  ];
  for (const [range, from, to] of table) {
    test(`Range: ${range} → 206 with Content-Range`, async () => {
      const size = bytes.length;
      const f = from === 'end-10' ? size - 10 : from;
      const t = to === 'end' ? size - 1 : to;
      const r = await learner.client.get(`${base}/${file}`, { headers: { Range: range } });
      assert.equal(r.status, 206, r.text);
      assert.equal(r.headers['content-range'], `bytes ${f}-${t}/${size}`);
      assert.equal(Number(r.headers['content-length']), t - f + 1);
      assert.ok(r.raw.equals(bytes.subarray(f, t + 1)));
    });
  }

  test('a range starting past the end: 416 with Content-Range bytes */size', async () => {
    for (const range of [`bytes=${bytes.length}-`, `bytes=${bytes.length + 100}-${bytes.length + 200}`, 'bytes=-0']) {
      const r = await learner.client.get(`${base}/${file}`, { headers: { Range: range } });
      assert.equal(r.status, 416, `${range}: ${r.status}`);
      assert.equal(r.headers['content-range'], `bytes */${bytes.length}`);
    }
  });

  test('malformed or multiple ranges are ignored: 200 with the whole file', async () => {
    for (const range of ['bytes=5-2', 'items=0-10', 'bytes=abc', 'bytes=0-1,5-6', 'bytes=']) {
      const r = await learner.client.get(`${base}/${file}`, { headers: { Range: range } });
      assert.equal(r.status, 200, `${range}: ${r.status}`);
      assert.equal(r.raw.length, bytes.length);
    }
  });

  test('If-Range with a different ETag gives the whole file', async () => {
    const r = await learner.client.get(`${base}/${file}`, { headers: { Range: 'bytes=0-9', 'If-Range': '"stale"' } });
    assert.equal(r.status, 200);
    assert.equal(r.raw.length, bytes.length);
    const etag = (await learner.client.get(`${base}/${file}`)).headers.etag;
    const ok = await learner.client.get(`${base}/${file}`, { headers: { Range: 'bytes=0-9', 'If-Range': etag } });
    assert.equal(ok.status, 206);
  });
});

describe('paths that must not lead anywhere', () => {
  const passwdLike = /root:.*:0:0:/;

  function raw(p) {
    return rawRequest(srv.url, `GET ${p} HTTP/1.1\r\nHost: ${srv.host}\r\nCookie: ${learner.client.cookieHeader()}\r\n`
      + 'Connection: close\r\n\r\n');
  }

  const attempts = () => [
    `${base}/../../../../etc/passwd`,
    `${base}/../../../../../../../../etc/passwd`,
    `${base}/shared/../../../../../etc/passwd`,
    `${base}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd`,
    `${base}/%2E%2E/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd`,
    `${base}/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd`,
    `${base}/..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd`,
    `${base}/%2fetc%2fpasswd`,
    `${base}//etc/passwd`,
    `${base}/..\\..\\..\\..\\etc\\passwd`,
    `${base}/..%5c..%5c..%5c..%5cetc%5cpasswd`,
    `${base}/%252e%252e/%252e%252e/etc/passwd`,
    `${base}/.%2e/.%2e/.%2e/.%2e/etc/passwd`,
    `${base}/./imsmanifest.xml/../../../../etc/passwd`,
    `/content/${id}/../../../etc/passwd`,
    `/content/${id}/1/../../${id}/1/../../../../../etc/passwd`,
    '/../../../../etc/passwd',
    '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/..%2f..%2f..%2f..%2fetc%2fpasswd',
    '/assets/scorm-again/../../../../../../etc/passwd',
    '/assets/scorm-again/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/assets/govuk/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
    '/css/../../../../etc/passwd',
    '/js/..%2f..%2f..%2f..%2fetc%2fpasswd',
  ];

  test('traversal attempts all answer 404 and never a file outside', async () => {
    for (const p of attempts()) {
      const r = await raw(p);
      assert.ok([400, 404].includes(r.status), `${p} → ${r.status}: ${r.text.slice(0, 200)}`);
      assert.doesNotMatch(r.text, passwdLike, p);
      if (r.status === 404)
        assert.equal(r.body?.code, 'not_found', p);
    }
  });

  test('a NUL byte (%00) in the path is refused, not cut off', async () => {
    // MHD decodes %00; a name holding NUL can name no file, so the answer
    // must be 404 (or 400), not the file named by the part before the NUL.
    for (const p of [`${base}/shared/launchpage.html%00.jpg`, `${base}/imsmanifest.xml%00/../x`]) {
      const r = await raw(p);
      assert.ok([400, 404].includes(r.status), `${p} → ${r.status}: ${r.text.slice(0, 80)}`);
    }
  });

  test('nothing outside the package: not the database, not the credentials', async () => {
    const sneaky = [
      `${base}/../../../cairn.db`, `${base}/%2e%2e/%2e%2e/%2e%2e/cairn.db`,
      `${base}/..%2f..%2f..%2fdemo-credentials.txt`, `/content/${id}/1/..%2f2/imsmanifest.xml`,
      '/../data/cairn.db', '/cairn.db',
    ];
    for (const p of sneaky) {
      const r = await raw(p);
      assert.ok([400, 404].includes(r.status), `${p} → ${r.status}`);
      assert.doesNotMatch(r.text, /SQLite format|password/, p);
    }
  });

  test('a symlink inside a package folder is not followed', async () => {
    const dir = path.join(srv.dataDir, 'packages', String(id), '1');
    fs.symlinkSync('/etc/passwd', path.join(dir, 'planted-link.txt'));
    fs.symlinkSync('/etc', path.join(dir, 'planted-dir'));
    try {
      for (const p of [`${base}/planted-link.txt`, `${base}/planted-dir/passwd`]) {
        const r = await learner.client.get(p);
        assert.equal(r.status, 404, `${p}: ${r.status}`);
        assert.doesNotMatch(r.text, passwdLike);
      }
    } finally {
      fs.unlinkSync(path.join(dir, 'planted-link.txt'));
      fs.unlinkSync(path.join(dir, 'planted-dir'));
    }
  });

  const missing = () => [
    [`${base}/no-such-file.html`, 404],
    [`${base}/shared`, 404],
    [`${base}/shared/`, 404],
    [`${base}/`, 404],
    [`/content/${id}/99/shared/launchpage.html`, 404],
    ['/content/9999/1/shared/launchpage.html', 404],
    [`/content/${id}/0/shared/launchpage.html`, 404],
    [`/content/0/1/shared/launchpage.html`, 404],
    [`/content/${id}/1`, 404],
    ['/no-such-page.html', 404],
    ['/js/', 404],
  ];
  test('missing files and folders: 404 JSON', async () => {
    for (const [p, status] of missing()) {
      const r = await learner.client.get(p);
      assert.equal(r.status, status, `${p}: ${r.status} ${r.text.slice(0, 100)}`);
      assert.equal(r.body?.code, 'not_found', p);
    }
  });

  test('the server still answers afterwards', async () => {
    const r = await request(srv.url, '/healthz');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'ok\n');
  });
});
