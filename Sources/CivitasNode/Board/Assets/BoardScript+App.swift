extension BoardAssets {
    /// `/board/app.js`: the page — views of the records by kind, the key dialog,
    /// signing and submitting actions, the live feed, verification badges.
    static let appScript = #"""
import { fromHex, toHex, concat, encodeSigningMessage, NOTICE_CATEGORIES, RESPONSE_STATUSES, ROLES, CodecError,
  REWARD_MAX_PRICE, REWARD_MAX_QUANTITY } from './codec.js';
import { DOMAINS, domainDigest, signDigest, pemToPKCS8, importPrivateKey, sealKey, unsealKey } from './crypto.js';
import { trustFromGenesis, verifyBundle } from './verify.js';
import { runSelfTest } from './selftest.js';
import { T, setLanguage, language, formatTime, formatDuration, personText, roleName } from './i18n.js';

// ---- Small helpers -------------------------------------------------------------

const $ = (id) => document.getElementById(id);

/** Builds an element; strings become text nodes (never HTML: every record is untrusted text). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

class NodeRefusal extends Error {
  constructor(reason, status) { super(reason); this.status = status; }
}

async function api(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  let body = {};
  try { body = await response.json(); } catch { /* not JSON */ }
  if (!response.ok) throw new NodeRefusal(body.error || `HTTP ${response.status}`, response.status);
  return body;
}

let serial = 0;
const uid = (prefix) => `${prefix}-${++serial}`;

// ---- State -----------------------------------------------------------------------

const state = {
  view: 'notices',
  genesis: null,      // /v1/board/genesis
  trust: null,        // {hash, community, validatorKeys, genesis}
  trustProblem: null, // i18n key when the pinned genesis differs
  head: null,
  me: null,           // {signingKey, publicKey (hex), subject: /v1/subjects answer}
  selftest: null,
  people: new Map(),  // subject ID hex → person, for names in reasons
  titles: new Map(),  // transaction ID hex → title, for reasons
  verified: new Map(),// transaction ID hex → Promise of a verification
  data: {},
  providers: null,
  refreshTimer: null,
  acting: 0,          // actions in flight: a refresh waits for them
  refreshPending: false,
};

function remember(person) {
  if (person && person.id) state.people.set(person.id, person);
  return person;
}

/** The node's reason with subject IDs and record IDs replaced by names and titles. */
function humanize(reason) {
  return String(reason)
    .replace(/sub_([0-9a-f]{32})/g, (all, id) => (state.people.has(id) ? personText(state.people.get(id)) : all))
    .replace(/\b([0-9a-f]{64})\b/g, (all, id) => (state.titles.has(id) ? `«${state.titles.get(id)}»` : `#${id.slice(0, 8)}`));
}

// ---- Language ----------------------------------------------------------------------

function initialLanguage() {
  const asked = new URLSearchParams(location.search).get('lang');
  if (asked === 'zh' || asked === 'en') return asked;
  const kept = localStorage.getItem('civitas.lang');
  if (kept === 'zh' || kept === 'en') return kept;
  return document.documentElement.lang.startsWith('en') ? 'en' : 'zh';
}

function applyLanguage(lang) {
  setLanguage(lang);
  localStorage.setItem('civitas.lang', lang);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = T('title');
  const url = new URL(location.href);
  url.searchParams.set('lang', lang);
  history.replaceState(null, '', url);
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = T(el.dataset.i18n);
  $('lang-button').textContent = lang === 'zh' ? 'English' : '中文';
  $('lang-button').setAttribute('lang', lang === 'zh' ? 'en' : 'zh');
  $('lang-button').setAttribute('aria-label', T('switchLanguage'));
  document.querySelector('nav').setAttribute('aria-label', T('sections'));
  renderChrome();
}

// ---- Chrome: header, key bar, footer -------------------------------------------------

function renderChrome() {
  $('community-name').textContent = state.genesis ? T('boardOf', { community: state.genesis.community }) : T('board');
  const live = $('live');
  live.textContent = live.dataset.live === 'on' ? T('live') : T('reconnecting');
  $('head').textContent = state.head ? T('headAt', { height: state.head.height, time: formatTime(state.head.time) }) : '';
  $('key-button').textContent = state.me ? T('closeKey') : T('openKey');
  const me = $('me');
  me.replaceChildren();
  if (state.me) {
    const s = state.me.subject;
    me.hidden = false;
    me.append(h('span', {}, T('signedInAs'), ' ', h('strong', {}, personText({ name: s.displayName, unit: s.unit })), ' · ',
      s.roles.map(roleName).join(T('listSeparator'))));
  } else {
    me.hidden = true;
  }
  const trust = $('trust');
  trust.replaceChildren();
  if (state.trust) {
    const fingerprint = state.trust.hash.slice(0, 16).replace(/(.{4})/g, '$1 ').trim();
    trust.append(T('trustLine', { fingerprint, validators: state.trust.genesis.validators.map(v => v.name).join(T('listSeparator')) }));
  }
  if (state.trustProblem) trust.append(h('strong', { class: 'bad' }, ' ', T(state.trustProblem)));
  const st = $('selftest');
  if (state.selftest) {
    st.textContent = state.selftest.ok ? T('selftestOK', { checks: state.selftest.checks })
      : T('selftestFailed', { failures: state.selftest.failures.join('; ') });
  }
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.view === state.view) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
}

function showAlert(text) {
  const el = $('alert');
  el.textContent = text || '';
  el.hidden = !text;
}

// ---- Verification badges -----------------------------------------------------------

const slots = { free: 4, waiting: [] };
async function withSlot(work) {
  if (slots.free === 0) await new Promise(resolve => slots.waiting.push(resolve)); else slots.free -= 1;
  try { return await work(); } finally {
    const next = slots.waiting.shift();
    if (next) next(); else slots.free += 1;
  }
}

function verification(id) {
  if (!state.verified.has(id)) {
    const p = withSlot(async () => {
      if (state.trustProblem === 'why.insecureContext') return { ok: false, reason: 'insecureContext' };
      if (!state.trust || state.trustProblem) return { ok: false, reason: state.trustProblem ? 'genesisProblem' : 'noTrust' };
      let bundle;
      try { bundle = await api(`/v1/board/transactions/${id}`); } catch (e) { return { ok: false, reason: 'notServed', detail: e.message }; }
      try { return await verifyBundle(bundle, id, state.trust); } catch (e) { return { ok: false, reason: 'badTransaction', detail: e.message }; }
    });
    state.verified.set(id, p);
    p.then(r => { if (!r.ok && r.reason === 'notServed') state.verified.delete(id); });
  }
  return state.verified.get(id);
}

