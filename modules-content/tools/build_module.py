#!/usr/bin/env python3
"""Builds one of Cairn's own modules into a SCORM 2004 4th edition package.

    build_module.py SOURCE_DIR OUTPUT.zip [--depfile FILE]

SOURCE_DIR holds module.md, lessons/*.md, assessment.md and web/ (the shared
HTML, CSS and JavaScript); modules-content/README.md describes the format.
The zip is deterministic: the same sources give the same bytes (entries
sorted, fixed timestamps and permissions, stored without compression so that
no zlib version can change a byte). Python's standard library only.
"""
import argparse
import hashlib
import html
import json
import os
import re
import sys
import zipfile
from xml.sax.saxutils import escape as xml_escape, quoteattr

FIXED_TIME = (2000, 1, 1, 0, 0, 0)
ID_RE = re.compile(r'^[A-Za-z][A-Za-z0-9._-]{0,63}$')
# A UK phone number (not 999 or 101): the module must not carry real ones.
PHONE_RE = re.compile(r'(?<![\d.])(?:\+44\s?|0)\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\d)')


class SourceError(Exception):
    pass


def fail(path, line, msg):
    raise SourceError(f'{path}:{line}: {msg}' if line else f'{path}: {msg}')


# ---------------------------------------------------------------------------
# Front matter: "key: value" lines and "- item" lists between two "---" lines
# ---------------------------------------------------------------------------

def split_front_matter(path, text):
    lines = text.split('\n')
    if not lines or lines[0].strip() != '---':
        fail(path, 1, 'the file must start with a "---" line (front matter)')
    meta, key = {}, None
    for i in range(1, len(lines)):
        line = lines[i]
        if line.strip() == '---':
            return meta, lines[i + 1:], i + 2
        if not line.strip():
            continue
        if line.startswith('- ') and key:
            if not isinstance(meta[key], list):
                if meta[key]:
                    fail(path, i + 1, f'"{key}" has a value and a list')
                meta[key] = []
            meta[key].append(line[2:].strip())
            continue
        m = re.match(r'^([A-Za-z_][A-Za-z0-9_]*):\s*(.*)$', line)
        if not m:
            fail(path, i + 1, f'expected "key: value" in the front matter, found "{line}"')
        key = m.group(1)
        if key in meta:
            fail(path, i + 1, f'"{key}" is given twice')
        meta[key] = m.group(2).strip()
    fail(path, len(lines), 'the front matter has no closing "---" line')


# ---------------------------------------------------------------------------
# The Markdown subset
# ---------------------------------------------------------------------------

INLINE_RE = re.compile(r'\*\*(.+?)\*\*|\[([^\]]+)\]\((https://[^)\s]+)\)')


def smart(text):
    """Typographic quotes and apostrophes in running text."""
    text = re.sub(r'(^|[\s(\[\u2013\u2014/])"', '\\1\u201c', text)
    text = text.replace('"', '\u201d')
    text = re.sub(r"(^|[\s(\[\u2013\u2014/])'", '\\1\u2018', text)
    return text.replace("'", '\u2019')


def inline(text):
    """Escapes text and applies **strong** and [text](https://link)."""
    out, pos = [], 0
    for m in INLINE_RE.finditer(text):
        out.append(html.escape(smart(text[pos:m.start()]), quote=False))
        if m.group(1) is not None:
            out.append(f'<strong>{html.escape(smart(m.group(1)), quote=False)}</strong>')
        else:
            # The module plays inside a frame: links leave it in a new tab.
            out.append(f'<a href={quoteattr(m.group(3))} target="_blank" rel="noopener noreferrer">'
                       f'{html.escape(smart(m.group(2)), quote=False)} (opens in new tab)</a>')
        pos = m.end()
    out.append(html.escape(smart(text[pos:]), quote=False))
    return ''.join(out)


