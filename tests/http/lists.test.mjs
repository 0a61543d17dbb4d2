// Officers' lists of learners and record entries: filters, sorting, pages,
// CSV exports (exact content, formula guard, streaming with flat memory) and
// borough scoping (docs/API.md "Lists and exports").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';

import { startServer } from '../lib/server.mjs';
import { Client, boroughs, uniqueEmail } from '../lib/client.mjs';

let srv, srv2, leics, hollow, officer, officerHollow, admin;
const people = {};       // key -> {client, user, email, ...}
const TODAY = new Date().toISOString().slice(0, 10);
const YESTERDAY = new Date(Date.now() - 86400000).toISOString().slice(0, 10);

async function register(key, borough, org, name, jobRole) {
  const client = new Client(srv.url);
  const email = uniqueEmail(key);
  const r = await client.register({ name, email, password: 'correct horse battery',
    borough_id: borough.id, organisation_id: org.id, job_role: jobRole });
  assert.equal(r.status, 201, r.text);
  people[key] = { client, email, name, jobRole, org, borough, user: r.body.user };
}

async function evidence(by, key, fields) {
  const r = await by.post(`/api/officer/learners/${people[key].user.id}/evidence`,
    { kind: 'external', hours: 3, ...fields });
  assert.equal(r.status, 201, r.text);
}