/** A badge naming the record's block that the page fills in once it checked the record itself. */
function badge(id, height, matches) {
  const summary = h('summary', { class: 'badge pending' }, T('blockNumber', { height }), ' · ', T('verifying'));
  const body = h('div', { class: 'proof' });
  const el = h('details', { class: 'verify', dataset: { tx: id } }, summary, body);
  verification(id).then(result => {
    let r = result;
    if (r.ok && matches && !matches(r.transaction.payload)) r = { ...r, ok: false, reason: 'contentMismatch' };
    summary.className = 'badge ' + (r.ok ? 'ok' : 'bad');
    summary.replaceChildren(T('blockNumber', { height }), ' · ', r.ok ? T('verifiedHere') : T('notVerified'));
    el.dataset.verified = r.ok ? 'yes' : 'no';
    body.replaceChildren();
    if (r.ok) {
      body.append(h('ul', {},
        h('li', {}, T('proofSignature')),
        h('li', {}, T('proofIncluded', { height: r.height })),
        h('li', {}, T('proofCertificate', { signed: r.signed, total: state.trust.validatorKeys.length })),
        h('li', {}, T('proofGenesis', { fingerprint: state.trust.hash.slice(0, 16) }))));
    } else {
      body.append(h('p', {}, T('why.' + r.reason)), r.detail ? h('p', { class: 'muted' }, r.detail) : null);
    }
  });
  return el;
}

// ---- Keys -------------------------------------------------------------------------------

const KEYS = 'civitas.keys';
const savedKeys = () => { try { return JSON.parse(localStorage.getItem(KEYS) || '[]'); } catch { return []; } };

async function openKey(pkcs8) {
  const { signingKey, publicKey } = await importPrivateKey(pkcs8);
  const hex = toHex(publicKey);
  let subject;
  try { subject = await api(`/v1/subjects/${hex}`); } catch (e) {
    if (e.status === 404) throw new CodecError(T('keyUnknown', { community: state.genesis.community }));
    throw e;
  }
  if (!subject.active) throw new CodecError(T('keyRevoked'));
  state.me = { signingKey, publicKey: hex, subject };
  remember({ id: subject.id, name: subject.displayName, unit: subject.unit, roles: subject.roles });
  return subject;
}

function renderSavedKeys() {
  const box = $('saved-keys');
  box.replaceChildren();
  const keys = savedKeys().filter(k => state.genesis && k.community === state.genesis.community);
  if (keys.length === 0) return;
  const list = h('ul', { class: 'saved' });
  for (const k of keys) {
    const pass = uid('unlock');
    const status = h('span', { class: 'status', role: 'status' });
    const input = h('input', { type: 'password', id: pass, autocomplete: 'current-password' });
    list.append(h('li', {},
      h('strong', {}, personText({ name: k.name, unit: k.unit })),
      h('label', { for: pass }, T('passphraseFor', { name: k.name })), input,
      h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: async () => {
          status.textContent = T('unlocking');
          try {
            const pkcs8 = await unsealKey(k.sealed, input.value);
            await openKey(pkcs8);
            input.value = '';
            $('key-dialog').close();
            renderAll();
          } catch (e) { status.textContent = e.message === 'wrong passphrase' ? T('wrongPassphrase') : e.message; }
        } }, T('unlock')),
        h('button', { type: 'button', class: 'secondary', onclick: () => {
          localStorage.setItem(KEYS, JSON.stringify(savedKeys().filter(x => x.publicKey !== k.publicKey)));
          renderSavedKeys();
        } }, T('forget'))),
      status));
  }
  box.append(h('h3', {}, T('savedKeys')), list);
}

function setUpKeyDialog() {
  const dialog = $('key-dialog');
  $('key-button').addEventListener('click', () => {
    if (state.me) { state.me = null; renderAll(); return; }
    $('key-status').textContent = '';
    renderSavedKeys();
    dialog.showModal();
  });
  $('key-cancel').addEventListener('click', () => dialog.close());
  $('key-open').addEventListener('click', async () => {
    const status = $('key-status');
    status.textContent = T('opening');
    try {
      const file = $('key-file').files[0];
      const text = file ? await file.text() : $('key-pem').value;
      const pkcs8 = pemToPKCS8(text);
      const remember = $('key-remember').checked;
      const passphrase = $('key-passphrase').value;
      if (remember && passphrase.length < 8) throw new CodecError(T('passphraseShort'));
      const subject = await openKey(pkcs8);
      if (remember) {
        const sealed = await sealKey(pkcs8, passphrase);
        const keys = savedKeys().filter(k => k.publicKey !== state.me.publicKey);
        keys.push({ publicKey: state.me.publicKey, community: state.genesis.community, name: subject.displayName, unit: subject.unit, sealed });
        localStorage.setItem(KEYS, JSON.stringify(keys));
      }
      pkcs8.fill(0);
      $('key-pem').value = ''; $('key-file').value = ''; $('key-passphrase').value = ''; $('key-remember').checked = false;
      dialog.close();
      renderAll();
    } catch (e) {
      status.textContent = e.message;
    }
  });
}

const hasRole = (...roles) => !!state.me && roles.some(r => state.me.subject.roles.includes(r));

// ---- Acting: sign in the page, submit, show the node's answer -------------------------------

/** Shows an action's outcome in its form and in the page's result line (which outlives re-rendering). */
function report(status, kind, ...content) {
  for (const el of [status, $('result')]) {
    el.className = (el === status ? 'status ' : 'result ') + (kind || '');
    el.replaceChildren(...content.map(c => (c instanceof Node ? c.cloneNode(true) : c)));
    el.hidden = false;
  }
  $('result').dataset.outcome = kind || 'progress';
  // Each finished action counts once, so a reader can tell this outcome from the last one.
  if (kind) $('result').dataset.seq = String(Number($('result').dataset.seq || 0) + 1);
}