def markdown(path, lines, first_line, heading_base=2):
    """Paragraphs, ## and ### headings, - and 1. lists, > insets. Returns HTML."""
    out, para, items, kind = [], [], [], None

    def flush_para():
        if para:
            out.append(f'<p>{inline(" ".join(para))}</p>')
            para.clear()

    def flush_list():
        nonlocal kind
        if items:
            tag = 'ul' if kind == 'ul' else 'ol'
            out.append(f'<{tag}>' + ''.join(f'<li>{inline(x)}</li>' for x in items) + f'</{tag}>')
            items.clear()
        kind = None

    inset = []
    for n, raw in enumerate(lines):
        line = raw.rstrip()
        lineno = first_line + n
        if line.startswith('> ') or line == '>':
            flush_para()
            flush_list()
            inset.append(line[2:])
            continue
        if inset:
            out.append(f'<div class="inset">{markdown(path, inset, lineno, heading_base)}</div>')
            inset = []
        if not line.strip():
            flush_para()
            flush_list()
            continue
        m = re.match(r'^(#{2,3}) (.+)$', line)
        if m:
            flush_para()
            flush_list()
            level = heading_base + len(m.group(1)) - 2
            out.append(f'<h{level}>{inline(m.group(2))}</h{level}>')
            continue
        m = re.match(r'^- (.+)$', line)
        if m:
            flush_para()
            if kind == 'ol':
                flush_list()
            kind = 'ul'
            items.append(m.group(1))
            continue
        m = re.match(r'^\d+\. (.+)$', line)
        if m:
            flush_para()
            if kind == 'ul':
                flush_list()
            kind = 'ol'
            items.append(m.group(1))
            continue
        if line.startswith('#'):
            fail(path, lineno, 'only "## " and "### " headings are allowed (the page title is the h1)')
        if line.startswith(':::') or line.startswith('? ') or re.match(r'^\((x| )\) ', line):
            fail(path, lineno, f'"{line[:12]}" is only allowed inside a block')
        if items:
            # A continuation line of the last list item.
            if raw.startswith('  '):
                items[-1] += ' ' + line.strip()
                continue
            flush_list()
        para.append(line.strip())
    if inset:
        out.append(f'<div class="inset">{markdown(path, inset, first_line + len(lines), heading_base)}</div>')
    flush_para()
    flush_list()
    return ''.join(out)


def plain(text):
    """The text of **strong** / [link](url) markup without the markup."""
    return smart(INLINE_RE.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), text))


# ---------------------------------------------------------------------------
# Choices: "? question", then "( ) option" / "(x) option" each followed by
# indented feedback lines
# ---------------------------------------------------------------------------

def parse_choices(path, lines, first_line, what):
    """Returns (story_lines, question, options, rest_lines). Options are
    {"id", "text", "feedback", "correct"}."""
    qi = next((i for i, l in enumerate(lines) if l.startswith('? ')), None)
    if qi is None:
        fail(path, first_line, f'{what} has no "? question" line')
    story, question = lines[:qi], lines[qi][2:].strip()
    options, i = [], qi + 1
    while i < len(lines):
        line = lines[i]
        m = re.match(r'^\((x| )\) (.+)$', line)
        if m:
            options.append({'text': m.group(2).strip(), 'correct': m.group(1) == 'x', 'fb': [],
                            'line': first_line + i})
        elif line.startswith('    ') and options:
            options[-1]['fb'].append(line.strip())
        elif not line.strip():
            k = i + 1
            while k < len(lines) and not lines[k].strip():
                k += 1
            i = k
            if options and k < len(lines) and re.match(r'^(\((x| )\) |    )', lines[k]):
                continue
            break
        else:
            break
        i += 1
    rest = lines[i:]
    if not 2 <= len(options) <= 6:
        fail(path, first_line + qi, f'{what} needs 2 to 6 options, found {len(options)}')
    if sum(o['correct'] for o in options) != 1:
        fail(path, first_line + qi, f'{what} needs exactly one "(x)" option')
    out = []
    for k, o in enumerate(options):
        if not o['fb']:
            fail(path, o['line'], f'{what}: option "{o["text"][:30]}" has no feedback (indent it by 4 spaces)')
        out.append({'id': 'abcdef'[k], 'html': inline(o['text']), 'text': plain(o['text']),
                    'feedback': inline(' '.join(o['fb'])), 'correct': o['correct']})
    return story, question, out, rest


# ---------------------------------------------------------------------------
# Lessons
# ---------------------------------------------------------------------------

