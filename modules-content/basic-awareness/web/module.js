/* Cairn's basic awareness module: the runtime.
 *
 * One SCO. The learner moves between views (welcome, contents, the lessons,
 * the assessment's questions, the results) inside this page; every view
 * change, scenario answer, lesson completion and assessment answer is saved
 * to the LMS (cmi.location, cmi.suspend_data) and committed, so closing the
 * page at any moment loses nothing. The content (window.CAIRN_MODULE) comes
 * from content.js, which build_module.py makes from the readable sources.
 *
 * SCORM 2004 data written (RTE 4th edition): completion_status,
 * success_status, score.scaled/raw/min/max, progress_measure, session_time,
 * location, suspend_data, exit ("suspend" until passed, then "normal"),
 * one interactions.n entry per assessment answer, and adl.nav.request on
 * "Save and exit" / "Finish". Without an LMS the module still works, but
 * nothing is saved.
 */
(function () {
  'use strict';

  var M = window.CAIRN_MODULE;
  if (!M) {
    return;
  }
  var LESSONS = M.lessons;
  var A = M.assessment;
  var QUESTIONS = {};
  A.questions.forEach(function (q) { QUESTIONS[q.id] = q; });

  // At most this many interactions are added; after that an answer updates
  // the latest entry for its question. SCORM guarantees 250; the final
  // commit goes out as a beacon (64 KiB at most), so the journal is kept
  // well below both.
  var MAX_INTERACTIONS = 90;
  var STATE_VERSION = 1;

  // -------------------------------------------------------------------------
  // The SCORM 2004 API
  // -------------------------------------------------------------------------

  var scorm = {
    api: null,
    open: false,
    recording: false,
    startedAt: Date.now(),

    /** API_1484_11 in this window's parents, then in the opener's. */
    locate: function () {
      function search(win) {
        for (var i = 0; win && i < 500; i++) {
          try {
            if (win.API_1484_11) return win.API_1484_11;
          } catch (e) {
            // Another origin's window: keep climbing.
          }
          if (!win.parent || win.parent === win) break;
          win = win.parent;
        }
        return null;
      }
      var api = search(window);
      try {
        if (!api && window.top && window.top.opener) api = search(window.top.opener);
      } catch (e) { /* no access */ }
      try {
        if (!api && window.opener) api = search(window.opener);
      } catch (e) { /* no access */ }
      return api;
    },

    init: function () {
      var api = this.locate();
      if (!api) return false;
      var result = String(api.Initialize(''));
      if (result !== 'true' && String(api.GetLastError()) !== '103') {
        return false;
      }
      this.api = api;
      this.open = true;
      var mode = this.get('cmi.mode');
      this.recording = mode !== 'review' && mode !== 'browse';
      return true;
    },

    get: function (name) {
      if (!this.api) return '';
      var value = this.api.GetValue(name);
      return value === null || value === undefined ? '' : String(value);
    },

    set: function (name, value) {
      if (!this.open || !this.recording) return false;
      var ok = String(this.api.SetValue(name, String(value))) === 'true';
      if (!ok && window.console) {
        console.warn('SetValue(' + name + ') failed with error ' + this.api.GetLastError());
      }
      return ok;
    },

    commit: function () {
      if (!this.open) return false;
      this.set('cmi.session_time', duration(Date.now() - this.startedAt));
      return String(this.api.Commit('')) === 'true';
    },

    terminate: function () {
      if (!this.open) return;
      this.set('cmi.session_time', duration(Date.now() - this.startedAt));
      this.open = false;
      this.api.Terminate('');
    },
  };

  /** An ISO 8601 duration with hundredths of seconds: "PT1H2M3.45S". */
  function duration(ms) {
    var cs = Math.max(0, Math.round(ms / 10));
    var h = Math.floor(cs / 360000);
    cs -= h * 360000;
    var m = Math.floor(cs / 6000);
    cs -= m * 6000;
    var s = (cs / 100).toFixed(2).replace(/\.?0+$/, '') || '0';
    return 'PT' + (h ? h + 'H' : '') + (m ? m + 'M' : '') + s + 'S';
  }

  /** A SCORM 2004 time (UTC, hundredths of a second). */
  function timestamp(date) {
    function two(n) { return (n < 10 ? '0' : '') + n; }
    return date.getUTCFullYear() + '-' + two(date.getUTCMonth() + 1) + '-' + two(date.getUTCDate()) +
      'T' + two(date.getUTCHours()) + ':' + two(date.getUTCMinutes()) + ':' + two(date.getUTCSeconds()) +
      '.' + two(Math.floor(date.getUTCMilliseconds() / 10)) + 'Z';
  }

  // -------------------------------------------------------------------------
  // The learner's state, and its compact form in cmi.suspend_data
  // -------------------------------------------------------------------------

  var state = {
    lessons: LESSONS.map(function () { return 0; }), // 0 not started, 1 started, 2 completed
    scenarios: {},   // "3.s1" -> chosen option id
    attempt: null,   // {n, q: [question ids], r: ['b', '', ...], done}
    history: [],     // [[correct, out of], ...] for each finished try
    passed: false,
    location: 'welcome',
  };

  function encode() {
    var data = {
      v: STATE_VERSION,
      l: state.lessons.join(''),
      s: state.scenarios,
      h: state.history.slice(-20),
      p: state.passed ? 1 : 0,
    };
    if (state.attempt) {
      data.a = {
        n: state.attempt.n,
        q: state.attempt.q,
        r: state.attempt.r.map(function (x) { return x || '-'; }).join(''),
        d: state.attempt.done ? 1 : 0,
      };
    }
    return JSON.stringify(data);
  }

  /** Restores state from suspend_data; returns false when there was none. */
  function decode(text) {
    if (!text) return false;
    var data;
    try {
      data = JSON.parse(text);
    } catch (e) {
      return false;
    }
    if (!data || data.v !== STATE_VERSION) return false;
    if (typeof data.l === 'string') {
      state.lessons = LESSONS.map(function (_, i) {
        var n = Number(data.l.charAt(i));
        return n === 1 || n === 2 ? n : 0;
      });
    }
    if (data.s && typeof data.s === 'object') {
      Object.keys(data.s).forEach(function (key) {
        if (scenarioOf(key) && typeof data.s[key] === 'string') state.scenarios[key] = data.s[key];
      });
    }
    if (Array.isArray(data.h)) state.history = data.h.filter(Array.isArray);
    state.passed = data.p === 1;
    var a = data.a;
    // An assessment started with questions this version no longer has (the
    // module was updated) is dropped: the learner starts a new try.
    if (a && Array.isArray(a.q) && a.q.length && a.q.every(function (id) { return QUESTIONS[id]; }) &&
        typeof a.r === 'string' && a.r.length === a.q.length) {
      state.attempt = {
        n: Number(a.n) || 1,
        q: a.q,
        r: a.r.split('').map(function (x) { return x === '-' ? '' : x; }),
        done: a.d === 1,
      };
    } else if (a) {
      showNotice('The final assessment has been updated since you started it, so it will start again with new questions. Your lessons are still complete.');
    }
    return true;
  }

  function scenarioOf(key) {
    var m = /^(\d+)\.(s\d+)$/.exec(key);
    if (!m) return null;
    var lesson = LESSONS[Number(m[1]) - 1];
    if (!lesson) return null;
    for (var i = 0; i < lesson.blocks.length; i++) {
      if (lesson.blocks[i].type === 'scenario' && lesson.blocks[i].id === m[2]) return lesson.blocks[i];
    }
    return null;
  }

  function lessonsDone() {
    return state.lessons.filter(function (s) { return s === 2; }).length;
  }

  function allLessonsDone() {
    return lessonsDone() === LESSONS.length;
  }

  function progress() {
    var steps = LESSONS.length + 1;
    var done = lessonsDone() + (state.history.length ? 1 : 0);
    return Math.round((done / steps) * 10000) / 10000;
  }

  function passScaled() {
    var given = scorm.get('cmi.scaled_passing_score');
    var n = given === '' ? NaN : Number(given);
    return isFinite(n) && n >= -1 && n <= 1 ? n : A.passMark;
  }

  /** Writes the bookmark and progress and commits. */
  function save() {
    if (!scorm.open || !scorm.recording) return;
    scorm.set('cmi.location', state.location);
    scorm.set('cmi.suspend_data', encode());
    scorm.set('cmi.progress_measure', progress());
    var complete = allLessonsDone() && state.history.length > 0;
    scorm.set('cmi.completion_status', complete ? 'completed' : 'incomplete');
    scorm.set('cmi.exit', state.passed ? 'normal' : 'suspend');
    scorm.commit();
  }

  // -------------------------------------------------------------------------
  // DOM helpers
  // -------------------------------------------------------------------------

  var view = document.getElementById('view');
  var notice = document.getElementById('notice');
  var uid = 0;

  /** h('p', {class: 'x'}, 'text', node, ...): builds an element. */
  function h(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k.slice(0, 2) === 'on') node.addEventListener(k.slice(2), v);
      else if (v === true) node.setAttribute(k, '');
      else node.setAttribute(k, String(v));
    });
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  /** Replaces node's children (arrays are flattened, null and false skipped). */
  function fill(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    for (var i = 1; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) child.forEach(function (c) { append(node, c); });
    else node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }

  /** Markup made by the build from the module's own sources (never from the network). */
  function trusted(markup, tag, attrs) {
    var node = h(tag || 'div', attrs);
    node.innerHTML = markup;
    return node;
  }

  function button(text, onclick, secondary, attrs) {
    var a = attrs || {};
    a.type = 'button';
    a.class = 'button' + (secondary ? ' button--secondary' : '') + (a.class ? ' ' + a.class : '');
    a.onclick = onclick;
    return h('button', a, text);
  }

  /** A button that looks like a link (moves to another part of the module). */
  function linkButton(label, onclick) {
    return h('button', { type: 'button', class: 'contents__link', onclick: onclick }, label);
  }

  function nextId(prefix) {
    uid += 1;
    return prefix + '-' + uid;
  }

  function showNotice(text) {
    fill(notice, h('div', { class: 'notice' }, h('p', {}, text)));
  }

  function statusTag(kind, text) {
    return h('strong', { class: 'tag' + (kind ? ' tag--' + kind : '') }, text);
  }

  // -------------------------------------------------------------------------
  // Navigation
  // -------------------------------------------------------------------------

  var VIEWS = {
    welcome: renderWelcome,
    contents: renderContents,
    lesson: renderLesson,
    assessment: renderAssessment,
    question: renderQuestion,
    results: renderResults,
  };

  function parseLocation(loc) {
    var m = /^(lesson|question)-(\d+)$/.exec(loc || '');
    if (m) return { name: m[1], index: Number(m[2]) - 1 };
    return { name: VIEWS[loc] ? loc : 'contents', index: 0 };
  }

  /** Shows the view for a location; moves focus to its heading unless initial. */
  function go(loc, initial) {
    var where = parseLocation(loc);
    if (where.name === 'lesson' && !LESSONS[where.index]) where = { name: 'contents', index: 0 };
    if (where.name === 'question' && !(state.attempt && state.attempt.q[where.index])) {
      where = { name: 'assessment', index: 0 };
    }
    if (where.name === 'results' && !(state.attempt && state.attempt.done)) {
      where = { name: 'assessment', index: 0 };
    }
    state.location = where.name === 'lesson' || where.name === 'question'
      ? where.name + '-' + (where.index + 1) : where.name;
    if (!initial) fill(notice);
    view.removeAttribute('data-question-id');
    var title = VIEWS[where.name](where.index);
    document.title = title + ' – ' + M.title;
    save();
    if (!initial) {
      window.scrollTo(0, 0);
      var heading = view.querySelector('h1');
      if (heading) heading.focus();
    }
  }

  function pageHeading(text, caption) {
    return h('h1', { class: 'heading-xl', tabindex: '-1' },
      caption ? h('span', { class: 'caption' }, caption) : null, text);
  }

  // -------------------------------------------------------------------------
  // Welcome and contents
  // -------------------------------------------------------------------------

  function firstUnfinished() {
    for (var i = 0; i < LESSONS.length; i++) {
      if (state.lessons[i] !== 2) return 'lesson-' + (i + 1);
    }
    return 'assessment';
  }

  function renderWelcome() {
    var started = state.lessons.some(function (s) { return s > 0; });
    fill(view,
      pageHeading(M.title),
      trusted(M.welcome),
      h('div', { class: 'button-group' },
        button(started ? 'Continue where you left off' : 'Start the first lesson', function () {
          go(started ? firstUnfinished() : 'lesson-1');
        }),
        button('See the contents', function () { go('contents'); }, true)));
    return 'Welcome';
  }

  function assessmentStatus() {
    if (state.passed) return ['done', 'Passed'];
    if (state.attempt && !state.attempt.done) return ['progress', 'In progress'];
    if (state.history.length) return ['failed', 'Not passed yet'];
    if (!allLessonsDone()) return ['', 'After the lessons'];
    return ['', 'Not started'];
  }

  function renderContents() {
    var items = LESSONS.map(function (lesson, i) {
      var s = state.lessons[i];
      return h('li', {},
        h('span', { class: 'contents__text' },
          linkButton('Lesson ' + (i + 1) + ': ' + lesson.short, function () { go('lesson-' + (i + 1)); }),
          h('span', { class: 'contents__summary' }, lesson.summary)),
        s === 2 ? statusTag('done', 'Completed') : s === 1 ? statusTag('progress', 'In progress')
          : statusTag('', 'Not started'));
    });
    var st = assessmentStatus();
    items.push(h('li', {},
      h('span', { class: 'contents__text' },
        linkButton(A.title, function () { go('assessment'); }),
        h('span', { class: 'contents__summary' },
          A.perAttempt + ' questions. You need ' + percent(A.passMark) + ' to pass.')),
      statusTag(st[0], st[1])));
    fill(view,
      pageHeading('Contents'),
      h('p', {}, 'You have completed ' + lessonsDone() + ' of ' + LESSONS.length + ' lessons.' +
        (state.passed ? ' You have passed the final assessment.' : '')),
      h('ol', { class: 'contents' }, items),
      h('p', {}, button('About this module', function () { go('welcome'); }, true)));
    return 'Contents';
  }

  /** "1, 2 and 7" */
  function listText(items) {
    return items.length < 2 ? items.join('') : items.slice(0, -1).join(', ') + ' and ' + items[items.length - 1];
  }

  function percent(x) {
    return Math.round(x * 100) + '%';
  }

  // -------------------------------------------------------------------------
  // Lessons
  // -------------------------------------------------------------------------

  function renderLesson(i) {
    var lesson = LESSONS[i];
    if (state.lessons[i] === 0) state.lessons[i] = 1;
    var errors = h('div', {});
    var scenarios = [];
    var body = lesson.blocks.map(function (block) {
      if (block.type === 'html') return trusted(block.html);
      if (block.type === 'example') {
        return h('section', { class: 'example' },
          trusted(block.title, 'h3'), trusted(block.html));
      }
      if (block.type === 'contacts') return renderContacts(block);
      var sc = renderScenario(i, block);
      scenarios.push(sc);
      return sc.node;
    });
    var last = i === LESSONS.length - 1;
    fill(view,
      pageHeading(lesson.title, 'Lesson ' + (i + 1) + ' of ' + LESSONS.length),
      h('p', { class: 'hint' }, 'About ' + lesson.minutes + ' minutes.' +
        (state.lessons[i] === 2 ? ' You have completed this lesson.' : '')),
      errors,
      body,
      h('section', { class: 'sources', 'aria-labelledby': 'sources-' + i },
        h('h2', { id: 'sources-' + i }, 'Where this lesson comes from'),
        h('ul', {}, lesson.sources.map(function (s) { return trusted(s, 'li'); }))),
      h('div', { class: 'button-group' },
        button(last ? 'Complete the lesson and go to the assessment' : 'Complete the lesson and continue',
          function () { completeLesson(i, scenarios, errors); }),
        i > 0 ? button('Previous lesson', function () { go('lesson-' + i); }, true) : null));
    return 'Lesson ' + (i + 1) + ' of ' + LESSONS.length + ': ' + lesson.short;
  }

  function completeLesson(i, scenarios, errors) {
    var missing = scenarios.filter(function (sc) { return !state.scenarios[sc.key]; });
    if (missing.length) {
      var id = nextId('error-summary');
      var summary = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1', 'aria-labelledby': id },
        h('h2', { id: id }, 'There is a problem'),
        h('ul', {}, missing.map(function (sc) {
          return h('li', {}, h('a', {
            href: '#' + sc.firstInputId,
            onclick: function (event) {
              event.preventDefault();
              document.getElementById(sc.firstInputId).focus();
            },
          }, 'Answer the scenario \u201c' + sc.plainTitle + '\u201d before you continue'));
        })));
      fill(errors, summary);
      missing.forEach(function (sc) { sc.showError('Choose an answer, then select \u201cCheck my answer\u201d'); });
      summary.focus();
      return;
    }
    state.lessons[i] = 2;
    go(i === LESSONS.length - 1 ? 'assessment' : 'lesson-' + (i + 2));
  }

  /** Radios in a fieldset. Returns {fieldset, inputs, firstInputId, showError, clearError}. */
  function choiceGroup(name, legendNodes, options, checked, disabled) {
    var errorId = nextId('error');
    var error = h('p', { class: 'error-message', id: errorId, hidden: true });
    var inputs = [];
    var rows = options.map(function (o) {
      var id = nextId(name);
      var input = h('input', { type: 'radio', id: id, name: name, value: o.id });
      if (checked === o.id) input.checked = true;
      inputs.push(input);
      return h('div', { class: 'choice' }, input, trusted(o.html, 'label', { for: id }));
    });
    var fieldset = h('fieldset', { disabled: !!disabled }, h('legend', {}, legendNodes), error, rows);
    var group = fieldset;
    return {
      fieldset: fieldset,
      inputs: inputs,
      firstInputId: inputs[0].id,
      selected: function () {
        for (var k = 0; k < inputs.length; k++) if (inputs[k].checked) return inputs[k].value;
        return '';
      },
      showError: function (text) {
        fill(error, h('span', { class: 'visually-hidden' }, 'Error: '), text);
        error.hidden = false;
        group.classList.add('field--error');
        group.setAttribute('aria-describedby', errorId);
      },
      clearError: function () {
        error.hidden = true;
        group.classList.remove('field--error');
        group.removeAttribute('aria-describedby');
      },
      /** Labels the learner's answer and the correct one (the choices are then locked). */
      markAnswered: function (chosenId, correctId) {
        inputs.forEach(function (input) {
          var label = input.parentNode.querySelector('label');
          if (input.value === chosenId) {
            label.appendChild(h('strong', { class: 'choice__mark tag ' + (chosenId === correctId ? 'tag--done' : 'tag--failed') },
              chosenId === correctId ? 'Your answer: correct' : 'Your answer'));
          } else if (input.value === correctId) {
            label.appendChild(h('strong', { class: 'choice__mark tag tag--done' }, 'Correct answer'));
          }
        });
      },
    };
  }

  /** The options in a fixed order made from seed: the same learner sees the
   * same order again on resume, and the right answer is not always in the
   * same place. The option ids (a, b, c...) stay those of the source. */
  function seededOrder(options, seed) {
    var x = 2166136261;
    for (var c = 0; c < seed.length; c++) x = Math.imul(x ^ seed.charCodeAt(c), 16777619) >>> 0;
    var list = options.slice();
    for (var i = list.length - 1; i > 0; i--) {
      x ^= x << 13; x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5; x >>>= 0;
      var j = x % (i + 1);
      var t = list[i];
      list[i] = list[j];
      list[j] = t;
    }
    return list;
  }

  function optionById(options, id) {
    for (var k = 0; k < options.length; k++) if (options[k].id === id) return options[k];
    return null;
  }

  function correctOption(options) {
    for (var k = 0; k < options.length; k++) if (options[k].correct) return options[k];
    return null;
  }

  function renderScenario(lessonIndex, block) {
    var key = (lessonIndex + 1) + '.' + block.id;
    var titleId = nextId('scenario');
    var saved = state.scenarios[key] && optionById(block.options, state.scenarios[key]) ? state.scenarios[key] : '';
    var group = choiceGroup('sc-' + lessonIndex + '-' + block.id, trusted(block.question, 'span'),
      seededOrder(block.options, M.identifier + '/' + key), saved, false);
    var feedback = h('div', { class: 'feedback', role: 'status', 'aria-live': 'polite' });
    var titleNode = trusted(block.title, 'span');

    function showFeedback(id) {
      var chosen = optionById(block.options, id);
      var best = correctOption(block.options);
      var parts = [
        h('p', { class: 'feedback__verdict' }, chosen.correct ? 'Good choice.' : 'Not the best choice.'),
        trusted(chosen.feedback, 'p'),
      ];
      if (!chosen.correct) {
        parts.push(h('p', {}, h('strong', {}, 'The best choice: '), trusted(best.html, 'span')));
        parts.push(trusted(best.feedback, 'p'));
      }
      fill(feedback, h('div', {
        class: 'feedback__box ' + (chosen.correct ? 'feedback__box--right' : 'feedback__box--wrong'),
      }, parts));
    }

    if (saved) showFeedback(saved);
    var node = h('section', { class: 'scenario', 'aria-labelledby': titleId },
      h('h2', { id: titleId }, h('span', { class: 'scenario__label' }, 'Scenario'), titleNode),
      trusted(block.story),
      group.fieldset,
      button('Check my answer', function () {
        var id = group.selected();
        if (!id) {
          group.showError('Choose an answer');
          group.inputs[0].focus();
          return;
        }
        group.clearError();
        state.scenarios[key] = id;
        showFeedback(id);
        save();
      }, true),
      feedback);
    return {
      node: node, key: key, firstInputId: group.firstInputId, showError: group.showError,
      plainTitle: titleNode.textContent,
    };
  }

  // -------------------------------------------------------------------------
  // Local contacts (lesson 6): the learner's borough contacts when played in
  // Cairn, national guidance anywhere else
  // -------------------------------------------------------------------------

  var contactsPromise = null;

  function text(v, max) {
    return typeof v === 'string' && v.trim() ? v.trim().slice(0, max) : '';
  }

  /** GET /api/me/contacts (Cairn, same origin, session cookie): {borough, contacts} or null. */
  function loadContacts() {
    if (contactsPromise) return contactsPromise;
    contactsPromise = new Promise(function (resolve) {
      if (!window.fetch) {
        resolve(null);
        return;
      }
      var controller = window.AbortController ? new AbortController() : null;
      var timer = setTimeout(function () { if (controller) controller.abort(); resolve(null); }, 8000);
      fetch('/api/me/contacts', {
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { Accept: 'application/json' },
        signal: controller ? controller.signal : undefined,
      }).then(function (response) {
        var type = response.headers.get('Content-Type') || '';
        if (!response.ok || type.indexOf('json') < 0) throw new Error('no contacts (' + response.status + ')');
        return response.json();
      }).then(function (body) {
        if (!body || !Array.isArray(body.contacts)) throw new Error('not a contacts answer');
        var contacts = body.contacts.map(function (c) {
          if (!c || typeof c !== 'object') return null;
          var role = text(c.role, 120), name = text(c.name, 200);
          if (!role || !name) return null;
          return {
            role: role, name: name, phone: text(c.phone, 60), email: text(c.email, 200),
            hours: text(c.hours, 200), url: text(c.url, 300), note: text(c.note, 400),
          };
        }).filter(Boolean);
        var borough = body.borough && text(body.borough.name, 200);
        resolve(contacts.length ? { borough: borough, contacts: contacts } : null);
      }).catch(function () {
        resolve(null);
      }).then(function () {
        clearTimeout(timer);
      });
    });
    return contactsPromise;
  }

  function contactItem(c) {
    var rows = [];
    function row(label, value) {
      rows.push(h('dt', {}, label), h('dd', {}, value));
    }
    if (c.phone) {
      var digits = c.phone.replace(/[^0-9+]/g, '');
      row('Phone', digits ? h('a', { href: 'tel:' + digits }, c.phone) : c.phone);
    }
    if (c.email && /^[^\s@<>"]+@[^\s@<>"]+$/.test(c.email)) {
      row('Email', h('a', { href: 'mailto:' + c.email }, c.email));
    }
    if (c.hours) row('When', c.hours);
    if (c.url && /^https?:\/\//i.test(c.url)) {
      row('Website', h('a', { href: c.url, target: '_blank', rel: 'noopener noreferrer' },
        c.url, ' (opens in new tab)'));
    }
    if (c.note) row('Note', c.note);
    return h('li', { class: 'contact' },
      h('h3', {}, c.role),
      h('p', {}, c.name),
      rows.length ? h('dl', {}, rows) : null);
  }

  function renderContacts(block) {
    var box = h('div', { class: 'contacts', 'aria-busy': 'true' },
      h('p', { class: 'hint' }, 'Looking up the contacts for your area…'));
    loadContacts().then(function (found) {
      box.removeAttribute('aria-busy');
      if (found) {
        box.setAttribute('data-contacts', 'local');
        fill(box,
          found.borough ? h('p', {}, h('strong', {}, 'Your area: ' + found.borough)) : null,
          trusted(block.intro),
          h('ul', { class: 'contact-list' }, found.contacts.map(contactItem)),
          h('p', {}, 'If a child is in immediate danger, call the police on 999.'));
      } else {
        box.setAttribute('data-contacts', 'national');
        fill(box, trusted(block.fallback));
      }
    });
    return box;
  }

  // -------------------------------------------------------------------------
  // The assessment
  // -------------------------------------------------------------------------

  function randomInt(n) {
    if (window.crypto && window.crypto.getRandomValues) {
      var buf = new Uint32Array(1);
      window.crypto.getRandomValues(buf);
      return buf[0] % n;
    }
    return Math.floor(Math.random() * n);
  }

  function shuffle(list) {
    for (var i = list.length - 1; i > 0; i--) {
      var j = randomInt(i + 1);
      var t = list[i];
      list[i] = list[j];
      list[j] = t;
    }
    return list;
  }

  /** A random set of questions: one from each lesson, the rest from the whole pool. */
  function drawQuestions() {
    var chosen = [];
    for (var n = 1; n <= LESSONS.length; n++) {
      var own = A.questions.filter(function (q) { return q.lesson === n; });
      if (own.length) chosen.push(own[randomInt(own.length)].id);
    }
    var rest = shuffle(A.questions.map(function (q) { return q.id; }).filter(function (id) {
      return chosen.indexOf(id) < 0;
    }));
    chosen = chosen.concat(rest.slice(0, Math.max(0, A.perAttempt - chosen.length)));
    return shuffle(chosen.slice(0, A.perAttempt));
  }

  function startAttempt() {
    var n = state.attempt ? state.attempt.n + 1 : state.history.length + 1;
    var q = drawQuestions();
    state.attempt = { n: n, q: q, r: q.map(function () { return ''; }), done: false };
    go('question-1');
  }

  function answeredCount() {
    return state.attempt ? state.attempt.r.filter(Boolean).length : 0;
  }

  function scoreOf(attempt) {
    var right = 0;
    attempt.q.forEach(function (id, k) {
      var o = optionById(QUESTIONS[id].options, attempt.r[k]);
      if (o && o.correct) right++;
    });
    return right;
  }

  function renderAssessment() {
    var parts = [pageHeading(A.title)];
    if (!allLessonsDone()) {
      parts.push(
        h('div', { class: 'notice' },
          h('p', {}, 'You can take the final assessment when you have completed all ' + LESSONS.length +
            ' lessons. You still need to complete:'),
          h('ul', {}, LESSONS.map(function (lesson, i) {
            if (state.lessons[i] === 2) return null;
            return h('li', {}, linkButton('Lesson ' + (i + 1) + ': ' + lesson.short,
              function () { go('lesson-' + (i + 1)); }));
          }))),
        trusted(A.intro));
      return finishAssessmentView(parts);
    }
    if (state.passed) {
      var best = state.history[state.history.length - 1] || [0, 1];
      parts.push(h('div', { class: 'panel panel--success' },
        h('p', {}, 'You have passed the final assessment with ' + best[0] + ' out of ' + best[1] + '.')),
      h('div', { class: 'button-group' },
        state.attempt && state.attempt.done ? button('See your result', function () { go('results'); }) : null,
        button('Back to the contents', function () { go('contents'); }, true)));
      return finishAssessmentView(parts);
    }
    parts.push(trusted(A.intro));
    var group = h('div', { class: 'button-group' });
    if (state.attempt && !state.attempt.done) {
      var next = state.attempt.r.indexOf('');
      parts.push(h('p', {}, 'You have answered ' + answeredCount() + ' of ' + state.attempt.q.length +
        ' questions so far.'));
      group.appendChild(button('Continue the assessment', function () { go('question-' + (next + 1)); }));
    } else {
      if (state.history.length) {
        var last = state.history[state.history.length - 1];
        parts.push(h('p', {}, 'Your last score was ' + last[0] + ' out of ' + last[1] +
          '. The next try has a new set of questions.'));
      }
      group.appendChild(button(state.history.length ? 'Start a new try' : 'Start the assessment', startAttempt));
    }
    group.appendChild(button('Back to the contents', function () { go('contents'); }, true));
    parts.push(group);
    return finishAssessmentView(parts);
  }

  function finishAssessmentView(parts) {
    fill(view, parts);
    return A.title;
  }

  function renderQuestion(k) {
    var attempt = state.attempt;
    var q = QUESTIONS[attempt.q[k]];
    var total = attempt.q.length;
    var answer = attempt.r[k];
    var shownAt = Date.now();
    var group = choiceGroup('q-' + q.id, trusted(q.question, 'span'),
      seededOrder(q.options, q.id + '/' + attempt.n), answer, !!answer);
    var feedback = h('div', { class: 'feedback', role: 'status', 'aria-live': 'polite' });
    var lastQuestion = k === total - 1;
    var nextButton = button(lastQuestion ? 'See your result' : 'Next question', function () {
      if (lastQuestion || attempt.done) {
        go(attempt.done ? 'results' : 'question-' + (attempt.r.indexOf('') + 1));
      } else {
        go('question-' + (k + 2));
      }
    }, false, { hidden: !answer });
    var submit = button('Submit answer', function () {
      var id = group.selected();
      if (!id) {
        group.showError('Choose an answer');
        group.inputs[0].focus();
        return;
      }
      group.clearError();
      attempt.r[k] = id;
      recordInteraction(q, id, Date.now() - shownAt);
      if (attempt.r.indexOf('') < 0) finishAttempt();
      group.fieldset.disabled = true;
      group.markAnswered(id, correctOption(q.options).id);
      submit.hidden = true;
      nextButton.hidden = false;
      showAnswerFeedback(feedback, q, id);
      save();
      nextButton.focus();
    }, false, { hidden: !!answer });
    if (answer) {
      showAnswerFeedback(feedback, q, answer);
      group.markAnswered(answer, correctOption(q.options).id);
    }
    fill(view,
      pageHeading('Question ' + (k + 1) + ' of ' + total, A.title),
      trusted(q.stem),
      group.fieldset,
      feedback,
      h('div', { class: 'button-group' }, submit, nextButton));
    view.setAttribute('data-question-id', q.id);
    return 'Question ' + (k + 1) + ' of ' + total;
  }

  function showAnswerFeedback(box, q, id) {
    var chosen = optionById(q.options, id);
    var best = correctOption(q.options);
    fill(box, h('div', {
      class: 'feedback__box ' + (chosen.correct ? 'feedback__box--right' : 'feedback__box--wrong'),
    },
    h('p', { class: 'feedback__verdict' }, chosen.correct ? 'Correct.' : 'Incorrect.'),
    trusted(chosen.feedback, 'p'),
    chosen.correct ? null : h('p', {}, h('strong', {}, 'The correct answer: '), trusted(best.html, 'span')),
    trusted(q.explanation)));
  }

  /** One cmi.interactions entry for an answer. */
  function recordInteraction(q, id, latencyMs) {
    if (!scorm.open || !scorm.recording) return;
    var count = Number(scorm.get('cmi.interactions._count')) || 0;
    var n = count;
    if (count >= MAX_INTERACTIONS) {
      // Full: update the latest entry for this question, or the oldest one.
      n = 0;
      for (var k = count - 1; k >= 0; k--) {
        if (scorm.get('cmi.interactions.' + k + '.id') === q.id) {
          n = k;
          break;
        }
      }
    }
    var base = 'cmi.interactions.' + n + '.';
    var right = correctOption(q.options);
    scorm.set(base + 'id', q.id);
    scorm.set(base + 'type', 'choice');
    scorm.set(base + 'timestamp', timestamp(new Date()));
    scorm.set(base + 'weighting', '1');
    scorm.set(base + 'correct_responses.0.pattern', right.id);
    scorm.set(base + 'learner_response', id);
    scorm.set(base + 'result', id === right.id ? 'correct' : 'incorrect');
    scorm.set(base + 'latency', duration(latencyMs));
    scorm.set(base + 'description', q.summary);
  }

  /** Scores the finished try and reports it. */
  function finishAttempt() {
    var attempt = state.attempt;
    attempt.done = true;
    var right = scoreOf(attempt);
    var total = attempt.q.length;
    state.history.push([right, total]);
    var scaled = Math.round((right / total) * 10000) / 10000;
    var passed = scaled >= passScaled() - 1e-9;
    if (passed) state.passed = true;
    scorm.set('cmi.score.min', '0');
    scorm.set('cmi.score.max', String(total));
    scorm.set('cmi.score.raw', String(right));
    scorm.set('cmi.score.scaled', String(scaled));
    scorm.set('cmi.success_status', passed ? 'passed' : 'failed');
  }

  function renderResults() {
    var attempt = state.attempt;
    var total = attempt.q.length;
    var right = scoreOf(attempt);
    var passed = right / total >= passScaled() - 1e-9;
    var needed = Math.ceil(passScaled() * total - 1e-9);
    var wrongLessons = [];
    var list = attempt.q.map(function (id, k) {
      var q = QUESTIONS[id];
      var chosen = optionById(q.options, attempt.r[k]);
      var best = correctOption(q.options);
      if (!chosen.correct && wrongLessons.indexOf(q.lesson) < 0) wrongLessons.push(q.lesson);
      return h('li', {}, h('details', {},
        h('summary', {}, h('span', {}, 'Question ' + (k + 1) + ': ' + (chosen.correct ? 'correct' : 'incorrect') +
          ' – ' + q.summary)),
        h('div', { class: 'details__body' },
          trusted(q.stem),
          h('p', {}, h('strong', {}, trusted(q.question, 'span'))),
          h('p', {}, h('strong', {}, 'Your answer: '), trusted(chosen.html, 'span')),
          chosen.correct ? null : h('p', {}, h('strong', {}, 'The correct answer: '), trusted(best.html, 'span')),
          trusted(q.explanation))));
    });
    wrongLessons.sort(function (x, y) { return x - y; });
    var actions = h('div', { class: 'button-group' });
    if (passed) {
      actions.appendChild(button('Finish the module', finishModule));
      actions.appendChild(button('Review the lessons', function () { go('contents'); }, true));
    } else {
      actions.appendChild(button('Try again with new questions', startAttempt));
      actions.appendChild(button('Review the lessons', function () { go('contents'); }, true));
    }
    fill(view,
      pageHeading(passed ? 'You passed' : 'You have not passed this time', A.title),
      h('div', { class: 'panel ' + (passed ? 'panel--success' : 'panel--failure') },
        h('p', {}, h('span', { class: 'panel__big' }, right + ' out of ' + total + ' (' + percent(right / total) + ')')),
        h('p', {}, 'The pass mark is ' + percent(passScaled()) + ': ' + needed + ' out of ' + total + '.')),
      passed
        ? h('p', {}, scorm.open && scorm.recording
          ? 'Well done. Your result has been saved to your training record.'
          : 'Well done.')
        : h('p', {}, 'You can try again as many times as you need, with a new set of questions. ' +
          'It may help to look again at ' + (wrongLessons.length === 1 ? 'lesson ' : 'lessons ') +
          listText(wrongLessons) + ' first.'),
      actions,
      h('h2', {}, 'Your answers'),
      h('p', {}, 'Open each question to see your answer and the explanation.'),
      h('ol', { class: 'results-list' }, list));
    return passed ? 'You passed' : 'You have not passed this time';
  }

  // -------------------------------------------------------------------------
  // Leaving
  // -------------------------------------------------------------------------

  function closedView(heading, textLine) {
    fill(notice);
    fill(view, pageHeading(heading), h('p', {}, textLine));
    document.title = heading + ' – ' + M.title;
    saveButton.hidden = true;
    contentsButton.hidden = true;
    view.querySelector('h1').focus();
  }

  /** After passing: the attempt ends ("normal"), and the LMS closes the module. */
  function finishModule() {
    save();
    scorm.set('adl.nav.request', 'exitAll');
    scorm.terminate();
    closedView('You have finished the module', 'Your result has been saved. You can now close this window.');
  }

  /** Keeps the bookmark ("suspend" unless passed) and asks the LMS to close the module. */
  function saveAndExit() {
    save();
    scorm.set('adl.nav.request', state.passed ? 'exitAll' : 'suspendAll');
    scorm.terminate();
    closedView('Your progress has been saved', 'You can now close this window. When you open the module again, it will start where you left off.');
  }

  /** The page is going away (tab closed, the LMS moved on): save and terminate. */
  function onLeave() {
    if (!scorm.open) return;
    if (scorm.recording) {
      scorm.set('cmi.location', state.location);
      scorm.set('cmi.suspend_data', encode());
      scorm.set('cmi.exit', state.passed ? 'normal' : 'suspend');
    }
    scorm.terminate();
  }

  var contentsButton = document.getElementById('nav-contents');
  var saveButton = document.getElementById('nav-save');

  function start() {
    var connected = scorm.init();
    var resumed = false;
    var location = '';
    if (connected) {
      // A new attempt has no saved data to read (and reading unset
      // elements is error 403); any other entry may resume.
      if (scorm.get('cmi.entry') !== 'ab-initio') {
        resumed = decode(scorm.get('cmi.suspend_data'));
        location = scorm.get('cmi.location');
      }
      if (scorm.get('cmi.success_status') === 'passed') state.passed = true;
      saveButton.hidden = false;
      // pagehide, not unload: browsers are retiring unload, and pagehide
      // comes first, while the LMS's page can still take the final commit.
      window.addEventListener('pagehide', onLeave);
    } else {
      showNotice('This module was opened outside a learning management system, so your progress will not be saved.');
    }
    contentsButton.addEventListener('click', function () { go('contents'); });
    document.querySelector('.skip-link').addEventListener('click', function (event) {
      event.preventDefault();
      document.getElementById('main').focus();
    });
    saveButton.addEventListener('click', saveAndExit);
    if (resumed && connected) {
      var where = parseLocation(location);
      var intro = 'Welcome back. You are where you left off.';
      if (!notice.firstChild) showNotice(intro);
      go(location && (VIEWS[where.name]) ? location : 'contents', true);
    } else {
      go('welcome', true);
    }
  }

  start();
}());