async function act(payload, status, button) {
  if (!state.me) { report(status, 'error', T('needKey')); return false; }
  if (!state.selftest || !state.selftest.ok) { report(status, 'error', T('selftestBlocks')); return false; }
  if (button) button.disabled = true;
  state.acting += 1;
  try {
    report(status, '', T('signing'));
    const subject = await api(`/v1/subjects/${state.me.publicKey}`);
    state.me.subject = subject;
    const tx = { community: state.genesis.community, signer: state.me.publicKey, nonce: subject.nextNonce, time: Date.now(), payload };
    const message = encodeSigningMessage(tx);
    const signature = await signDigest(state.me.signingKey, await domainDigest(DOMAINS.transaction, message));
    report(status, '', T('submitting'));
    const response = await fetch('/v1/transactions?wait=committed&timeout_ms=20000', {
      method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: concat(message, signature),
    });
    let body = {};
    try { body = await response.json(); } catch { /* not JSON */ }
    if (response.status === 200 && body.applied) {
      report(status, 'good', T('recorded', { height: body.height }));
      state.refreshPending = true;
      // Done with the form: the result line takes the focus (and is read out), and the view may refresh.
      $('result').focus();
      return true;
    }
    if (response.status === 202) {
      report(status, '', T('stillPending'));
      return true;
    }
    const reason = body.reason || body.error || `HTTP ${response.status}`;
    report(status, 'error', h('span', {}, body.status === 'committed' ? T('refusedInBlock', { height: body.height }) : T('refused')), ' ',
      h('span', { class: 'reason', dataset: { reason } }, humanize(reason)));
    return false;
  } catch (e) {
    report(status, 'error', e instanceof CodecError ? e.message : T('failed', { message: e.message }));
    return false;
  } finally {
    if (button) button.disabled = false;
    state.acting -= 1;
    if (state.acting === 0 && state.refreshPending) scheduleRefresh(0);
  }
}

/** A form whose submit button signs `build()`'s payload; `build` may throw CodecError with a message to show. */
function actionForm(label, fields, build, { buttons, onDone } = {}) {
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit' }, label);
  const form = h('form', { class: 'action-form', novalidate: true }, fields, h('div', { class: 'actions' }, submit, buttons || []), status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    let payload;
    try { payload = build(event.submitter || submit); } catch (e) { status.className = 'status error'; status.textContent = e.message; return; }
    if (await act(payload, status, submit)) {
      form.reset();
      // Done: the section folds away (a refresh keeps it folded).
      form.closest('details')?.removeAttribute('open');
      if (onDone) onDone();
    }
  });
  return form;
}

/** A labelled control. Controls of the view carry IDs made from record IDs, so a refresh puts typed input back in its place. */
function field(label, control, hint) {
  const id = control.id || uid('f');
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('small', { class: 'muted' }, hint) : null);
}

function required(value, what) {
  const v = value.trim();
  if (!v) throw new CodecError(T('missing', { what }));
  return v;
}

// ---- Views --------------------------------------------------------------------------------

const VIEWS = { notices: renderNotices, proposals: renderProposals, requests: renderRequests, providers: renderProviders,
  points: renderPoints, blocks: renderBlocks };

/** A view's heading and its content (lists flattened; null and false left out). */
function section(titleKey, ...content) {
  return [h('h2', { id: 'view-title', tabindex: '-1' }, T(titleKey)), ...content.flat(Infinity).filter(c => c !== null && c !== undefined && c !== false)];
}

function composer(titleKey, form, openNow) {
  return h('details', { class: 'composer', open: openNow || false, dataset: { key: 'composer-' + titleKey } }, h('summary', {}, T(titleKey)), form);
}

function chip(text, kind) { return h('span', { class: 'chip ' + (kind || '') }, text); }

function meta(...parts) { return h('p', { class: 'meta' }, parts.filter(Boolean).map((p, i) => (i ? [' · ', p] : p))); }

// Notices ------------------------------------------------------------------------------------

function issuableCategories() {
  const issuers = { partyAffairs: ['partyBranch'], housingAffairs: ['ownersCommittee', 'propertyManager'],
    finance: ['residentsCommittee', 'ownersCommittee'], services: ['residentsCommittee', 'propertyManager', 'serviceProvider', 'streetOffice'],
    general: ROLES.filter(r => r !== 'resident') };
  return NOTICE_CATEGORIES.filter(c => hasRole(...issuers[c]));
}

function noticeComposer(correcting) {
  const categories = correcting ? [correcting.category] : issuableCategories();
  if (categories.length === 0) return null;
  // A correction's fields have IDs of their own: a refresh must not put a new notice's typed text into them.
  const prefix = correcting ? 'correction' : 'notice';
  const category = h('select', { id: prefix + '-category' }, categories.map(c => h('option', { value: c }, T('category.' + c))));
  const title = h('input', { type: 'text', id: prefix + '-title', maxlength: 256, value: correcting ? correcting.title : '' });
  const body = h('textarea', { id: prefix + '-body', rows: 5 });
  if (correcting) body.value = correcting.body;
  const form = actionForm(correcting ? T('signCorrection') : T('signPublish'), [
    correcting ? h('p', { class: 'muted' }, T('correcting', { title: correcting.title })) : null,
    field(T('category'), category), field(T('noticeTitle'), title), field(T('noticeBody'), body),
  ], () => ({ kind: 'notice', category: category.value, title: required(title.value, T('noticeTitle')), body: required(body.value, T('noticeBody')),
    supersedes: correcting ? correcting.id : null, attachments: [] }), {
    onDone: () => { state.data.correcting = null; },
    buttons: correcting ? [h('button', { type: 'button', class: 'secondary', onclick: () => { state.data.correcting = null; render(); } }, T('cancel'))] : [],
  });
  return composer(correcting ? 'correctNotice' : 'publishNotice', form, !!correcting);
}