def parse_lesson(path, number):
    with open(path, encoding='utf-8') as f:
        text = f.read()
    meta, body, first = split_front_matter(path, text)
    for key in ('id', 'title', 'short', 'summary', 'minutes', 'sources'):
        if not meta.get(key):
            fail(path, 1, f'the front matter needs "{key}"')
    if not ID_RE.match(meta['id']):
        fail(path, 1, f'the id "{meta["id"]}" must be letters, digits, ".", "-" or "_"')
    if not isinstance(meta['sources'], list):
        fail(path, 1, '"sources" must be a list of "- " lines')
    blocks, buf, buf_start, i = [], [], first, 0
    scenarios = 0

    def flush():
        if any(l.strip() for l in buf):
            blocks.append({'type': 'html', 'html': markdown(path, buf, buf_start)})
        buf.clear()

    while i < len(body):
        line = body[i]
        m = re.match(r'^::: (\w+)\s*(.*)$', line)
        if not m:
            if not buf:
                buf_start = first + i
            buf.append(line)
            i += 1
            continue
        flush()
        start = i
        j = i + 1
        while j < len(body) and body[j].strip() != ':::':
            j += 1
        if j >= len(body):
            fail(path, first + start, f'the "::: {m.group(1)}" block is not closed with ":::"')
        inner, kind, title = body[i + 1:j], m.group(1), m.group(2).strip()
        line_no = first + start + 1
        if kind == 'example':
            if not title:
                fail(path, first + start, 'an example needs a title: "::: example Title"')
            blocks.append({'type': 'example', 'title': inline(title),
                           'html': markdown(path, inner, line_no, 3)})
        elif kind == 'scenario':
            if not title:
                fail(path, first + start, 'a scenario needs a title: "::: scenario Title"')
            story, question, options, rest = parse_choices(path, inner, line_no, 'the scenario')
            if any(l.strip() for l in rest):
                fail(path, line_no, 'the scenario has text after its options')
            blocks.append({'type': 'scenario', 'id': f's{scenarios + 1}', 'title': inline(title),
                           'story': markdown(path, story, line_no, 3), 'question': inline(question),
                           'options': options})
            scenarios += 1
        elif kind == 'contacts':
            sep = next((k for k, l in enumerate(inner) if l.strip() == '---'), None)
            if sep is None:
                fail(path, line_no, 'a contacts block has the local introduction, a "---" line, '
                     'then the national guidance')
            blocks.append({'type': 'contacts', 'intro': markdown(path, inner[:sep], line_no, 3),
                           'fallback': markdown(path, inner[sep + 1:], line_no + sep + 1, 3)})
        else:
            fail(path, first + start, f'unknown block "::: {kind}" (example, scenario or contacts)')
        i = j + 1
    flush()
    if scenarios == 0:
        fail(path, 0, 'every lesson needs at least one "::: scenario"')
    return {
        'id': meta['id'], 'number': number, 'title': plain(meta['title']),
        'short': plain(meta['short']), 'summary': plain(meta['summary']),
        'minutes': int(meta['minutes']),
        'sources': [inline(s) for s in meta['sources']],
        'blocks': blocks,
    }


# ---------------------------------------------------------------------------
# The question pool
# ---------------------------------------------------------------------------

