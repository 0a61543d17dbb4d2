// Borough plugins as the HTTP API uses them (docs/API.md "Borough rules",
// docs/PLUGIN_API.md): the registration check, required training on My
// training, local contacts, the admin's view and reload, and a broken
// plugin that must not take the server down.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { SOURCE_DIR, startServer } from '../lib/server.mjs';
import { Client, boroughs, newLearner, uniqueEmail } from '../lib/client.mjs';
import { cmi12, commit, launch } from '../lib/scorm.mjs';
import { makeZip, manifest12 } from '../lib/zip.mjs';

let srv, list, eastmere, hollow, leics, admin;

before(async () => {
  srv = await startServer({ demo: true, packages: false });
  list = await boroughs(srv.url);
  eastmere = list.find((b) => b.name === 'Eastmere');
  hollow = list.find((b) => b.name === 'Hollowfield (London)');
  leics = list.find((b) => b.name === 'Leicestershire and Rutland');
  assert.ok(eastmere && hollow && leics, `demo boroughs: ${JSON.stringify(list)}`);
  const a = srv.account('admin');
  admin = await new Client(srv.url).mustLogin(a.email, a.password);
});

after(async () => {
  await srv?.stop();
});

function org(borough, name) {
  const o = borough.organisations.find((x) => x.name === name);
  assert.ok(o, `no organisation ${name} in ${JSON.stringify(borough)}`);
  return o;
}

async function register(borough, organisation, over = {}) {
  const c = new Client(srv.url);
  const r = await c.register({
    name: 'Pat Tester', email: uniqueEmail('plugin'), password: 'a long enough password',
    borough_id: borough.id, organisation_id: organisation.id, job_role: 'Volunteer', ...over,
  });
  return { c, r };
}

describe('registration check (eastmere: organisation codes)', () => {
  test('an organisation whose membership lapsed is refused with the plugin\'s reason', async () => {
    const { r } = await register(eastmere, org(eastmere, 'Harbour Youth Theatre'));
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.code, 'invalid');
    assert.equal(r.body.field, 'organisation_id');
    assert.match(r.body.error, /Harbour Youth Theatre's membership of the Eastmere Safeguarding Children Partnership ended on 31 March 2024/);
  });

  test('nothing was created: the same email can register with a member organisation', async () => {
    const email = uniqueEmail('retry');
    const first = await register(eastmere, org(eastmere, 'Harbour Youth Theatre'), { email });
    assert.equal(first.r.status, 422);
    const second = await register(eastmere, org(eastmere, 'Eastmere Sailing Club'), { email });
    assert.equal(second.r.status, 201, second.r.text);
  });

  test('other boroughs have no registration rule', async () => {
    const { r } = await register(hollow, hollow.organisations[0]);
    assert.equal(r.status, 201, r.text);
  });
});