async function renderNotices(main) {
  const filter = h('select', { id: 'notice-filter' }, h('option', { value: '' }, T('allCategories')),
    NOTICE_CATEGORIES.map(c => h('option', { value: c }, T('category.' + c))));
  filter.value = state.data.noticeCategory || '';
  filter.addEventListener('change', () => { state.data.noticeCategory = filter.value; render(); });
  const q = state.data.noticeCategory ? `?category=${state.data.noticeCategory}` : '';
  // Each item is /v1's notice (with its chain) and its issuer by name.
  const items = (await api('/v1/board/notices' + q)).items.map(x => ({ ...x.notice, issuer: x.issuer, trail: x.notice.chain }));
  const slot = h('div', { id: 'notice-composer' }, noticeComposer(state.data.correcting || null));
  const list = h('ul', { class: 'cards' });
  for (const n of items) {
    remember(n.issuer);
    state.titles.set(n.id, n.title);
    const mine = state.me && n.issuer.id === state.me.subject.id;
    const trail = n.trail.length > 1 ? h('details', { class: 'trail', dataset: { key: 'trail-' + n.id } },
      h('summary', {}, T('correctionTrail', { count: n.trail.length })),
      h('ol', {}, n.trail.map(v => h('li', {}, h('strong', {}, T('version', { version: v.version })), ' ', formatTime(v.time), ' — ',
        h('span', { class: 'trail-title' }, v.title), h('p', { class: 'body' }, v.body),
        badge(v.id, v.height, p => p.title === v.title && p.body === v.body))))) : null;
    list.append(h('li', { class: 'card', dataset: { id: n.id } },
      h('div', { class: 'chips' }, chip(T('category.' + n.category), 'category'), n.version > 1 ? chip(T('corrected', { version: n.version }), 'warn') : null),
      h('h3', {}, n.title), h('p', { class: 'body' }, n.body),
      meta(personText(n.issuer), formatTime(n.time)),
      badge(n.id, n.height, p => p.kind === 'notice' && p.title === n.title && p.body === n.body && p.category === n.category),
      trail,
      mine && hasRole(...ROLES.filter(r => r !== 'resident')) ? h('button', { type: 'button', class: 'secondary', onclick: async () => {
        state.data.correcting = n;
        await render();
        $('notice-composer').querySelector('input')?.focus();
      } }, T('correctThis')) : null));
  }
  main.append(...section('tabNotices', slot, field(T('category'), filter), items.length ? list : h('p', { class: 'empty' }, T('noNotices'))));
}

// Proposals ----------------------------------------------------------------------------------

function percent(bp) { return (bp / 100).toLocaleString(language() === 'zh' ? 'zh-CN' : 'en', { maximumFractionDigits: 2 }) + '%'; }

/** Offices open a proposal directly; a resident records a draft that opens once enough residents endorse it. */
function proposalComposer() {
  const office = hasRole('residentsCommittee', 'ownersCommittee', 'partyBranch', 'streetOffice');
  if (!office && !hasRole('resident')) return null;
  const title = h('input', { type: 'text', id: 'proposal-title', maxlength: 256 });
  const description = h('textarea', { id: 'proposal-description', rows: 4 });
  const options = h('textarea', { id: 'proposal-options', rows: 3 });
  options.value = T('defaultOptions');
  const roleBoxes = ROLES.map(r => {
    const id = 'proposal-role-' + r;
    return h('span', { class: 'check' }, h('input', { type: 'checkbox', id, value: r, checked: r === 'resident' }), h('label', { for: id }, roleName(r)));
  });
  const closes = h('input', { type: 'datetime-local', id: 'proposal-closes' });
  const quorum = h('input', { type: 'number', id: 'proposal-quorum', min: 0, max: 100, step: '0.01', value: 50 });
  const pass = h('input', { type: 'number', id: 'proposal-pass', min: 0.01, max: 100, step: '0.01', value: 50.01 });
  const form = actionForm(office ? T('signOpen') : T('signDraft'), [
    office ? null : h('p', { class: 'muted' }, T('draftHelp', { needed: state.genesis.proposalEndorsements })),
    field(T('proposalTitle'), title), field(T('proposalDescription'), description),
    field(T('proposalOptions'), options, T('oneOptionPerLine')),
    h('fieldset', {}, h('legend', {}, T('eligibleRoles')), roleBoxes),
    field(T('closesAt'), closes), field(T('quorumPercent'), quorum), field(T('passPercent'), pass),
  ], () => {
    const opts = options.value.split('\n').map(s => s.trim()).filter(Boolean);
    if (opts.length < 2 || opts.length > 16) throw new CodecError(T('optionsCount'));
    const eligibleRoles = roleBoxes.map(b => b.querySelector('input')).filter(i => i.checked).map(i => i.value);
    if (eligibleRoles.length === 0) throw new CodecError(T('missing', { what: T('eligibleRoles') }));
    const when = Date.parse(closes.value);
    if (!Number.isFinite(when) || when <= Date.now()) throw new CodecError(T('closesInFuture'));
    const terms = { title: required(title.value, T('proposalTitle')), description: description.value.trim(), options: opts,
      eligibleRoles, closing: { kind: 'time', value: when },
      quorumBasisPoints: Math.round(Number(quorum.value) * 100), passBasisPoints: Math.round(Number(pass.value) * 100) };
    return office ? { kind: 'proposal', terms, endorsements: [] } : { kind: 'proposalDraft', terms };
  });
  return composer(office ? 'openProposal' : 'proposeDraft', form);
}

function draftCard(d) {
  remember(d.proposer);
  d.endorsements.forEach(e => remember(e.endorser));
  state.titles.set(d.id, d.title);
  const me = state.me && state.me.subject.id;
  const endorsed = d.endorsements.some(e => e.endorser.id === me);
  const closing = d.closingKind === 'time' ? T('closesTime', { time: formatTime(d.closingValue) }) : T('closesHeight', { height: d.closingValue });
  const mayEndorse = hasRole('resident') && d.proposer.id !== me && !endorsed;
  const form = mayEndorse ? actionForm(T('signEndorse'), [h('p', { class: 'muted' }, T('endorseHelp'))],
    () => ({ kind: 'endorsement', draft: d.id })) : null;
  return h('li', { class: 'card', dataset: { id: d.id, draft: 'yes' } },
    h('div', { class: 'chips' }, chip(T('draftChip'), 'warn'), chip(T('endorsedCount', { count: d.endorsements.length, needed: d.needed }), 'category')),
    h('h3', {}, d.title), d.description ? h('p', { class: 'body' }, d.description) : null,
    meta(T('proposedBy', { person: personText(d.proposer) }), closing),
    h('p', { class: 'meta' }, T('optionsLine', { options: d.options.join(' / ') })),
    d.endorsements.length ? h('p', { class: 'meta endorsers' }, T('endorsersLine', { names: d.endorsements.map(e => personText(e.endorser)).join(T('listSeparator')) })) : null,
    badge(d.id, d.height, x => x.kind === 'proposalDraft' && x.terms.title === d.title),
    form ? h('details', { class: 'action', dataset: { key: 'endorse-' + d.id } }, h('summary', {}, T('endorse')), form) : null);
}