def parse_assessment(path, lesson_count):
    with open(path, encoding='utf-8') as f:
        text = f.read()
    meta, body, first = split_front_matter(path, text)
    per = int(meta.get('questions_per_attempt', '0'))
    pass_mark = float(meta.get('pass_mark', '0'))
    if not 0 < pass_mark <= 1:
        fail(path, 1, 'pass_mark must be a fraction, e.g. 0.8')
    starts = [i for i, l in enumerate(body) if l.startswith('## ')]
    intro = markdown(path, body[:starts[0]] if starts else body, first)
    questions, seen = [], set()
    for k, s in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(body)
        chunk, line_no = body[s + 1:end], first + s
        qid = body[s][3:].strip()
        if not ID_RE.match(qid):
            fail(path, line_no, f'the question id "{qid}" must be letters, digits, ".", "-" or "_"')
        if qid in seen:
            fail(path, line_no, f'the question id "{qid}" is used twice')
        seen.add(qid)
        fields = {}
        while chunk and re.match(r'^(lesson|summary):', chunk[0]):
            key, _, value = chunk.pop(0).partition(':')
            fields[key] = value.strip()
            line_no += 1
        if 'lesson' not in fields or not fields['lesson'].isdigit() \
                or not 1 <= int(fields['lesson']) <= lesson_count:
            fail(path, line_no, f'question "{qid}" needs "lesson: N" (1 to {lesson_count})')
        summary = fields.get('summary', '')
        if not summary or len(summary) > 250:
            fail(path, line_no, f'question "{qid}" needs a "summary:" of 1 to 250 characters '
                 '(it becomes the interaction description)')
        story, question, options, rest = parse_choices(path, chunk, line_no + 1, f'question "{qid}"')
        rest_text = '\n'.join(rest).strip()
        if not rest_text.startswith('Explanation:'):
            fail(path, line_no, f'question "{qid}" needs an "Explanation:" paragraph after its options')
        explanation = rest_text[len('Explanation:'):].strip()
        questions.append({
            'id': qid, 'lesson': int(fields['lesson']), 'summary': smart(summary),
            'stem': markdown(path, story, line_no + 1, 2), 'question': inline(question),
            'options': options, 'explanation': markdown(path, explanation.split('\n'), line_no, 2),
        })
    if len(questions) < 25:
        fail(path, 0, f'the pool needs at least 25 questions, it has {len(questions)}')
    for n in range(1, lesson_count + 1):
        if not any(q['lesson'] == n for q in questions):
            fail(path, 0, f'no question covers lesson {n}')
    if not lesson_count <= per <= len(questions):
        fail(path, 1, f'questions_per_attempt must be between {lesson_count} (one a lesson) '
             f'and {len(questions)}')
    return {'title': meta.get('title', 'Final assessment'), 'intro': intro,
            'perAttempt': per, 'passMark': pass_mark, 'questions': questions}


# ---------------------------------------------------------------------------
# The package
# ---------------------------------------------------------------------------

def manifest_xml(module, version, files):
    ident = module['identifier']
    title = xml_escape(module['title'])
    pass_mark = f'{module["assessment"]["passMark"]:g}'
    file_lines = ''.join(f'      <file href={quoteattr(f)}/>\n' for f in files)
    return f'''<?xml version="1.0" encoding="UTF-8"?>
<!-- Built by modules-content/tools/build_module.py from modules-content/{module["dir"]}/: edit the sources, not this file. -->
<manifest identifier={quoteattr(ident)} version={quoteattr(version)}
          xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
          xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
          xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3"
          xmlns:adlnav="http://www.adlnet.org/xsd/adlnav_v1p3"
          xmlns:imsss="http://www.imsglobal.org/xsd/imsss"
          xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
          xsi:schemaLocation="http://www.imsglobal.org/xsd/imscp_v1p1 imscp_v1p1.xsd
                              http://www.adlnet.org/xsd/adlcp_v1p3 adlcp_v1p3.xsd
                              http://www.adlnet.org/xsd/adlseq_v1p3 adlseq_v1p3.xsd
                              http://www.adlnet.org/xsd/adlnav_v1p3 adlnav_v1p3.xsd
                              http://www.imsglobal.org/xsd/imsss imsss_v1p0.xsd">
  <metadata>
    <schema>ADL SCORM</schema>
    <schemaversion>2004 4th Edition</schemaversion>
  </metadata>
  <organizations default="{ident}.org">
    <organization identifier="{ident}.org" adlseq:objectivesGlobalToSystem="false">
      <title>{title}</title>
      <item identifier="{ident}.item" identifierref="{ident}.sco">
        <title>{title}</title>
        <imsss:sequencing>
          <imsss:objectives>
            <imsss:primaryObjective objectiveID="{ident}.passed" satisfiedByMeasure="true">
              <imsss:minNormalizedMeasure>{pass_mark}</imsss:minNormalizedMeasure>
            </imsss:primaryObjective>
          </imsss:objectives>
          <imsss:deliveryControls completionSetByContent="true" objectiveSetByContent="true"/>
        </imsss:sequencing>
      </item>
      <imsss:sequencing>
        <imsss:controlMode choice="true" flow="true"/>
      </imsss:sequencing>
    </organization>
  </organizations>
  <resources>
    <resource identifier="{ident}.sco" type="webcontent" adlcp:scormType="sco" href="index.html">
{file_lines}    </resource>
  </resources>
</manifest>
'''


def check_phone_numbers(module):
    text = json.dumps(module, ensure_ascii=False)
    m = PHONE_RE.search(text)
    if m:
        raise SourceError(f'the module text holds what looks like a phone number ("{m.group(0)}"): '
                          'local numbers come from the borough plugins, never from the module')