describe('required training on My training', () => {
  test('an Eastmere learner must do basic awareness within four weeks', async () => {
    const { c, r } = await register(eastmere, org(eastmere, 'Eastmere Family Centre'));
    assert.equal(r.status, 201, r.text);
    const t = await c.get('/api/me/training');
    assert.equal(t.status, 200, t.text);
    assert.ok(Array.isArray(t.body.modules), 'modules is still there');
    assert.equal(t.body.required.length, 1, t.text);
    const item = t.body.required[0];
    assert.equal(item.id, 'basic-awareness');
    assert.equal(item.kind, 'elearning');
    assert.equal(item.package, 'cairn.basic-awareness');
    assert.equal(item.package_id, null, 'the module is not imported on this server');
    assert.equal(item.state, 'due');
    assert.equal(item.completed_at, null);
    const due = new Date(Date.now() + 28 * 86400000).toISOString().slice(0, 10);
    assert.equal(item.due, due);
  });

  test('a designated safeguarding lead in Eastmere also has the designated lead course', async () => {
    const { c } = await register(eastmere, org(eastmere, 'Northgate Childminding Network'),
      { job_role: 'Designated safeguarding lead' });
    const t = await c.get('/api/me/training');
    assert.deepEqual(t.body.required.map((i) => i.id), ['basic-awareness', 'designated-lead']);
    assert.equal(t.body.required[1].kind, 'course');
  });

  test('a Hollowfield sports instructor gets the Competence Matters pathway', async () => {
    const { c } = await register(hollow, hollow.organisations[1], { job_role: 'Sports instructor' });
    const t = await c.get('/api/me/training');
    const ids = t.body.required.map((i) => i.id);
    assert.equal(ids[0], 'basic-awareness');
    assert.equal(ids[1], 'shared-responsibility-a');
    assert.ok(ids.includes('safe-working-practices'), ids.join(', '));
    assert.equal(t.body.required.length, 8);
  });

  test('a Leicestershire health visitor is Group 3: role-related and multi-agency', async () => {
    const { c } = await register(leics, leics.organisations[0], { job_role: 'Health visitor' });
    const t = await c.get('/api/me/training');
    assert.deepEqual(t.body.required.map((i) => i.id), ['role-related-3', 'multi-agency-3']);
  });

  test('completing the module marks the item done, with the borough\'s expiry', async () => {
    // A small package with the basic awareness module's identifier.
    const zip = makeZip([
      { name: 'imsmanifest.xml', data: manifest12({ identifier: 'cairn.basic-awareness',
        title: 'Introduction to safeguarding: basic awareness' }) },
      { name: 'index.html', data: '<html><body>Basic awareness</body></html>' },
    ]);
    const up = await admin.post('/api/packages?filename=ba.zip', undefined,
      { body: zip, contentType: 'application/zip' });
    assert.equal(up.status, 201, up.text);
    const pid = up.body.package.id;

    const { c } = await register(eastmere, org(eastmere, 'Eastmere Sailing Club'));
    let t = await c.get('/api/me/training');
    assert.equal(t.body.required[0].package_id, pid, 'linked to the imported module');
    const b = await launch(c, pid);
    const r = await commit(c, b.sco, cmi12({ status: 'completed', session: '00:20:00' }), { final: true });
    assert.equal(r.status, 200, r.text);
    t = await c.get('/api/me/training');
    const item = t.body.required[0];
    assert.equal(item.state, 'done', JSON.stringify(item));
    assert.match(item.completed_at, /^\d{4}-\d{2}-\d{2}T/);
    const expires = new Date(item.completed_at);
    expires.setUTCFullYear(expires.getUTCFullYear() + 1);
    assert.equal(item.expires, expires.toISOString().slice(0, 10));
    assert.equal(item.rule, 'Renew every year');

    // The completion observer ran (on its own thread, after the commit).
    let calls = 0;
    for (let i = 0; i < 50 && calls < 1; i++) {
      const s = await admin.get('/api/admin/plugins');
      const p = s.body.plugins.find((x) => x.name === 'eastmere');
      calls = p.hooks.find((h) => h.name === 'on_completion').calls;
      if (calls < 1)
        await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(calls, 1, 'on_completion was called once');
  });
});

describe('local contacts', () => {
  test('a learner gets their borough\'s contacts and certificate wording', async () => {
    const { c } = await register(hollow, hollow.organisations[0]);
    const r = await c.get('/api/me/contacts');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.borough, { id: hollow.id, name: hollow.name, slug: 'hollowfield' });
    assert.ok(r.body.contacts.length >= 4);
    for (const contact of r.body.contacts) {
      assert.equal(typeof contact.role, 'string');
      assert.equal(typeof contact.name, 'string');
      const digits = (contact.phone || '').replace(/\s/g, '');
      assert.ok(digits === '999' || /^0207946\d{4}$/.test(digits), `not a drama-range number: ${contact.phone}`);
    }
    assert.match(r.body.certificate_wording, /Competence Matters/);
  });

  test('an officer gets their own borough\'s contacts', async () => {
    const o = srv.account('officer', 'eastmere');
    const c = await new Client(srv.url).mustLogin(o.email, o.password);
    const r = await c.get('/api/me/contacts');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.borough.slug, 'eastmere');
    assert.ok(r.body.contacts.every((x) => !x.phone || x.phone === '999' || x.phone.startsWith('01632 960')));
  });

  test('another borough\'s contacts: 403 for a learner, fine for an admin', async () => {
    const { c } = await register(hollow, hollow.organisations[0]);
    const r = await c.get(`/api/me/contacts?borough=${leics.id}`);
    assert.equal(r.status, 403, r.text);
    const a = await admin.get(`/api/me/contacts?borough=${leics.id}`);
    assert.equal(a.status, 200, a.text);
    assert.equal(a.body.borough.slug, 'leicestershire-rutland');
    assert.ok(a.body.contacts.some((x) => x.phone === '0116 496 0100'));
  });

  test('signed out: 401', async () => {
    const r = await new Client(srv.url).get('/api/me/contacts');
    assert.equal(r.status, 401);
  });
});