function tally(p) {
  const total = p.votes.reduce((a, b) => a + b, 0);
  return h('div', { class: 'tally', role: 'group', 'aria-label': T('tally') },
    p.options.map((o, i) => {
      const share = total ? Math.round((p.votes[i] * 1000) / total) / 10 : 0;
      return h('div', { class: 'option' + (p.outcome === 'passed' && i === p.leading ? ' won' : '') },
        h('div', { class: 'option-label' }, h('span', {}, o), h('span', { class: 'count', dataset: { option: i } }, T('votes', { votes: p.votes[i], share }))),
        h('div', { class: 'bar', 'aria-hidden': 'true' }, h('span', { style: null, dataset: { share } })));
    }),
    h('p', { class: 'meta' }, T('turnout', { cast: p.ballotsCast, electorate: p.electorateSize, needed: Math.ceil((p.quorumBasisPoints * p.electorateSize) / 10000) })));
}

function ballotForm(p) {
  if (!state.me || p.status !== 'open') return null;
  const name = 'ballot-' + p.id;
  const radios = p.options.map((o, i) => {
    const id = `${name}-${i}`;
    return h('div', { class: 'check' }, h('input', { type: 'radio', name, id, value: i }), h('label', { for: id }, o));
  });
  const form = actionForm(T('signVote'), [h('fieldset', {}, h('legend', {}, T('yourBallot')), radios),
    h('p', { class: 'muted' }, T('ballotHint', { roles: p.eligibleRoles.map(roleName).join(T('listSeparator')) }))], () => {
    const chosen = radios.map(r => r.querySelector('input')).find(i => i.checked);
    if (!chosen) throw new CodecError(T('chooseOption'));
    return { kind: 'ballot', proposal: p.id, choice: Number(chosen.value) };
  });
  return h('details', { class: 'action', dataset: { key: 'vote-' + p.id } }, h('summary', {}, T('vote')), form);
}

async function renderProposals(main) {
  const [answer, drafts] = await Promise.all([api('/v1/board/proposals'), api('/v1/board/drafts')]);
  const items = answer.items
    .map(x => ({ ...x.proposal, proposer: x.proposer, endorsers: x.endorsers, votes: x.votes, outcome: x.proposal.tally?.outcome }));
  const list = h('ul', { class: 'cards' });
  for (const p of items) {
    remember(p.proposer);
    state.titles.set(p.id, p.title);
    const top = Math.max(...p.votes);
    p.leading = p.votes.filter(v => v === top).length === 1 ? p.votes.indexOf(top) : -1;
    const closing = p.closingKind === 'time' ? T('closesTime', { time: formatTime(p.closingValue) }) : T('closesHeight', { height: p.closingValue });
    list.append(h('li', { class: 'card', dataset: { id: p.id } },
      h('div', { class: 'chips' }, p.status === 'open' ? chip(T('open'), 'good') : chip(T('outcome.' + p.outcome), p.outcome === 'passed' ? 'good' : 'warn')),
      h('h3', {}, p.title), p.description ? h('p', { class: 'body' }, p.description) : null,
      meta(T('proposedBy', { person: personText(p.proposer) }), p.endorsements ? T('endorsedBy', { count: p.endorsements }) : null),
      p.endorsers.length ? h('p', { class: 'meta endorsers' }, T('endorsersLine', { names: p.endorsers.map(personText).join(T('listSeparator')) })) : null,
      meta(T('electorate', { size: p.electorateSize, roles: p.eligibleRoles.map(roleName).join(T('listSeparator')) }),
        T('quorum', { share: percent(p.quorumBasisPoints) }), T('passShare', { share: percent(p.passBasisPoints) }),
        p.status === 'open' ? closing : T('closedAt', { time: formatTime(p.closedTime) })),
      tally(p),
      // A resident's proposal opened from its draft: the transaction with its ID is the draft.
      badge(p.id, p.height, x => (x.kind === 'proposal' || x.kind === 'proposalDraft') && x.terms.title === p.title),
      ballotForm(p)));
  }
  const draftList = h('ul', { class: 'cards' }, drafts.items.map(draftCard));
  main.append(...section('tabProposals', h('div', {}, proposalComposer()),
    drafts.items.length ? [h('h3', { class: 'group' }, T('draftsTitle')), h('p', { class: 'muted' }, T('draftsHelp', { needed: state.genesis.proposalEndorsements })), draftList,
      h('h3', { class: 'group' }, T('proposalsTitle'))] : null,
    items.length ? list : h('p', { class: 'empty' }, T('noProposals'))));
  for (const bar of main.querySelectorAll('.bar span')) bar.style.width = bar.dataset.share + '%';
}

// Service requests --------------------------------------------------------------------------

function serviceName(code) {
  const known = T('service.' + code);
  return known === 'service.' + code ? code : known;
}

/** Offered in the service list besides the genesis document's own codes. */
const COMMON_SERVICES = ['elevator', 'water', 'plumbing', 'sanitation', 'streetlight', 'repair', 'security', 'greening', 'parking', 'noise'];

function requestComposer() {
  if (!state.me) return null;
  const codes = [...new Set([...state.genesis.serviceCodes.map(s => s.code), ...COMMON_SERVICES])];
  const code = h('select', { id: 'request-service' }, codes.map(c => h('option', { value: c }, serviceName(c))), h('option', { value: '' }, T('otherService')));
  const other = h('input', { type: 'text', id: 'request-other', maxlength: 256 });
  const otherField = field(T('otherServiceCode'), other);
  otherField.hidden = true;
  code.addEventListener('change', () => { otherField.hidden = code.value !== ''; });
  const description = h('textarea', { id: 'request-description', rows: 4 });
  const location = h('input', { type: 'text', id: 'request-location', maxlength: 256, value: state.me.subject.unit });
  const form = actionForm(T('signRequest'), [field(T('service'), code), otherField, field(T('requestDescription'), description),
    field(T('requestLocation'), location, T('noPersonalData'))], () => ({
    kind: 'serviceRequest', serviceCode: code.value || required(other.value, T('otherServiceCode')),
    description: required(description.value, T('requestDescription')), location: required(location.value, T('requestLocation')) }));
  return composer('newRequest', form);
}