def build(src, out, depfile=None):
    deps = []

    def read(rel):
        path = os.path.join(src, rel)
        deps.append(path)
        with open(path, encoding='utf-8') as f:
            return f.read()

    meta, body, first = split_front_matter(os.path.join(src, 'module.md'), read('module.md'))
    for key in ('identifier', 'title', 'version', 'language'):
        if not meta.get(key):
            fail(os.path.join(src, 'module.md'), 1, f'the front matter needs "{key}"')
    lesson_dir = os.path.join(src, 'lessons')
    names = sorted(n for n in os.listdir(lesson_dir) if n.endswith('.md'))
    lessons = []
    for k, name in enumerate(names):
        path = os.path.join(lesson_dir, name)
        deps.append(path)
        lessons.append(parse_lesson(path, k + 1))
    if len({l['id'] for l in lessons}) != len(lessons):
        raise SourceError('two lessons have the same id')
    deps.append(os.path.join(src, 'assessment.md'))
    assessment = parse_assessment(os.path.join(src, 'assessment.md'), len(lessons))
    module = {
        'identifier': meta['identifier'], 'title': meta['title'], 'language': meta['language'],
        'description': meta.get('description', ''),
        'welcome': markdown(os.path.join(src, 'module.md'), body, first),
        'lessons': lessons, 'assessment': assessment,
    }
    check_phone_numbers(module)

    web_dir = os.path.join(src, 'web')
    web = {}
    for name in sorted(os.listdir(web_dir)):
        path = os.path.join(web_dir, name)
        if os.path.isfile(path) and not name.startswith('.'):
            deps.append(path)
            with open(path, 'rb') as f:
                web[name] = f.read()
    if 'index.html' not in web:
        raise SourceError(f'{web_dir}/index.html is missing')

    # The build id: a hash of everything that goes into the package, so
    # that a changed module gets a new manifest version (and Cairn imports
    # it as a new version) while an unchanged one is recognised.
    h = hashlib.sha256()
    h.update(json.dumps(module, ensure_ascii=False, sort_keys=True).encode())
    for name, data in web.items():
        h.update(name.encode() + b'\0' + data + b'\0')
    build_id = h.hexdigest()[:12]
    version = f'{meta["version"]}+{build_id}'
    module['version'] = version
    module['dir'] = os.path.basename(os.path.normpath(src))

    files = dict(web)
    files['index.html'] = (web['index.html'].decode()
                           .replace('{{TITLE}}', html.escape(module['title']))
                           .replace('{{LANG}}', html.escape(module['language']))
                           .replace('{{VERSION}}', html.escape(version))).encode()
    content = dict(module)
    del content['dir']
    files['content.js'] = ('// Built from modules-content/' + module['dir'] + '/ by build_module.py.\n'
                           'window.CAIRN_MODULE = '
                           + json.dumps(content, ensure_ascii=False, separators=(',', ':'))
                           + ';\n').encode()
    payload = sorted(files)
    files['imsmanifest.xml'] = manifest_xml(module, version, payload).encode()

    tmp = out + '.tmp'
    with zipfile.ZipFile(tmp, 'w', compression=zipfile.ZIP_STORED) as z:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3
            info.external_attr = (0o100644 << 16)
            z.writestr(info, files[name])
    os.replace(tmp, out)
    if depfile:
        with open(depfile, 'w', encoding='utf-8') as f:
            esc = lambda p: p.replace(' ', '\\ ')
            f.write(f'{esc(out)}: ' + ' '.join(esc(p) for p in deps + [lesson_dir, web_dir]) + '\n')
    return module, version


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('source', help='the module folder, e.g. modules-content/basic-awareness')
    ap.add_argument('output', help='the zip to write')
    ap.add_argument('--depfile', help='write a Makefile-style dependency file (for ninja)')
    args = ap.parse_args()
    try:
        module, version = build(args.source, args.output, args.depfile)
    except (SourceError, OSError, ValueError) as e:
        print(f'build_module: {e}', file=sys.stderr)
        return 1
    q = module['assessment']['questions']
    print(f'{args.output}: {module["identifier"]} {version}, {len(module["lessons"])} lessons, '
          f'{len(q)} questions')
    return 0


if __name__ == '__main__':
    sys.exit(main())
