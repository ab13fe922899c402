extension BoardAssets {
    /// `/board/codec.js`: the canonical codec of docs/codec.md in the page —
    /// every transaction kind both ways, block headers, genesis documents.
    /// `/board/vectors.json` (checked by the Swift tests too) keeps it in step.
    static let codecScript = #"""
// Civitas canonical codec (docs/codec.md), as far as the board needs it.
// Numbers: varints decode to Number when they fit 2^53, else BigInt.

const utf8 = new TextEncoder();
const strictUTF8 = new TextDecoder('utf-8', { fatal: true });

export class CodecError extends Error {
  constructor(message) { super(message); this.name = 'CodecError'; }
}

export function toHex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(text, length) {
  if (typeof text !== 'string' || text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new CodecError('not hex: ' + String(text).slice(0, 20));
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
  if (length !== undefined && out.length !== length) throw new CodecError(`expected ${length} bytes, got ${out.length}`);
  return out;
}

export function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

// Field maxima (Sources/CivitasLedger/FieldLimits.swift).
export const LIMITS = {
  name: 128, shortText: 256, title: 256, longText: 16384, note: 4096, attachments: 16, options: 16,
  endorsements: 256, validators: 64, genesisEntries: 100000, community: 64, blockTransactions: 65536,
  federationCommunities: 256, caCertificate: 2048, federationDocument: 61440, provenTransaction: 32768,
};

export const ROLES = ['resident', 'residentsCommittee', 'partyBranch', 'ownersCommittee', 'propertyManager',
  'socialOrganization', 'serviceProvider', 'streetOffice'];
export const NOTICE_CATEGORIES = ['partyAffairs', 'housingAffairs', 'finance', 'services', 'general'];
export const RESPONSE_STATUSES = ['acknowledged', 'inProgress', 'resolvedFixed', 'resolvedNotResponsible',
  'resolvedDuplicate', 'resolvedReferred'];
export const KINDS = ['', 'registration', 'notice', 'proposal', 'ballot', 'serviceRequest', 'assignment',
  'serviceResponse', 'closure', 'volunteerRecord', 'checkpoint', 'referral', 'proposalDraft', 'endorsement',
  'rewardOffer', 'redemption', 'federationAdoption', 'referralRelay', 'referralAnswer'];

// Rewards (Sources/CivitasLedger/Governance/Rewards.swift).
export const REWARD_MAX_PRICE = 1000000;
export const REWARD_MAX_QUANTITY = 100000;

export function roleMask(roles) {
  let m = 0;
  for (const r of roles) {
    const i = ROLES.indexOf(r);
    if (i < 0) throw new CodecError('unknown role ' + r);
    m |= 1 << i;
  }
  return m;
}

export function rolesOf(mask) { return ROLES.filter((_, i) => (mask & (1 << i)) !== 0); }

function bigOf(n, field) {
  const v = typeof n === 'bigint' ? n : (Number.isSafeInteger(n) ? BigInt(n) : null);
  if (v === null || v < 0n || v > 0xffffffffffffffffn) throw new CodecError(`${field}: ${n} is not a 64-bit unsigned integer`);
  return v;
}

export class Writer {
  constructor() { this.bytes = []; }
  u8(b) { this.bytes.push(b & 0xff); }
  raw(bytes) { for (const b of bytes) this.bytes.push(b); }
  varint(n, field = 'varint') {
    let v = bigOf(n, field);
    while (v >= 0x80n) { this.bytes.push(Number(v & 0x7fn) | 0x80); v >>= 7n; }
    this.bytes.push(Number(v));
  }
  fixed(hexOrBytes, length, field) {
    const b = typeof hexOrBytes === 'string' ? fromHex(hexOrBytes) : hexOrBytes;
    if (!b || b.length !== length) throw new CodecError(`${field} must be ${length} bytes`);
    this.raw(b);
  }
  string(s, max, field) {
    const b = utf8.encode(s);
    if (b.length > max) throw new CodecError(`${field} is ${b.length} bytes; at most ${max}`);
    this.varint(b.length);
    this.raw(b);
  }
  tag(value, options, field) {
    const i = options.indexOf(value);
    if (i < 0) throw new CodecError(`${field}: '${value}' is not one of ${options.join(', ')}`);
    this.u8(i);
  }
  bool(value, field) {
    if (typeof value !== 'boolean') throw new CodecError(`${field} must be true or false`);
    this.u8(value ? 1 : 0);
  }
  result() { return Uint8Array.from(this.bytes); }
}

export class Reader {
  constructor(bytes) { this.b = bytes; this.o = 0; }
  get remaining() { return this.b.length - this.o; }
  fail(why) { throw new CodecError(`${why} at byte ${this.o}`); }
  u8() { if (this.remaining < 1) this.fail('unexpected end'); return this.b[this.o++]; }
  take(n) {
    if (n > this.remaining) this.fail(`needs ${n} bytes, ${this.remaining} left`);
    const out = this.b.slice(this.o, this.o + n);
    this.o += n;
    return out;
  }
  big() {
    let v = 0n, shift = 0n;
    for (let i = 0; i < 10; i++) {
      const byte = this.u8();
      if (i === 9 && byte > 1) this.fail('varint overflow');
      v |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) {
        if (i > 0 && byte === 0) this.fail('overlong varint');
        return v;
      }
      shift += 7n;
    }
    this.fail('varint too long');
  }
  varint() { const v = this.big(); return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v; }
  small(field, max) {
    const v = this.big();
    if (v > BigInt(max)) this.fail(`${field} ${v} is above ${max}`);
    return Number(v);
  }
  hex(n) { return toHex(this.take(n)); }
  string(max, field = 'string') {
    const n = this.small(field + ' length', max);
    try { return strictUTF8.decode(this.take(n)); } catch (e) { if (e instanceof CodecError) throw e; this.fail(field + ' is not UTF-8'); }
  }
  tag(options, field) {
    const t = this.u8();
    if (t >= options.length) this.fail(`unknown ${field} ${t}`);
    return options[t];
  }
  count(max, minSize, field) {
    const n = this.small(field + ' count', max);
    if (n * minSize > this.remaining) this.fail(`${field}: ${n} elements cannot fit`);
    return n;
  }
  list(max, minSize, field, read) {
    const n = this.count(max, minSize, field);
    const out = [];
    for (let i = 0; i < n; i++) out.push(read());
    return out;
  }
  optional(read) {
    const flag = this.u8();
    if (flag > 1) this.fail('bad optional flag');
    return flag === 1 ? read() : null;
  }
  bool() { const b = this.u8(); if (b > 1) this.fail('bad bool'); return b === 1; }
  finish() { if (this.remaining !== 0) this.fail('trailing bytes'); }
  header(type, version, what) {
    const t = this.u8(), v = this.u8();
    if (t !== type) this.fail(`not a ${what} (type 0x${t.toString(16)})`);
    if (v !== version) this.fail(`unknown ${what} version ${v}`);
  }
}

// ---- Payloads --------------------------------------------------------------

function writeCommunity(w, name) {
  if (!/^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$/.test(name)) throw new CodecError(`'${name}' is not a community name`);
  w.string(name, LIMITS.community, 'community');
}

function readCommunity(r) {
  const s = r.string(LIMITS.community, 'community');
  if (!/^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$/.test(s)) r.fail(`'${s}' is not a community name`);
  return s;
}

function writeTerms(w, t) {
  w.string(t.title, LIMITS.title, 'title');
  w.string(t.description, LIMITS.longText, 'description');
  if (t.options.length < 2 || t.options.length > LIMITS.options) throw new CodecError('a proposal needs 2 to 16 options');
  w.varint(t.options.length);
  for (const o of t.options) w.string(o, LIMITS.name, 'option');
  w.varint(roleMask(t.eligibleRoles));
  w.tag(t.closing.kind, ['height', 'time'], 'closing');
  w.varint(t.closing.value, 'closing');
  if (!(t.quorumBasisPoints >= 0 && t.quorumBasisPoints <= 10000)) throw new CodecError('quorum must be 0-10000 basis points');
  if (!(t.passBasisPoints >= 1 && t.passBasisPoints <= 10000)) throw new CodecError('pass threshold must be 1-10000 basis points');
  w.varint(t.quorumBasisPoints);
  w.varint(t.passBasisPoints);
}

function readTerms(r) {
  const title = r.string(LIMITS.title, 'title');
  const description = r.string(LIMITS.longText, 'description');
  const options = r.list(LIMITS.options, 1, 'options', () => r.string(LIMITS.name, 'option'));
  if (options.length < 2) r.fail('a proposal needs at least 2 options');
  const eligibleRoles = rolesOf(r.small('roles', 0xff));
  const closing = { kind: r.tag(['height', 'time'], 'closing'), value: r.varint() };
  return { title, description, options, eligibleRoles, closing,
    quorumBasisPoints: r.small('quorum', 10000), passBasisPoints: r.small('pass threshold', 10000) };
}

/** The canonical bytes endorsers sign (ProposalTerms without a header). */
export function encodeTerms(terms) { const w = new Writer(); writeTerms(w, terms); return w.result(); }

function writeCertificateFields(w, c) {
  w.varint(c.height);
  w.fixed(c.headerHash, 32, 'header hash');
  w.varint(c.votes.length);
  for (const v of c.votes) { w.varint(v.validator); w.fixed(v.signature, 64, 'vote signature'); }
}

function readCertificateFields(r) {
  const height = r.varint(), headerHash = r.hex(32);
  const votes = r.list(LIMITS.validators, 65, 'votes', () => ({ validator: r.small('validator', 0xffffffff), signature: r.hex(64) }));
  for (let i = 1; i < votes.length; i++) {
    if (votes[i - 1].validator >= votes[i].validator) r.fail('votes are not sorted by validator, each once');
  }
  return { height, headerHash, votes };
}

const PAYLOADS = {
  registration: {
    write(w, p) {
      w.tag(p.action, ['register', 'update', 'revoke'], 'action');
      w.fixed(p.subject, 32, 'subject'); w.string(p.displayName, LIMITS.name, 'display name');
      w.string(p.unit, LIMITS.shortText, 'unit'); w.varint(roleMask(p.roles));
    },
    read(r) {
      return { action: r.tag(['register', 'update', 'revoke'], 'action'), subject: r.hex(32),
        displayName: r.string(LIMITS.name), unit: r.string(LIMITS.shortText), roles: rolesOf(r.small('roles', 0xff)) };
    },
  },
  notice: {
    write(w, p) {
      w.tag(p.category, NOTICE_CATEGORIES, 'category');
      w.string(p.title, LIMITS.title, 'title'); w.string(p.body, LIMITS.longText, 'body');
      if (p.supersedes) { w.u8(1); w.fixed(p.supersedes, 32, 'supersedes'); } else w.u8(0);
      const att = p.attachments || [];
      if (att.length > LIMITS.attachments) throw new CodecError('at most 16 attachments');
      w.varint(att.length);
      for (const a of att) w.fixed(a, 32, 'attachment');
    },
    read(r) {
      return { category: r.tag(NOTICE_CATEGORIES, 'category'), title: r.string(LIMITS.title), body: r.string(LIMITS.longText),
        supersedes: r.optional(() => r.hex(32)), attachments: r.list(LIMITS.attachments, 32, 'attachments', () => r.hex(32)) };
    },
  },
  proposal: {
    write(w, p) {
      writeTerms(w, p.terms);
      const es = [...(p.endorsements || [])].sort((a, b) => compareBytes(fromHex(a.signer), fromHex(b.signer)));
      w.varint(es.length);
      for (const e of es) { w.fixed(e.signer, 32, 'endorser'); w.fixed(e.signature, 64, 'endorsement'); }
    },
    read(r) {
      const terms = readTerms(r);
      const endorsements = r.list(LIMITS.endorsements, 96, 'endorsements', () => ({ signer: r.hex(32), signature: r.hex(64) }));
      for (let i = 1; i < endorsements.length; i++) {
        if (endorsements[i - 1].signer >= endorsements[i].signer) r.fail('endorsements are not sorted by signer');
      }
      return { terms, endorsements };
    },
  },
  ballot: {
    write(w, p) { w.fixed(p.proposal, 32, 'proposal'); w.varint(p.choice); },
    read(r) { return { proposal: r.hex(32), choice: r.small('choice', LIMITS.options - 1) }; },
  },
  serviceRequest: {
    write(w, p) {
      w.string(p.serviceCode, LIMITS.shortText, 'service code'); w.string(p.description, LIMITS.note, 'description');
      w.string(p.location, LIMITS.shortText, 'location');
    },
    read(r) { return { serviceCode: r.string(LIMITS.shortText), description: r.string(LIMITS.note), location: r.string(LIMITS.shortText) }; },
  },
  assignment: {
    write(w, p) { w.fixed(p.request, 32, 'request'); w.fixed(p.provider, 16, 'provider'); w.string(p.note, LIMITS.note, 'note'); },
    read(r) { return { request: r.hex(32), provider: r.hex(16), note: r.string(LIMITS.note) }; },
  },
  serviceResponse: {
    write(w, p) { w.fixed(p.request, 32, 'request'); w.tag(p.status, RESPONSE_STATUSES, 'status'); w.string(p.note, LIMITS.note, 'note'); },
    read(r) { return { request: r.hex(32), status: r.tag(RESPONSE_STATUSES, 'status'), note: r.string(LIMITS.note) }; },
  },
  closure: {
    write(w, p) {
      w.fixed(p.request, 32, 'request'); w.tag(p.outcome, ['closed', 'reopened'], 'outcome');
      const rating = p.rating || 0;
      if (!(Number.isInteger(rating) && rating >= 0 && rating <= 5)) throw new CodecError('rating must be 1-5');
      w.u8(rating); w.string(p.comment, LIMITS.note, 'comment');
    },
    read(r) {
      const request = r.hex(32), outcome = r.tag(['closed', 'reopened'], 'outcome'), rating = r.u8();
      if (rating > 5) r.fail('rating above 5');
      return { request, outcome, rating: rating || null, comment: r.string(LIMITS.note) };
    },
  },
  volunteerRecord: {
    write(w, p) {
      w.fixed(p.volunteer, 16, 'volunteer'); w.string(p.activity, LIMITS.shortText, 'activity');
      if (!(p.minutes >= 1 && p.minutes <= 1440)) throw new CodecError('minutes must be 1-1440');
      w.varint(p.minutes); w.varint(p.day);
    },
    read(r) {
      const volunteer = r.hex(16), activity = r.string(LIMITS.shortText), minutes = r.small('minutes', 1440);
      if (minutes < 1) r.fail('minutes below 1');
      return { volunteer, activity, minutes, day: r.small('day', 0xffffffff) };
    },
  },
  checkpoint: {
    write(w, p) { writeCommunity(w, p.community); w.fixed(p.genesisHash, 32, 'genesis hash'); writeCertificateFields(w, p.certificate); },
    read(r) { return { community: readCommunity(r), genesisHash: r.hex(32), certificate: readCertificateFields(r) }; },
  },
  referral: {
    write(w, p) {
      writeCommunity(w, p.toCommunity); w.tag(p.referralKind, ['request', 'resource'], 'referral kind');
      if (p.reference) { w.u8(1); w.fixed(p.reference, 32, 'reference'); } else w.u8(0);
      w.string(p.summary, LIMITS.note, 'summary');
    },
    read(r) {
      return { toCommunity: readCommunity(r), referralKind: r.tag(['request', 'resource'], 'referral kind'),
        reference: r.optional(() => r.hex(32)), summary: r.string(LIMITS.note) };
    },
  },
  proposalDraft: {
    write(w, p) { writeTerms(w, p.terms); },
    read(r) { return { terms: readTerms(r) }; },
  },
  endorsement: {
    write(w, p) { w.fixed(p.draft, 32, 'draft'); },
    read(r) { return { draft: r.hex(32) }; },
  },
  rewardOffer: {
    write(w, p) {
      w.string(p.title, LIMITS.title, 'title'); w.string(p.description, LIMITS.note, 'description');
      if (!(Number.isInteger(p.price) && p.price >= 1 && p.price <= REWARD_MAX_PRICE)) throw new CodecError(`price must be 1-${REWARD_MAX_PRICE} points`);
      if (!(Number.isInteger(p.quantity) && p.quantity >= 1 && p.quantity <= REWARD_MAX_QUANTITY)) throw new CodecError(`quantity must be 1-${REWARD_MAX_QUANTITY}`);
      w.varint(p.price); w.varint(p.quantity);
    },
    read(r) {
      const title = r.string(LIMITS.title), description = r.string(LIMITS.note);
      const price = r.small('price', REWARD_MAX_PRICE), quantity = r.small('quantity', REWARD_MAX_QUANTITY);
      if (price < 1 || quantity < 1) r.fail('price and quantity start at 1');
      return { title, description, price, quantity };
    },
  },
  redemption: {
    write(w, p) { w.fixed(p.offer, 32, 'offer'); },
    read(r) { return { offer: r.hex(32) }; },
  },
  federationAdoption: {
    write(w, p) { writeFederation(w, p.document); },
    read(r) { return { document: readFederation(r) }; },
  },
  referralRelay: {
    write(w, p) { writeProven(w, p.record); },
    read(r) { return { record: readProven(r) }; },
  },
  referralAnswer: {
    write(w, p) {
      w.fixed(p.referral, 32, 'referral'); writeCommunity(w, p.fromCommunity); w.bool(p.accepted, 'accepted');
      w.string(p.note, LIMITS.note, 'note');
    },
    read(r) { return { referral: r.hex(32), fromCommunity: readCommunity(r), accepted: r.bool(), note: r.string(LIMITS.note) }; },
  },
};

// Federation documents (0x41), as an adoption (kind 16) carries them: the fields only.
const MAX_FEDERATION_SEQUENCE = 0x7fffffffffffffffn;

function writeFederation(w, d) {
  const start = w.bytes.length;
  if (bigOf(d.sequence, 'sequence') > MAX_FEDERATION_SEQUENCE) throw new CodecError('sequence is above 2^63 - 1');
  w.varint(d.sequence, 'sequence');
  if (d.communities.length > LIMITS.federationCommunities) throw new CodecError('too many communities');
  w.varint(d.communities.length);
  let previous = null;
  for (const m of d.communities) {
    const name = utf8.encode(m.community);
    if (previous && compareBytes(previous, name) >= 0) throw new CodecError('communities must be sorted by name, each once');
    previous = name;
    writeCommunity(w, m.community);
    w.fixed(m.genesisHash, 32, 'genesis hash');
    if (m.validators.length < 1 || m.validators.length > LIMITS.validators || new Set(m.validators).size !== m.validators.length) {
      throw new CodecError('a community needs 1 to 64 distinct validator keys');
    }
    w.varint(m.validators.length);
    for (const k of m.validators) w.fixed(k, 32, 'validator key');
    const ca = fromHex(m.caCertificate);
    if (ca.length < 1 || ca.length > LIMITS.caCertificate) throw new CodecError('a CA certificate takes 1 to 2048 bytes');
    w.varint(ca.length); w.raw(ca);
  }
  if (w.bytes.length - start > LIMITS.federationDocument) throw new CodecError('the federation document is too large');
}

function readFederation(r) {
  const start = r.o;
  const sequence = r.big();
  if (sequence > MAX_FEDERATION_SEQUENCE) r.fail('sequence above 2^63 - 1');
  let previous = null;
  const communities = r.list(LIMITS.federationCommunities, 69, 'communities', () => {
    const community = readCommunity(r);
    const name = utf8.encode(community);
    if (previous && compareBytes(previous, name) >= 0) r.fail('communities not sorted by name, each once');
    previous = name;
    const genesisHash = r.hex(32);
    const validators = r.list(LIMITS.validators, 32, 'validators', () => r.hex(32));
    if (validators.length === 0 || new Set(validators).size !== validators.length) r.fail('validators must be 1 or more distinct keys');
    const n = r.small('CA certificate length', LIMITS.caCertificate);
    if (n === 0) r.fail('empty CA certificate');
    return { community, genesisHash, validators, caCertificate: toHex(r.take(n)) };
  });
  if (r.o - start > LIMITS.federationDocument) r.fail('federation document above its size limit');
  return { sequence: sequence <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(sequence) : sequence, communities };
}

// Proven transactions (0x25), as a relay (kind 17) carries them: the fields only, with the
// header, certificate and inclusion proof nested. The neighbour's transaction stays hex;
// decodeTransaction reads it (one level: a receipt it may be carries a referral's bytes in turn).
const MAX_PROOF_PATH = 64; // InclusionProof's path (Sources/CivitasLedger/Merkle.swift)

function writeHeaderFields(w, h) {
  writeCommunity(w, h.community);
  w.varint(h.height, 'height'); w.fixed(h.previous, 32, 'previous'); w.varint(h.time, 'time');
  if (!(Number.isInteger(h.proposer) && h.proposer >= 0 && h.proposer <= 0xffffffff)) throw new CodecError('proposer must be a 32-bit index');
  if (!(Number.isInteger(h.transactionCount) && h.transactionCount >= 0 && h.transactionCount <= LIMITS.blockTransactions)) {
    throw new CodecError(`transaction count must be 0-${LIMITS.blockTransactions}`);
  }
  w.varint(h.proposer); w.varint(h.transactionCount); w.fixed(h.transactionRoot, 32, 'transaction root');
}

function readHeaderFields(r) {
  return { community: readCommunity(r), height: r.varint(), previous: r.hex(32), time: r.varint(),
    proposer: r.small('proposer', 0xffffffff), transactionCount: r.small('transaction count', LIMITS.blockTransactions),
    transactionRoot: r.hex(32) };
}

function writeInclusionFields(w, p) {
  w.varint(p.leafIndex, 'leaf index'); w.varint(p.treeSize, 'tree size');
  if (p.path.length > MAX_PROOF_PATH) throw new CodecError(`an inclusion proof has at most ${MAX_PROOF_PATH} hashes`);
  w.varint(p.path.length);
  for (const x of p.path) w.fixed(x, 32, 'proof hash');
}

function readInclusionFields(r) {
  return { leafIndex: r.varint(), treeSize: r.varint(), path: r.list(MAX_PROOF_PATH, 32, 'proof path', () => r.hex(32)) };
}

function writeProven(w, p) {
  writeCommunity(w, p.community); w.fixed(p.genesisHash, 32, 'genesis hash');
  writeHeaderFields(w, p.header); writeCertificateFields(w, p.certificate); writeInclusionFields(w, p.inclusion);
  const tx = fromHex(p.transaction);
  if (tx.length > LIMITS.provenTransaction) throw new CodecError(`the proven transaction is ${tx.length} bytes; at most ${LIMITS.provenTransaction}`);
  w.varint(tx.length); w.raw(tx);
}

function readProven(r) {
  const community = readCommunity(r), genesisHash = r.hex(32);
  const header = readHeaderFields(r), certificate = readCertificateFields(r), inclusion = readInclusionFields(r);
  const n = r.small('proven transaction length', LIMITS.provenTransaction);
  return { community, genesisHash, header, certificate, inclusion, transaction: toHex(r.take(n)) };
}

// ---- Transactions (type 0x10) ------------------------------------------------

/**
 * The signing message of an unsigned transaction
 * `{community, signer (hex), nonce, time, payload: {kind, ...fields}}`:
 * its encoding without the signature, type and version bytes included.
 */
export function encodeSigningMessage(tx) {
  const w = new Writer();
  w.u8(0x10); w.u8(1);
  writeCommunity(w, tx.community);
  w.fixed(tx.signer, 32, 'signer');
  w.varint(tx.nonce, 'nonce');
  w.varint(tx.time, 'time');
  const kind = KINDS.indexOf(tx.payload.kind);
  const codec = PAYLOADS[tx.payload.kind];
  if (kind < 1 || !codec) throw new CodecError('unknown transaction kind ' + tx.payload.kind);
  w.u8(kind);
  codec.write(w, tx.payload);
  return w.result();
}

/** Decodes a whole transaction (header, fields, signature); refuses anything not canonical. */
export function decodeTransaction(bytes) {
  const r = new Reader(bytes);
  r.header(0x10, 1, 'transaction');
  const community = readCommunity(r);
  const signer = r.hex(32);
  const nonce = r.varint();
  const time = r.varint();
  const kindByte = r.u8();
  const kind = KINDS[kindByte];
  if (!kind || !PAYLOADS[kind]) r.fail('unknown transaction kind ' + kindByte);
  const payload = { kind, ...PAYLOADS[kind].read(r) };
  const signingMessage = bytes.slice(0, r.o);
  const signature = r.hex(64);
  r.finish();
  return { community, signer, nonce, time, payload, signature, signingMessage };
}

// ---- Block headers (0x20) and genesis documents (0x40) -------------------------

/** `{community, height, previous, time, proposer, transactionCount, transactionRoot}` → the header's bytes. */
export function encodeHeader(h) {
  const w = new Writer();
  w.u8(0x20); w.u8(1);
  writeHeaderFields(w, h);
  return w.result();
}

/** The genesis document's community, validators (name, subject, node key) and parameters. */
export function decodeGenesis(bytes) {
  const r = new Reader(bytes);
  r.header(0x40, 1, 'genesis document');
  const community = readCommunity(r);
  const time = r.varint();
  const validators = r.list(LIMITS.validators, 66, 'validators',
    () => ({ name: r.string(LIMITS.name), subject: r.hex(32), nodeKey: r.hex(32) }));
  if (validators.length === 0) r.fail('no validators');
  const registrars = r.list(LIMITS.genesisEntries, 32, 'registrars', () => r.hex(32));
  const subjects = r.list(LIMITS.genesisEntries, 35, 'subjects',
    () => ({ key: r.hex(32), displayName: r.string(LIMITS.name), unit: r.string(LIMITS.shortText), roles: rolesOf(r.small('roles', 0xff)) }));
  const parameters = {
    maxBlockTransactions: r.varint(), maxBlockBytes: r.varint(), blockInterval: r.varint(), checkpointInterval: r.varint(),
    proposalEndorsements: r.varint(), pointsPerHour: r.varint(), defaultResponseDeadline: r.varint(),
    responseDeadlines: r.list(LIMITS.genesisEntries, 2, 'deadlines', () => ({ serviceCode: r.string(LIMITS.shortText), seconds: r.varint() })),
  };
  r.finish();
  return { community, time, validators, registrars, subjects, parameters };
}
"""#
}