async function providerChoices() {
  if (!state.providers) {
    const [a, b] = await Promise.all([api('/v1/board/subjects?role=serviceProvider'), api('/v1/board/subjects?role=propertyManager')]);
    state.providers = [...a.items, ...b.items].filter((p, i, all) => all.findIndex(q => q.id === p.id) === i);
    state.providers.forEach(remember);
  }
  return state.providers;
}

function requestActions(r, providers) {
  const out = [];
  if (!state.me) return out;
  const me = state.me.subject.id;
  if (r.requester.id === me && r.status === 'resolved') {
    const name = 'rating-' + r.id;
    const stars = [5, 4, 3, 2, 1].map(n => {
      const id = `${name}-${n}`;
      return h('span', { class: 'check' }, h('input', { type: 'radio', name, id, value: n }), h('label', { for: id }, T('stars', { n })));
    });
    const comment = h('textarea', { id: `close-${r.id}-comment`, rows: 2 });
    const reopen = h('button', { type: 'submit', class: 'secondary', value: 'reopen' }, T('reopen'));
    const form = actionForm(T('signClose'), [h('fieldset', {}, h('legend', {}, T('rating')), stars), field(T('comment'), comment)], (button) => {
      if (button === reopen) return { kind: 'closure', request: r.id, outcome: 'reopened', rating: 0, comment: comment.value.trim() };
      const chosen = stars.map(s => s.querySelector('input')).find(i => i.checked);
      if (!chosen) throw new CodecError(T('chooseRating'));
      return { kind: 'closure', request: r.id, outcome: 'closed', rating: Number(chosen.value), comment: comment.value.trim() };
    }, { buttons: [reopen] });
    out.push(h('details', { class: 'action', dataset: { key: 'close-' + r.id } }, h('summary', {}, T('closeOrReopen')), form));
  }
  if (hasRole('propertyManager', 'residentsCommittee', 'streetOffice') && r.status !== 'closed') {
    const provider = h('select', { id: `assign-${r.id}-provider` }, providers.map(p => h('option', { value: p.id }, personText(p))));
    const note = h('textarea', { id: `assign-${r.id}-note`, rows: 2 });
    const form = actionForm(T('signAssign'), [field(T('provider'), provider), field(T('note'), note)], () => {
      if (!provider.value) throw new CodecError(T('missing', { what: T('provider') }));
      return { kind: 'assignment', request: r.id, provider: provider.value, note: note.value.trim() };
    });
    out.push(h('details', { class: 'action', dataset: { key: 'assign-' + r.id } }, h('summary', {}, r.provider ? T('reassign') : T('assign')), form));
  }
  if (r.provider && r.provider.id === me && ['assigned', 'acknowledged', 'inProgress', 'reopened'].includes(r.status)) {
    const status = h('select', { id: `respond-${r.id}-status` }, RESPONSE_STATUSES.map(s => h('option', { value: s }, T('response.' + s))));
    const note = h('textarea', { id: `respond-${r.id}-note`, rows: 2 });
    const form = actionForm(T('signRespond'), [field(T('responseStatus'), status), field(T('note'), note)],
      () => ({ kind: 'serviceResponse', request: r.id, status: status.value, note: note.value.trim() }));
    out.push(h('details', { class: 'action', dataset: { key: 'respond-' + r.id } }, h('summary', {}, T('respond')), form));
  }
  return out;
}

function timelineStep(e) {
  let what;
  switch (e.kind) {
    case 'request': what = T('step.request'); break;
    case 'assignment': what = T('step.assignment', { provider: personText(e.provider) }); break;
    case 'response': what = T('step.response', { status: T('responseText.' + e.status) }); break;
    default: what = e.status === 'closed' ? T('step.closed', { stars: '★'.repeat(e.rating || 0) + '☆'.repeat(5 - (e.rating || 0)) }) : T('step.reopened');
  }
  return h('li', {}, h('time', {}, formatTime(e.time)), ' ', h('strong', {}, what), ' — ', personText(e.actor),
    e.note ? h('p', { class: 'body' }, e.note) : null, badge(e.transaction, e.height));
}

async function renderRequests(main) {
  const [answer, providers] = await Promise.all([api('/v1/board/service-requests'), state.me ? providerChoices() : []]);
  const items = answer.items.map(x => ({ ...x.request, requester: x.requester, provider: x.provider, breached: x.breached, timeline: x.timeline }));
  const list = h('ul', { class: 'cards' });
  for (const r of items) {
    remember(r.requester); remember(r.provider);
    state.titles.set(r.id, `${serviceName(r.serviceCode)}: ${r.description.slice(0, 40)}`);
    const statusKind = r.status === 'closed' ? '' : r.status === 'resolved' ? 'good' : 'warn';
    list.append(h('li', { class: 'card', dataset: { id: r.id, status: r.status } },
      h('div', { class: 'chips' }, chip(T('status.' + r.status), statusKind), chip(serviceName(r.serviceCode), 'category'),
        r.breached ? chip(T('overdue'), 'bad') : null, r.rating ? chip('★'.repeat(r.rating), 'good') : null),
      h('h3', {}, r.description), meta(T('at', { location: r.location }), T('requestedBy', { person: personText(r.requester) })),
      meta(T('deadline', { time: formatTime(r.deadline) }), r.provider ? T('assignedTo', { person: personText(r.provider) }) : T('unassigned')),
      h('ol', { class: 'timeline', 'aria-label': T('timeline') }, r.timeline.map(timelineStep)),
      requestActions(r, providers)));
  }
  main.append(...section('tabRequests', h('div', {}, requestComposer()), items.length ? list : h('p', { class: 'empty' }, T('noRequests'))));
}

// Supervision, points, blocks ----------------------------------------------------------------

function table(caption, headers, rows) {
  return h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption },
    h('table', {}, h('caption', {}, caption), h('thead', {}, h('tr', {}, headers.map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.map(r => h('tr', {}, r.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c) : h('td', {}, c))))))));
}