async function list(client, query) {
  const r = await client.get(`/api/officer/learners?${query}`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

async function records(client, query) {
  const r = await client.get(`/api/officer/records?${query}`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

const names = (body) => body.learners.map((l) => l.name);
const MINE = 'q=test.example';

before(async () => {
  srv = await startServer({ packages: false });
  const list = await boroughs(srv.url);
  leics = list.find((b) => b.name.startsWith('Leicestershire'));
  hollow = list.find((b) => b.name.startsWith('Hollowfield'));
  const org = (b, part) => b.organisations.find((o) => o.name.includes(part));
  const o = srv.account('officer', 'leics');
  officer = await new Client(srv.url).mustLogin(o.email, o.password);
  const oh = srv.account('officer', 'hollowfield');
  officerHollow = await new Client(srv.url).mustLogin(oh.email, oh.password);
  const a = srv.account('admin');
  admin = await new Client(srv.url).mustLogin(a.email, a.password);

  await register('ava', leics, org(leics, 'Oakham'), 'Ava Ashdown', 'Volunteer');
  await register('ben', leics, org(leics, 'Charnwood'), 'ben birch', 'Coach');
  await register('chloe', leics, org(leics, 'Oakham'), 'Chloé "CJ" Cedar, Jr', 'Volunteer');
  await register('evil', leics, org(leics, 'St Anne'), '=HYPERLINK("http://x.example")', '+44 helpline');
  await register('dan', leics, org(leics, 'Charnwood'), 'Dan Dale', '@lead');
  await register('hana', hollow, org(hollow, 'Riverside'), 'Hana Holt', 'Volunteer');

  await evidence(officer, 'ava', { title: 'Safer recruitment', group: 'B', completed_on: '2024-03-01' });
  await evidence(officer, 'ben', { title: 'Safer recruitment', group: 'A', completed_on: '2025-06-15' });
  await evidence(officer, 'ben', { title: 'First aid awareness', completed_on: '2025-07-01', hours: 1.5,
    provider: '-St John, "Ambulance"' });
  await evidence(officer, 'dan', { title: 'Safer recruitment', group: 'B', completed_on: '2025-01-10' });
  await evidence(officerHollow, 'hana', { title: 'Safer recruitment', group: 'B', completed_on: '2025-06-20' });
});

after(async () => {
  await srv2?.stop();
  await srv?.stop();
});

describe('the learners list', () => {
  test('an officer sees their own borough, sorted by name, with a total', async () => {
    const body = await list(officer, MINE);
    assert.equal(body.borough.name, leics.name);
    assert.equal(body.total, 5);
    assert.equal(body.limit, 50);
    assert.equal(body.offset, 0);
    // Case is ignored when sorting ("ben birch" between Ava and Chloé).
    assert.deepEqual(names(body), ['=HYPERLINK("http://x.example")', 'Ava Ashdown', 'ben birch',
      'Chloé "CJ" Cedar, Jr', 'Dan Dale']);
    const ava = body.learners.find((l) => l.name === 'Ava Ashdown');
    assert.equal(ava.id, people.ava.user.id);
    assert.equal(ava.email, people.ava.email);
    assert.equal(ava.organisation, people.ava.org.name);
    assert.equal(ava.organisation_id, people.ava.org.id);
    assert.equal(ava.job_role, 'Volunteer');
    assert.match(ava.registered_at, new RegExp(`^${TODAY}T`));
    assert.equal(ava.last_activity, '2024-03-01');
    assert.ok(Array.isArray(ava.modules));
    assert.ok(['overdue', 'expiring', 'not_started', 'in_progress', 'compliant', 'none'].includes(ava.status));
    // The demo learner is there without the filter; never Hollowfield's.
    const all = await list(officer, 'limit=200');
    assert.ok(all.learners.some((l) => l.email === 'learner@leics.example'));
    assert.ok(!all.learners.some((l) => l.email === people.hana.email));
    assert.equal(all.total, 6);
  });

  test('descending order reverses it', async () => {
    const body = await list(officer, `${MINE}&sort=name&order=desc`);
    assert.deepEqual(names(body), ['Dan Dale', 'Chloé "CJ" Cedar, Jr', 'ben birch', 'Ava Ashdown',
      '=HYPERLINK("http://x.example")']);
  });

  test('sorted by organisation, then name', async () => {
    const body = await list(officer, `${MINE}&sort=organisation`);
    assert.deepEqual(names(body), ['ben birch', 'Dan Dale', 'Ava Ashdown', 'Chloé "CJ" Cedar, Jr',
      '=HYPERLINK("http://x.example")']);
  });

  test('sorted by last activity (none first ascending, latest first descending)', async () => {
    const asc = await list(officer, `${MINE}&sort=last_activity`);
    assert.deepEqual(names(asc).slice(2), ['Ava Ashdown', 'Dan Dale', 'ben birch']);
    const desc = await list(officer, `${MINE}&sort=last_activity&order=desc`);
    assert.deepEqual(names(desc).slice(0, 3), ['ben birch', 'Dan Dale', 'Ava Ashdown']);
    assert.equal(desc.learners[0].last_activity, '2025-07-01');
  });

  test('filters: search, organisation, job role, dates', async () => {
    assert.deepEqual(names(await list(officer, 'q=BIRCH')), ['ben birch']);
    assert.deepEqual(names(await list(officer, `q=${encodeURIComponent(people.dan.email)}`)), ['Dan Dale']);
    // LIKE's own characters are plain text.
    assert.equal((await list(officer, 'q=%25')).total, 0);
    assert.deepEqual(names(await list(officer, `${MINE}&organisation=${people.ben.org.id}`)),
      ['ben birch', 'Dan Dale']);
    assert.deepEqual(names(await list(officer, `${MINE}&job_role=volunteer`)),
      ['Ava Ashdown', 'Chloé "CJ" Cedar, Jr']);
    assert.equal((await list(officer, `${MINE}&registered_from=${TODAY}`)).total, 5);
    assert.equal((await list(officer, `${MINE}&registered_to=${YESTERDAY}`)).total, 0);
    assert.deepEqual(names(await list(officer, `${MINE}&completed_from=2025-01-01&completed_to=2025-06-30`)),
      ['ben birch', 'Dan Dale']);
    assert.deepEqual(names(await list(officer, `${MINE}&completed_to=2024-12-31`)), ['Ava Ashdown']);
    assert.deepEqual(names(await list(officer, `${MINE}&organisation=${people.ben.org.id}&completed_from=2025-07-01`)),
      ['ben birch']);
  });

  test('status filters split the list exactly', async () => {
    const whole = await list(officer, 'limit=200');
    let sum = 0;
    for (const status of ['overdue', 'expiring', 'not_started', 'in_progress', 'compliant', 'none']) {
      const part = await list(officer, `limit=200&status=${status}`);
      for (const l of part.learners)
        assert.equal(l.status, status, JSON.stringify(l));
      assert.equal(part.total, whole.learners.filter((l) => l.status === status).length, status);
      sum += part.total;
    }
    assert.equal(sum, whole.total);
    // Sorted by status: overdue first, none last.
    const rank = ['overdue', 'expiring', 'not_started', 'in_progress', 'compliant', 'none'];
    const byStatus = (await list(officer, 'limit=200&sort=status')).learners.map((l) => rank.indexOf(l.status));
    assert.deepEqual(byStatus, [...byStatus].sort((a, b) => a - b));
  });

  test('pages neither repeat nor skip anyone, in every order', async () => {
    for (const sort of ['name', 'organisation', 'status', 'last_activity']) {
      for (const order of ['asc', 'desc']) {
        const whole = await list(officer, `sort=${sort}&order=${order}&limit=200`);
        const seen = [];
        for (let offset = 0; offset < whole.total; offset += 2) {
          const page = await list(officer, `sort=${sort}&order=${order}&limit=2&offset=${offset}`);
          assert.equal(page.total, whole.total);
          assert.ok(page.learners.length <= 2);
          seen.push(...page.learners.map((l) => l.id));
        }
        assert.deepEqual(seen, whole.learners.map((l) => l.id), `${sort} ${order}`);
        assert.equal(new Set(seen).size, seen.length);
      }
    }
    const past = await list(officer, 'offset=100');
    assert.deepEqual(past.learners, []);
    assert.equal(past.total, 6);
  });

  test('bad parameters answer 422 naming them', async () => {
    for (const [q, field] of [['limit=0', 'limit'], ['limit=201', 'limit'], ['offset=-1', 'offset'],
      ['status=late', 'status'], ['organisation=abc', 'organisation'], ['sort=email', 'sort'],
      ['order=up', 'order'], ['registered_from=2025-02-30', 'registered_from'],
      ['completed_to=31/12/2025', 'completed_to'], [`q=${'x'.repeat(201)}`, 'q'],
      ['group=D', 'group'], ['format=xml', 'format'], ['package=0', 'package']]) {
      const r = await officer.get(`/api/officer/learners?${q}`);
      assert.equal(r.status, 422, `${q}: ${r.text}`);
      assert.equal(r.body.field, field, q);
    }
  });
});

describe('borough scoping', () => {
  test('another borough\'s officer sees none of these learners or records', async () => {
    const body = await list(officerHollow, 'limit=200');
    assert.equal(body.borough.name, hollow.name);
    assert.deepEqual(body.learners.map((l) => l.email).filter((e) => e !== people.hana.email
      && !e.endsWith('.example')), []);
    assert.ok(!body.learners.some((l) => l.borough && l.borough.id === leics.id));
    for (const k of ['ava', 'ben', 'chloe', 'evil', 'dan'])
      assert.ok(!body.learners.some((l) => l.id === people[k].user.id), k);
    const recs = await records(officerHollow, 'limit=200');
    assert.deepEqual([...new Set(recs.records.map((e) => e.learner.id))], [people.hana.user.id]);
    const csv = await officerHollow.get('/api/officer/learners?format=csv');
    assert.equal(csv.status, 200);
    for (const k of ['ava', 'ben', 'chloe', 'evil', 'dan'])
      assert.ok(!csv.text.includes(people[k].email), k);
    const rcsv = await officerHollow.get('/api/officer/records?format=csv');
    assert.ok(!rcsv.text.includes(people.ben.email));
  });

  test('asking for another borough is 403, for the own one fine', async () => {
    for (const path of ['/api/officer/learners', '/api/officer/records']) {
      for (const fmt of ['', '&format=csv']) {
        for (const b of [leics.id, 'leicestershire-rutland']) {
          const r = await officerHollow.get(`${path}?borough=${b}${fmt}`);
          assert.equal(r.status, 403, r.text);
          assert.equal(r.body.code, 'forbidden');
        }
      }
      assert.equal((await officerHollow.get(`${path}?borough=${hollow.id}`)).status, 200);
    }
  });

  test('an admin sees every borough, or one', async () => {
    const all = await list(admin, `${MINE}&limit=200`);
    assert.equal(all.borough, null);
    assert.equal(all.total, 6);
    const one = await list(admin, `${MINE}&borough=${hollow.id}`);
    assert.deepEqual(names(one), ['Hana Holt']);
    assert.equal(one.borough.name, hollow.name);
    assert.deepEqual(names(await list(admin, `${MINE}&borough=hollowfield`)), ['Hana Holt']);
    assert.equal((await admin.get('/api/officer/learners?borough=999')).status, 404);
    assert.equal((await admin.get('/api/officer/learners?borough=nowhere')).status, 404);
    const r = await admin.get('/api/officer/learners?borough=No%20Where');
    assert.equal(r.status, 422);
    assert.equal(r.body.field, 'borough');
  });

  test('learners get 403 from every list and export', async () => {
    for (const path of ['/api/officer/learners', '/api/officer/records',
      '/api/officer/learners?format=csv', '/api/officer/records?format=csv']) {
      const r = await people.ava.client.get(path);
      assert.equal(r.status, 403, `${path}: ${r.text}`);
    }
    const anon = await new Client(srv.url).get('/api/officer/records');
    assert.equal(anon.status, 401);
  });
});

describe('the records list', () => {
  test('every entry of the borough\'s learners, latest first', async () => {
    const body = await records(officer, MINE);
    assert.equal(body.total, 4);
    assert.equal(body.sort, 'date');
    assert.equal(body.order, 'desc');
    assert.deepEqual(body.records.map((e) => [e.date, e.title, e.learner.name]), [
      ['2025-07-01', 'First aid awareness', 'ben birch'],
      ['2025-06-15', 'Safer recruitment', 'ben birch'],
      ['2025-01-10', 'Safer recruitment', 'Dan Dale'],
      ['2024-03-01', 'Safer recruitment', 'Ava Ashdown'],
    ]);
    const first = body.records[0];
    assert.equal(first.kind, 'evidence');
    assert.equal(first.status, 'completed');
    assert.equal(first.hours, 1.5);
    assert.equal(first.group, null);
    assert.equal(first.evidence_kind, 'external');
    assert.equal(first.provider, '-St John, "Ambulance"');
    assert.equal(first.learner.email, people.ben.email);
    assert.equal(first.learner.organisation, people.ben.org.name);
    assert.match(first.id, /^evidence-\d+$/);
  });

  test('filters: kind, group, title, dates, learner, organisation', async () => {
    const titles = (b) => b.records.map((e) => `${e.learner.name}: ${e.title}`);
    assert.equal((await records(officer, `${MINE}&kind=face_to_face`)).total, 0);
    assert.equal((await records(officer, `${MINE}&kind=evidence`)).total, 4);
    assert.deepEqual(titles(await records(officer, `${MINE}&group=B&sort=learner`)),
      ['Ava Ashdown: Safer recruitment', 'Dan Dale: Safer recruitment']);
    assert.deepEqual(titles(await records(officer, `${MINE}&title=first%20AID`)),
      ['ben birch: First aid awareness']);
    assert.deepEqual(titles(await records(officer, `${MINE}&from=2025-01-10&to=2025-06-15&sort=date&order=asc`)),
      ['Dan Dale: Safer recruitment', 'ben birch: Safer recruitment']);
    assert.deepEqual(titles(await records(officer, `learner=${people.ava.user.id}`)),
      ['Ava Ashdown: Safer recruitment']);
    assert.equal((await records(officer, `${MINE}&organisation=${people.ben.org.id}`)).total, 3);
    assert.equal((await records(officer, `${MINE}&status=attended`)).total, 0);
    // Another borough's learner, asked for by id: nothing.
    assert.equal((await records(officer, `learner=${people.hana.user.id}`)).total, 0);
    const r = await officer.get('/api/officer/records?kind=course');
    assert.equal(r.status, 422);
    assert.equal(r.body.field, 'kind');
  });

  test('pages neither repeat nor skip', async () => {
    for (const sort of ['date', 'learner', 'title', 'kind', 'status']) {
      for (const order of ['asc', 'desc']) {
        const whole = await records(admin, `sort=${sort}&order=${order}&limit=200`);
        const seen = [];
        for (let offset = 0; offset < whole.total; offset += 3)
          seen.push(...(await records(admin, `sort=${sort}&order=${order}&limit=3&offset=${offset}`))
            .records.map((e) => e.id));
        assert.deepEqual(seen, whole.records.map((e) => e.id), `${sort} ${order}`);
      }
    }
  });
});

describe('CSV exports', () => {
  test('the learners export is exact, guarded and dated', async () => {
    const json = await list(officer, `${MINE}&sort=name`);
    const r = await officer.get(`/api/officer/learners?${MINE}&sort=name&format=csv&limit=1`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['content-type'], 'text/csv; charset=utf-8');
    assert.equal(r.headers['content-disposition'], `attachment; filename="cairn-learners-${TODAY}.csv"`);
    assert.equal(r.headers['transfer-encoding'], 'chunked');
    assert.equal(r.headers['content-length'], undefined);
    assert.deepEqual([...r.raw.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    const by = Object.fromEntries(json.learners.map((l) => [l.name, l]));
    // the last two columns are Leicestershire and Rutland's report_columns:
    // the training group of the job role and who trains it
    const line = (l, name, jobRole, group, who) => [l.id, name, l.email, l.organisation, jobRole, l.status,
      l.required, l.in_date, l.registered_at, l.last_activity ?? '', group, who].join(',');
    const OWN = 'Own organisation';
    const expected = '\uFEFF' + [
      'id,name,email,organisation,job_role,status,required,in_date,registered_at,last_activity,Training group,Who trains',
      // A formula is kept as text; quotes doubled inside a quoted cell.
      line(by['=HYPERLINK("http://x.example")'], '"\'=HYPERLINK(""http://x.example"")"', "'+44 helpline", 2, OWN)
        .replace(by['=HYPERLINK("http://x.example")'].organisation, '"St Anne\'s Church Youth Group"'.slice(1, -1)),
      line(by['Ava Ashdown'], 'Ava Ashdown', 'Volunteer', 1, OWN),
      line(by['ben birch'], 'ben birch', 'Coach', 2, OWN),
      line(by['Chloé "CJ" Cedar, Jr'], '"Chloé ""CJ"" Cedar, Jr"', 'Volunteer', 1, OWN),
      line(by['Dan Dale'], 'Dan Dale', "'@lead", 2, OWN),
    ].join('\r\n') + '\r\n';
    assert.equal(r.text, expected);
    // The export ignores paging: limit=1 above still gave every row.
  });

  test('report columns: the borough\'s in its officer\'s export, every borough\'s in an admin\'s', async () => {
    await register('sam', hollow, hollow.organisations[0], 'Sam Swift', 'Sports coach');
    const H = 'Competence Matters group,Sample pathway';
    const row = (l, jobRole) => [l.id, l.name, l.email, l.organisation, jobRole, l.status, l.required,
      l.in_date, l.registered_at, l.last_activity ?? ''].join(',');
    const hl = Object.fromEntries((await list(officerHollow, `${MINE}&sort=name`)).learners.map((l) => [l.name, l]));
    const r = await officerHollow.get(`/api/officer/learners?${MINE}&sort=name&format=csv`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, '\uFEFF' + [
      `id,name,email,organisation,job_role,status,required,in_date,registered_at,last_activity,${H}`,
      `${row(hl['Hana Holt'], 'Volunteer')},A,`,
      `${row(hl['Sam Swift'], 'Sports coach')},A,Sports Instructor`,
    ].join('\r\n') + '\r\n');

    // An admin's export of every borough: the union, in borough order;
    // a column of another borough is empty.
    const all = Object.fromEntries((await list(admin, `${MINE}&sort=name&limit=200`)).learners
      .map((l) => [l.name, l]));
    const L = 'Training group,Who trains';
    const leicsFirst = leics.id < hollow.id;
    const cells = (mine, other) => (leicsFirst ? [mine, other] : [other, mine]).join(',');
    const leicsRow = (name, jobRole, group) => `${row(all[name], jobRole)},${leicsFirst
      ? `${group},Own organisation,,` : `,,${group},Own organisation`}`;
    const hollowRow = (name, jobRole, pathway) => `${row(all[name], jobRole)},${leicsFirst
      ? `,,A,${pathway}` : `A,${pathway},,`}`;
    const a = await admin.get(`/api/officer/learners?${MINE}&sort=name&format=csv`);
    assert.equal(a.status, 200, a.text);
    const lines = a.text.slice(1).split('\r\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines[0],
      `id,name,email,organisation,job_role,status,required,in_date,registered_at,last_activity,${cells(L, H)}`);
    assert.equal(lines.length, 1 + 7);
    const lineOf = (name) => lines.find((x) => x.startsWith(`${all[name].id},`));
    assert.equal(lineOf('Ava Ashdown'), leicsRow('Ava Ashdown', 'Volunteer', 1));
    assert.equal(lineOf('ben birch'), leicsRow('ben birch', 'Coach', 2));
    assert.equal(lineOf('Dan Dale'), leicsRow('Dan Dale', "'@lead", 2));
    assert.equal(lineOf('Hana Holt'), hollowRow('Hana Holt', 'Volunteer', ''));
    assert.equal(lineOf('Sam Swift'), hollowRow('Sam Swift', 'Sports coach', 'Sports Instructor'));
    assert.ok(lineOf('=HYPERLINK("http://x.example")').endsWith(`,'+44 helpline,${all['=HYPERLINK("http://x.example")'].status},1,0,${
      all['=HYPERLINK("http://x.example")'].registered_at},,${cells('2,Own organisation', ',')}`));
    assert.ok(lineOf('Chloé "CJ" Cedar, Jr').endsWith(`,${cells('1,Own organisation', ',')}`));
  });

  test('the records export is exact with the same filters', async () => {
    const r = await officer.get(`/api/officer/records?${MINE}&organisation=${people.ben.org.id}&format=csv`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['content-disposition'], `attachment; filename="cairn-records-${TODAY}.csv"`);
    const o = people.ben.org.name;
    const expected = '\uFEFF' + [
      'date,kind,title,group,level,hours,status,flagged,score,learner_id,learner_name,learner_email,organisation,evidence_kind,provider,certificate',
      `2025-07-01,evidence,First aid awareness,,,1.5,completed,no,,${people.ben.user.id},ben birch,${people.ben.email},${o},external,"'-St John, ""Ambulance""",`,
      `2025-06-15,evidence,Safer recruitment,A,,3.0,completed,no,,${people.ben.user.id},ben birch,${people.ben.email},${o},external,,`,
      `2025-01-10,evidence,Safer recruitment,B,,3.0,completed,no,,${people.dan.user.id},Dan Dale,${people.dan.email},${o},external,,`,
    ].join('\r\n') + '\r\n';
    assert.equal(r.text, expected);
  });

  test('every export is in the audit log, with the filters named but not their values', async () => {
    const r = await officer.get(`/api/officer/records?learner=${people.ava.user.id}&title=safer&format=csv`);
    assert.equal(r.status, 200);
    const log = await officer.get('/api/admin/audit?action=export_csv&limit=200');
    assert.equal(log.status, 200, log.text);
    const mine = log.body.entries.filter((e) => e.request_id === r.headers['x-request-id']);
    assert.equal(mine.length, 1, log.text);
    assert.equal(mine[0].actor.id, officer.user.id);
    assert.equal(mine[0].subject.id, people.ava.user.id);
    assert.equal(mine[0].borough.id, leics.id);
    assert.deepEqual(mine[0].detail, { list: 'records', filters: ['title', 'learner'], borough_id: leics.id });
    const learners = log.body.entries.filter((e) => e.detail.list === 'learners');
    assert.ok(learners.length >= 1, 'the learners export above');
    assert.ok(learners.every((e) => e.subject === null));
    // Another borough's officer does not see these entries.
    const other = await officerHollow.get('/api/admin/audit?action=export_csv&limit=200');
    assert.ok(!other.body.entries.some((e) => e.request_id === r.headers['x-request-id']));
  });

  test('a large export streams with flat memory', { timeout: 240000 }, async () => {
    // 60,000 record entries with long titles for one learner through the
    // history import, then a fresh server (so earlier work leaves no slack
    // in its heap) exports them while the test reads slowly and watches the
    // server's memory.
    const N = 20000, PARTS = 3;
    const long = 'with a long and descriptive title '.repeat(4);
    for (let part = 0; part < PARTS; part++) {
      const lines = ['email,item,date,hours,kind'];
      for (let i = 0; i < N; i++) {
        const day = new Date(Date.UTC(2000, 0, 1) + ((part * N + i) % 9000) * 86400000).toISOString().slice(0, 10);
        lines.push(`${people.dan.email},Bulk course ${part}-${i} ${long},${day},2,external`);
      }
      const r = await officer.request('POST', '/api/officer/imports', { body: lines.join('\n'),
        contentType: 'text/csv', timeoutMs: 120000 });
      assert.equal(r.status, 200, r.text.slice(0, 300));
      assert.equal(r.body.written, N);
    }
    await srv.kill();   // keeps the data folder; stop() in after() removes it
    srv2 = await startServer({ dataDir: srv.dataDir });
    const o = srv2.account('officer', 'leics');
    const c = await new Client(srv2.url).mustLogin(o.email, o.password);
    const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${srv2.pid}/status`, 'utf8'))[1]);
    // Warm up: one small export and one list page.
    assert.equal((await c.get('/api/officer/records?format=csv&kind=face_to_face')).status, 200);
    const before = rss();
    let bytes = 0, lines = 0, peak = before;
    await new Promise((resolve, reject) => {
      const u = new URL(srv2.url);
      const req = http.get({ host: u.hostname, port: u.port, path: '/api/officer/records?format=csv&sort=title',
        headers: { Cookie: c.cookieHeader() } }, (res) => {
        assert.equal(res.headers['transfer-encoding'], 'chunked');
        res.on('data', (chunk) => {
          bytes += chunk.length;
          for (const b of chunk) if (b === 10) lines++;
          peak = Math.max(peak, rss());
          // Read slowly: the server must wait for us, not buffer ahead.
          res.pause();
          setTimeout(() => res.resume(), 1);
        });
        res.on('end', resolve);
        res.on('error', reject);
      });
      req.on('error', reject);
    });
    const total = (await c.get('/api/officer/records?limit=1')).body.total;
    assert.ok(total >= PARTS * N + 4, `${total} records`);
    assert.equal(lines, 1 + total);
    assert.ok(bytes > 15 * 1024 * 1024, `exported ${bytes} bytes`);
    const grew = peak - before;
    // Holding the rows or the text would take more than the export's size;
    // streaming takes a fixed few MB (SQLite's caches and sorter, one 32 KiB
    // block), the same for a 7 MB or a 42 MB export.
    // A sanitizer build keeps freed memory in quarantine (AddressSanitizer):
    // its RSS says nothing about buffering, so there only the rest is checked.
    if (!process.env.CAIRN_SANITIZED)
      assert.ok(grew < 10 * 1024, `RSS grew by ${grew} kB while exporting ${bytes} bytes`);
    console.log(`# exported ${lines} lines, ${bytes} bytes; server RSS ${before} kB -> peak ${peak} kB`);
  });
});