describe('the admin\'s view of plugins', () => {
  test('GET /api/admin/plugins is for admins only', async () => {
    assert.equal((await new Client(srv.url).get('/api/admin/plugins')).status, 401);
    const l = await newLearner(srv.url);
    assert.equal((await l.client.get('/api/admin/plugins')).status, 403);
    const o = srv.account('officer', 'leics');
    const oc = await new Client(srv.url).mustLogin(o.email, o.password);
    assert.equal((await oc.get('/api/admin/plugins')).status, 403);
    assert.equal((await oc.post('/api/admin/plugins/reload')).status, 403);
  });

  test('it lists the three plugins, their hooks and counters', async () => {
    const r = await admin.get('/api/admin/plugins');
    assert.equal(r.status, 200, r.text);
    const names = r.body.plugins.map((p) => p.name);
    assert.deepEqual(names, ['eastmere', 'hollowfield', 'leicestershire-rutland']);
    for (const p of r.body.plugins) {
      assert.equal(p.state, 'loaded', JSON.stringify(p.error));
      assert.equal(p.error, null);
      assert.ok(p.hooks.length > 0);
      for (const h of p.hooks) {
        assert.equal(typeof h.calls, 'number');
        assert.equal(typeof h.failures, 'number');
        assert.equal(typeof h.mean_us, 'number');
      }
    }
    const east = r.body.plugins.find((p) => p.name === 'eastmere');
    assert.equal(east.borough, 'eastmere');
    assert.ok(east.hooks.find((h) => h.name === 'registration_check').calls >= 1);
    assert.ok(east.files.includes('register.lua'));
    assert.equal(typeof r.body.limits.call_ms, 'number');
  });

  test('POST /api/admin/plugins/reload reads them again', async () => {
    const before = (await admin.get('/api/admin/plugins')).body.generation;
    const r = await admin.post('/api/admin/plugins/reload');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.generation, before + 1);
    assert.equal(r.body.failed, 0);
    // and the plugins still answer
    const { r: reg } = await register(eastmere, org(eastmere, 'Harbour Youth Theatre'));
    assert.equal(reg.status, 422);
  });
});