async function renderProviders(main) {
  const items = (await api('/v1/board/providers')).items.map(x => ({ ...x.figures, provider: x.provider }));
  items.forEach(p => remember(p.provider));
  const dash = '—';
  main.append(...section('tabProviders', h('p', { class: 'muted' }, T('supervisionHelp')), items.length ? table(T('supervisionCaption'),
    [T('provider'), T('assignments'), T('firstResponse'), T('timeToResolve'), T('resolutionRate'), T('breaches'), T('averageRating')],
    items.map(p => [personText(p.provider), String(p.assignments),
      p.averageResponseMillis == null ? dash : formatDuration(p.averageResponseMillis),
      p.averageResolveMillis == null ? dash : formatDuration(p.averageResolveMillis),
      percent(p.resolutionRateBasisPoints), String(p.breaches),
      p.averageRatingHundredths == null ? dash : `${(p.averageRatingHundredths / 100).toFixed(2)} ★ (${p.ratings})`])) : h('p', { class: 'empty' }, T('noProviders'))));
}

function rewardComposer() {
  if (!hasRole('socialOrganization', 'propertyManager')) return null;
  const title = h('input', { type: 'text', id: 'reward-title', maxlength: 256 });
  const description = h('textarea', { id: 'reward-description', rows: 3 });
  const price = h('input', { type: 'number', id: 'reward-price', min: 1, max: REWARD_MAX_PRICE, step: 1, value: 10 });
  const quantity = h('input', { type: 'number', id: 'reward-quantity', min: 1, max: REWARD_MAX_QUANTITY, step: 1, value: 1 });
  const form = actionForm(T('signOffer'), [field(T('rewardTitle'), title), field(T('rewardDescription'), description),
    field(T('rewardPrice'), price), field(T('rewardQuantity'), quantity)], () => ({
    kind: 'rewardOffer', title: required(title.value, T('rewardTitle')), description: description.value.trim(),
    price: Number(price.value), quantity: Number(quantity.value) }));
  return composer('offerReward', form);
}

function rewardCard(r, holder) {
  remember(r.publisher);
  state.titles.set(r.id, r.title);
  const mine = state.me && r.publisher.id === state.me.subject.id;
  const form = state.me && !mine && r.remaining > 0 ? actionForm(T('signRedeem'),
    [h('p', { class: 'muted' }, T('redeemHelp', { price: r.price, balance: holder ? holder.balance : 0 }))],
    () => ({ kind: 'redemption', offer: r.id })) : null;
  return h('li', { class: 'card', dataset: { id: r.id, reward: 'yes' } },
    h('div', { class: 'chips' }, chip(T('pricePoints', { price: r.price }), 'category'),
      chip(T('remaining', { remaining: r.remaining, quantity: r.quantity }), r.remaining ? 'good' : 'warn')),
    h('h3', {}, r.title), r.description ? h('p', { class: 'body' }, r.description) : null,
    meta(T('offeredBy', { person: personText(r.publisher) }), formatTime(r.time)),
    badge(r.id, r.height, x => x.kind === 'rewardOffer' && x.title === r.title && x.price === r.price),
    form ? h('details', { class: 'action', dataset: { key: 'redeem-' + r.id } }, h('summary', {}, T('redeem')), form) : null);
}

async function renderPoints(main) {
  const mine = state.me ? `?subject=${state.me.subject.id}` : '';
  const [volunteers, supply, rewards, redemptions] = await Promise.all([api('/v1/board/volunteers?limit=500'),
    api('/v1/board/points' + mine), api('/v1/board/rewards'), api('/v1/board/redemptions')]);
  const items = volunteers.items.map(x => ({ ...x.totals, volunteer: x.volunteer, spent: x.spent, balance: x.balance }));
  items.forEach(v => remember(v.volunteer));
  const holder = supply.subject || null;
  // The page adds the listed balances itself (when every holder is listed), beside the node's own sums.
  const listed = items.reduce((sum, v) => sum + v.balance, 0);
  const complete = items.length < 500;
  const addsUp = supply.addsUp && (!complete || listed === supply.outstanding);
  const summary = h('section', { class: 'supply', 'aria-labelledby': 'supply-title', dataset: { addsUp: addsUp ? 'yes' : 'no' } },
    h('h3', { id: 'supply-title' }, T('supplyTitle')),
    h('dl', {},
      h('div', {}, h('dt', {}, T('issued')), h('dd', { dataset: { figure: 'issued' } }, String(supply.issued))),
      h('div', {}, h('dt', {}, T('redeemedPoints')), h('dd', { dataset: { figure: 'redeemed' } }, String(supply.redeemed))),
      h('div', {}, h('dt', {}, T('outstanding')), h('dd', { dataset: { figure: 'outstanding' } }, String(supply.outstanding)))),
    h('p', { class: addsUp ? 'good' : 'bad' }, addsUp ? T('supplyAddsUp', { balances: supply.balances, holders: supply.holders })
      : T('supplyBroken', { balances: supply.balances, listed })),
    holder ? h('p', { class: 'mine' }, T('yourPoints', { earned: holder.earned, spent: holder.spent, balance: holder.balance })) : null);
  const rewardList = h('ul', { class: 'cards' }, rewards.items.map(r => rewardCard(r, holder)));
  const redeemed = redemptions.items;
  redeemed.forEach(r => { remember(r.redeemer); remember(r.publisher); });
  main.append(...section('tabPoints', h('p', { class: 'muted' }, T('pointsHelp', { perHour: state.genesis.pointsPerHour })),
    summary,
    h('h3', { class: 'group' }, T('rewardsTitle')), h('div', {}, rewardComposer()),
    rewards.items.length ? rewardList : h('p', { class: 'empty' }, T('noRewards')),
    redeemed.length ? [h('h3', { class: 'group' }, T('redemptionsTitle')), h('ul', { class: 'entries redemptions' }, redeemed.map(r =>
      h('li', {}, h('time', {}, formatTime(r.time)), ' ', T('redemptionLine', { redeemer: personText(r.redeemer), title: r.title,
        points: r.points, publisher: personText(r.publisher) }), badge(r.id, r.height, x => x.kind === 'redemption' && x.offer === r.offer))))] : null,
    h('h3', { class: 'group' }, T('pointsCaption')),
    items.length ? table(T('pointsCaption'), [T('volunteer'), T('hours'), T('records'), T('points'), T('spent'), T('balance')],
      items.map(v => [personText(v.volunteer), (v.minutes / 60).toFixed(1), String(v.records), String(v.points), String(v.spent),
        String(v.balance)])) : h('p', { class: 'empty' }, T('noPoints'))));
}

