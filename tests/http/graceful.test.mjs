// Stopping gracefully (SIGTERM): new connections are refused at once, every
// request in flight is answered, every acknowledged learner commit is on
// disk, and the process exits 0. docs/DEPLOY.md, core/server.c (drain).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { PACKAGES_DIR } from '../lib/server.mjs';
import { Client, newLearner } from '../lib/client.mjs';
import { GOLF12, cmi12, commit, launch, packageId } from '../lib/scorm.mjs';
import { makeZip, manifest12 } from '../lib/zip.mjs';
import { serve } from '../lib/serve.mjs';

let tmp;
before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-graceful-')); });
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const args = (data) => ['serve', '--data', data, '--port', '0', '--modules', 'none', '--demo',
  '--demo-packages', PACKAGES_DIR];

function connectRefused(url) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const sock = net.connect({ host: u.hostname, port: Number(u.port) });
    sock.on('connect', () => { sock.destroy(); resolve(false); });
    sock.on('error', (e) => resolve(e.code === 'ECONNREFUSED'));
  });
}

/** Sends head and the first part of body on a raw socket; returns
 * {finish(): sends the rest and resolves to the status line}. */
function partialRequest(url, head, body, firstBytes) {
  const u = new URL(url);
  const sock = net.connect({ host: u.hostname, port: Number(u.port) });
  let answer = '';
  const done = new Promise((resolve, reject) => {
    sock.on('data', (d) => { answer += d.toString('latin1'); });
    sock.on('end', () => resolve(answer));
    sock.on('close', () => resolve(answer));
    sock.on('error', reject);
  });
  sock.write(head);
  sock.write(body.subarray(0, firstBytes));
  return {
    finish() {
      sock.write(body.subarray(firstBytes));
      return done;
    },
  };
}

describe('SIGTERM', () => {
  test('an upload half sent when SIGTERM arrives is finished and answered; new connections are refused', async () => {
    const data = path.join(tmp, 'upload');
    let s = await serve(args(data));
    const admin = await new Client(s.url).mustLogin('admin@cairn.example',
      s.accounts['admin@cairn.example'].password);
    const zip = makeZip([
      { name: 'imsmanifest.xml', data: manifest12({ identifier: 'graceful.upload', title: 'Sent while stopping' }) },
      { name: 'index.html', data: '<html><body>' + 'x'.repeat(200000) + '</body></html>' },
    ]);
    const head = `POST /api/packages?filename=late.zip HTTP/1.1\r\nHost: ${new URL(s.url).host}\r\n` +
      `Content-Type: application/zip\r\nContent-Length: ${zip.length}\r\n` +
      `Cookie: ${admin.cookieHeader()}\r\nX-CSRF-Token: ${admin.csrf}\r\n\r\n`;
    const req = partialRequest(s.url, head, zip, zip.length >> 1);
    await new Promise((r) => setTimeout(r, 300));
    s.kill('SIGTERM');
    await s.waitForStderr(/stopping; 1 request in flight/);
    assert.ok(await connectRefused(s.url), 'a new connection is refused while stopping');
    assert.ok(s.alive(), 'still waiting for the upload');
    const answer = await req.finish();
    assert.match(answer, /^HTTP\/1\.1 201 /, answer.slice(0, 300));
    assert.match(answer, /\r\nConnection: close\r\n/i);
    const { code, signal } = await s.exited;
    assert.equal(code, 0, s.stderr);
    assert.equal(signal, null);
    assert.match(s.stderr, /every request answered/);

    // Started again: the package is there.
    s = await serve(args(data));
    try {
      const again = await new Client(s.url).mustLogin('admin@cairn.example',
        s.accounts['admin@cairn.example']?.password ?? fs.readFileSync(path.join(data,
          'demo-credentials.txt'), 'utf8').match(/admin@cairn\.example\s+password\s+(\S+)/)[1]);
      const list = await again.get('/api/packages');
      assert.ok(JSON.stringify(list.body).includes('Sent while stopping'), list.text);
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  });

  test('under commit load: every acknowledged commit is stored, and the exit status is 0', async () => {
    const data = path.join(tmp, 'commits');
    let s = await serve(args(data));
    const learners = [];
    const first = await newLearner(s.url);
    const pid = await packageId(first.client, GOLF12);
    for (let i = 0; i < 12; i++) {
      const l = i === 0 ? first : await newLearner(s.url);
      l.sco = (await launch(l.client, pid)).sco;
      l.acked = 0;
      learners.push(l);
    }
    // Each learner commits location 1, 2, 3... one after another until the
    // server stops answering.
    const load = learners.map(async (l) => {
      for (let n = 1; n < 100000; n++) {
        let r;
        try {
          r = await commit(l.client, l.sco, cmi12({ location: String(n), exit: 'suspend',
            suspend: `n=${n}` }));
        } catch {
          return;
        }
        if (r.status !== 200 || r.body?.result !== 'true')
          return;
        l.acked = n;
      }
    });
    await new Promise((r) => setTimeout(r, 700));
    const ackedBefore = learners.reduce((a, l) => a + l.acked, 0);
    s.kill('SIGTERM');
    await Promise.all(load);
    const { code } = await s.exited;
    assert.equal(code, 0, s.stderr);
    const acked = learners.reduce((a, l) => a + l.acked, 0);
    assert.ok(ackedBefore > 20, `commits were flowing (${ackedBefore} before SIGTERM)`);

    s = await serve(args(data));
    try {
      for (const l of learners) {
        l.client.baseUrl = s.url;
        l.client.host = new URL(s.url).host;
        const b = await launch(l.client, pid);
        const stored = Number(b.sco.cmi.cmi.core.lesson_location);
        // The last acknowledged commit is there; at most one more (sent,
        // applied, its answer lost to the closing connection) may be too.
        assert.ok(stored === l.acked || stored === l.acked + 1,
          `learner ${l.email}: acknowledged ${l.acked}, stored ${stored}`);
        assert.equal(b.sco.cmi.cmi.suspend_data, `n=${stored}`);
      }
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
    console.log(`# ${acked} commits acknowledged by 12 learners, all stored`);
  });
});