describe('a broken plugin does not take the server down', () => {
  let bad, dir, badAdmin;

  before(async () => {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'cairn-plugins-'));
    // Eastmere as shipped, and a Hollowfield plugin that loops, plus one
    // that does not even load.
    await fs.promises.cp(path.join(SOURCE_DIR, 'plugins', 'eastmere'), path.join(dir, 'eastmere'),
      { recursive: true });
    const write = async (name, borough, hooks, init) => {
      await fs.promises.mkdir(path.join(dir, name));
      await fs.promises.writeFile(path.join(dir, name, 'plugin.json'), JSON.stringify({
        name, borough, api_version: 1, hooks, description: 'broken on purpose' }));
      await fs.promises.writeFile(path.join(dir, name, 'init.lua'), init);
    };
    await write('looper', 'hollowfield', ['registration_check', 'required_training'],
      'return {\n  registration_check = function(r) while true do end end,\n' +
      '  required_training = function(l)\n' +
      '    local t, chunk = {}, ("x"):rep(100000)\n' +
      '    for i = 1, 1e12 do t[i] = chunk .. i end\n' +
      '  end }\n');
    await write('broken', 'leicestershire-rutland', ['required_training'], 'return {\n  oops(\n');
    bad = await startServer({ demo: true, packages: false, args: ['--plugins', dir] });
    const a = bad.account('admin');
    badAdmin = await new Client(bad.url).mustLogin(a.email, a.password);
  });

  after(async () => {
    await bad?.stop();
    await fs.promises.rm(dir, { recursive: true, force: true });
  });

  test('a plugin that fails to load is listed with its error and line; the others work', async () => {
    const r = await badAdmin.get('/api/admin/plugins');
    const broken = r.body.plugins.find((p) => p.name === 'broken');
    assert.equal(broken.state, 'failed');
    assert.equal(broken.error.file, 'init.lua');
    assert.equal(broken.error.line, 3);
    assert.match(broken.error.message, /init\.lua:3:/);
    assert.equal(r.body.plugins.find((p) => p.name === 'eastmere').state, 'loaded');
  });

  test('a permission hook that loops fails closed, quickly, with a neutral reason', async () => {
    const hb = (await boroughs(bad.url)).find((b) => b.name === 'Hollowfield (London)');
    const c = new Client(bad.url);
    const t0 = Date.now();
    const r = await c.register({ name: 'Loop Victim', email: uniqueEmail('loop'),
      password: 'a long enough password', borough_id: hb.id, organisation_id: hb.organisations[0].id,
      job_role: 'Volunteer' });
    assert.ok(Date.now() - t0 < 5000, 'answered within the budget');
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.field, undefined, 'a neutral refusal names no field');
    assert.match(r.body.error, /cannot be checked at the moment/);
  });

  test('an informational hook that eats memory gives nothing; My training still answers', async () => {
    const who = await bad.addUser({ email: uniqueEmail('hf'), name: 'Hollowfield Learner',
      borough: 'hollowfield', password: 'a long enough password' });
    const c = await new Client(bad.url).mustLogin(who.email, who.password);
    const t = await c.get('/api/me/training');
    assert.equal(t.status, 200, t.text);
    assert.deepEqual(t.body.required, []);
    // Leicestershire's plugin failed to load: no rules, no error.
    const l = bad.account('learner');
    const lc = await new Client(bad.url).mustLogin(l.email, l.password);
    const lt = await lc.get('/api/me/training');
    assert.equal(lt.status, 200, lt.text);
    assert.deepEqual(lt.body.required, []);
    const s = await badAdmin.get('/api/admin/plugins');
    const looper = s.body.plugins.find((p) => p.name === 'looper');
    const req = looper.hooks.find((h) => h.name === 'required_training');
    assert.equal(req.kills, 1);
    assert.equal(looper.last_failure.hook, 'required_training');
    assert.match(looper.last_failure.message, /memory limit/);
    const reg = looper.hooks.find((h) => h.name === 'registration_check');
    assert.equal(reg.kills, 1);
    assert.match(bad.stderr, /plugin=looper hook=registration_check file=init\.lua line=2 killed/);
    assert.ok(bad.alive());
  });

  test('SIGHUP reloads the plugins folder', async () => {
    const before = (await badAdmin.get('/api/admin/plugins')).body.generation;
    await fs.promises.writeFile(path.join(dir, 'broken', 'init.lua'),
      'return { required_training = function(l) return {} end }\n');
    process.kill(bad.pid, 'SIGHUP');
    let r;
    for (let i = 0; i < 50; i++) {
      r = await badAdmin.get('/api/admin/plugins');
      if (r.body.generation > before)
        break;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(r.body.generation, before + 1);
    assert.equal(r.body.plugins.find((p) => p.name === 'broken').state, 'loaded');
    assert.ok(bad.alive(), 'SIGHUP does not stop the server');
  });
});