async function renderBlocks(main) {
  const { items } = await api('/v1/board/blocks');
  const list = h('ul', { class: 'cards' });
  for (const b of items) {
    b.transactions.forEach(t => remember(t.signer));
    list.append(h('li', { class: 'card', dataset: { height: b.height } },
      h('h3', {}, T('blockNumber', { height: b.height })), meta(formatTime(b.time), T('transactionsCount', { count: b.transactionCount }),
        b.rejectedCount ? T('rejectedCount', { count: b.rejectedCount }) : null),
      h('ul', { class: 'entries' }, b.transactions.map((t, i) => h('li', {}, h('strong', {}, T('kind.' + t.kind)), ' — ', personText(t.signer),
        t.applied ? null : h('span', { class: 'bad' }, ' ', T('rejectedBecause', { reason: humanize(t.reason) })),
        i === 0 ? badge(t.id, b.height) : null)))));
  }
  main.append(...section('tabBlocks', items.length ? list : h('p', { class: 'empty' }, T('noBlocks'))));
}

// ---- Rendering and refresh -------------------------------------------------------------------

let renders = 0;

/**
 * Re-renders the current view, keeping open details, typed input and focus
 * (read when the new view is ready, so nothing typed meanwhile is lost). A
 * render overtaken by a later one is dropped; a background refresh (`quiet`)
 * is put off while someone works in a form.
 */
async function render({ quiet = false } = {}) {
  const generation = ++renders;
  const view = state.view;
  const main = $('main');
  const next = h('div', { class: 'view' });
  try {
    await VIEWS[view](next);
  } catch (e) {
    next.replaceChildren(h('p', { class: 'error' }, T('loadFailed', { message: humanize(e.message) })));
  }
  if (generation !== renders) return;
  if (quiet && interacting()) { state.refreshPending = true; return; }
  const keep = {};
  for (const el of main.querySelectorAll('input, textarea, select')) {
    if (el.id && el.type !== 'file') keep[el.id] = el.type === 'checkbox' || el.type === 'radio' ? el.checked : el.value;
  }
  const open = new Set([...main.querySelectorAll('details[open][data-key]')].map(d => d.dataset.key));
  const focused = document.activeElement && main.contains(document.activeElement) ? document.activeElement.id : null;
  main.replaceChildren(next);
  for (const d of main.querySelectorAll('details[data-key]')) if (open.has(d.dataset.key)) d.open = true;
  for (const [id, v] of Object.entries(keep)) {
    const el = document.getElementById(id);
    if (!el || !main.contains(el)) continue;
    if (el.type === 'checkbox' || el.type === 'radio') el.checked = v; else if (el.value !== undefined) el.value = v;
  }
  if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
  document.body.dataset.state = 'ready';
  document.body.dataset.view = view;
  // Whose actions the view offers (tests and assistive tools can wait on it).
  document.body.dataset.renderedFor = state.me ? state.me.subject.id : '';
}

function renderAll() { renderChrome(); return render(); }

/** True while someone works in a form of the view: new records then wait, so nothing moves under their hands. */
function interacting() {
  const active = document.activeElement;
  return !!(active && active !== document.body && $('main').contains(active) && active.closest('form'));
}

function scheduleRefresh(delay = 250) {
  clearTimeout(state.refreshTimer);
  if (state.acting > 0 || interacting()) { state.refreshPending = true; return; }
  state.refreshTimer = setTimeout(() => {
    if (state.acting > 0 || interacting()) { state.refreshPending = true; return; }
    state.refreshPending = false;
    render({ quiet: true });
  }, delay);
}

// A refresh put off while a form had focus runs once the focus leaves it.
document.addEventListener('focusout', () => setTimeout(() => { if (state.refreshPending) scheduleRefresh(0); }, 0));

function route() {
  const view = location.hash.slice(1);
  state.view = VIEWS[view] ? view : 'notices';
  renderChrome();
  render().then(() => { if (location.hash) $('view-title')?.focus(); });
}

function connectLive() {
  const live = $('live');
  const events = new EventSource('/v1/board/events');
  events.addEventListener('open', () => { live.dataset.live = 'on'; renderChrome(); });
  events.addEventListener('error', () => { live.dataset.live = 'off'; renderChrome(); });
  events.addEventListener('block', (event) => {
    const head = JSON.parse(event.data);
    const changed = !state.head || state.head.height !== head.height;
    state.head = head;
    document.body.dataset.height = String(head.height);
    renderChrome();
    if (changed) scheduleRefresh();
  });
}

async function start() {
  applyLanguage(initialLanguage());
  $('lang-button').addEventListener('click', () => { applyLanguage(language() === 'zh' ? 'en' : 'zh'); render(); });
  setUpKeyDialog();
  window.addEventListener('hashchange', route);
  state.genesis = await api('/v1/board/genesis');
  // WebCrypto exists only in a secure context (HTTPS, or localhost): without it the page can read but neither verify nor sign.
  if (!window.isSecureContext || !crypto.subtle) {
    state.selftest = { ok: false, checks: 0, failures: [T('insecureContext')] };
    document.body.dataset.selftest = 'insecure';
    state.trustProblem = 'why.insecureContext';
    showAlert(T('insecureContext'));
    connectLive();
    route();
    return;
  }
  const vectors = await api('/board/vectors.json');
  state.selftest = await runSelfTest(vectors);
  document.body.dataset.selftest = state.selftest.ok ? 'ok' : 'failed';
  const trust = await trustFromGenesis(state.genesis.document);
  const pinKey = `civitas.genesis.${trust.community}`;
  const pinned = localStorage.getItem(pinKey);
  if (trust.hash !== state.genesis.hash) state.trustProblem = 'why.genesisMismatch';
  else if (pinned && pinned !== trust.hash) state.trustProblem = 'why.genesisChanged';
  else if (!pinned) localStorage.setItem(pinKey, trust.hash);
  state.trust = trust;
  if (state.trustProblem) showAlert(T(state.trustProblem));
  connectLive();
  route();
}

start().catch(e => {
  document.body.dataset.state = 'failed';
  showAlert(T('loadFailed', { message: e.message }));
});

// Tests and the curious can reach the page's state (nothing secret: the key is not extractable).
window.civitasBoard = { state, runSelfTest };
"""#
}
