extension BoardAssets {
    /// `/board/verify.js`: the page's own check of a record — its transaction's
    /// signature, its Merkle inclusion proof, the block header's hash and the
    /// commit certificate against the genesis validators.
    static let verifyScript = #"""
// What "verified on this device" means (docs/board.md): nothing the node says
// is taken on trust but the genesis document, whose hash the device pins.
import { concat, fromHex, toHex, equalBytes, decodeTransaction, encodeHeader, decodeGenesis } from './codec.js';
import { sha256, domainDigest, verifyDigest, DOMAINS } from './crypto.js';

/** RFC 6962 leaf hash: SHA-256(0x00 ‖ the transaction's encoding). */
export async function leafHash(bytes) { return sha256(concat(Uint8Array.of(0), bytes)); }

/** RFC 6962 inner node: SHA-256(0x01 ‖ left ‖ right). */
export async function nodeHash(left, right) { return sha256(concat(Uint8Array.of(1), left, right)); }

/** RFC 9162 §2.1.3.2: is `leaf` leaf `index` of the `size`-leaf tree with `root`? */
export async function verifyInclusion(leaf, index, size, path, root) {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index < size)) return false;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) { while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); } }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(r, root);
}

export async function headerHash(header) { return sha256(encodeHeader(header)); }

/**
 * Checks that a strict majority of `validatorKeys` signed `hash` (the block-vote
 * domain). Answers `{ok, signed, needed, reason}`.
 */
export async function verifyCertificate(hash, certificate, validatorKeys) {
  const needed = Math.floor(validatorKeys.length / 2) + 1;
  if (!equalBytes(fromHex(certificate.headerHash), hash)) {
    return { ok: false, signed: 0, needed, reason: 'certificateOtherBlock' };
  }
  const digest = await domainDigest(DOMAINS.blockVote, hash);
  const seen = new Set();
  let signed = 0;
  for (const vote of certificate.votes) {
    if (seen.has(vote.validator) || vote.validator >= validatorKeys.length) return { ok: false, signed, needed, reason: 'certificateBadVote' };
    seen.add(vote.validator);
    if (!(await verifyDigest(validatorKeys[vote.validator], fromHex(vote.signature), digest))) {
      return { ok: false, signed, needed, reason: 'certificateBadSignature' };
    }
    signed += 1;
  }
  return signed >= needed ? { ok: true, signed, needed } : { ok: false, signed, needed, reason: 'certificateNoMajority' };
}

/** The trust anchor: the genesis document, its hash and the validators' node keys. */
export async function trustFromGenesis(documentHex) {
  const bytes = fromHex(documentHex);
  const genesis = decodeGenesis(bytes);
  return { hash: toHex(await sha256(bytes)), genesis, community: genesis.community,
    validatorKeys: genesis.validators.map(v => fromHex(v.nodeKey, 32)) };
}

const certificates = new Map();

/**
 * Verifies a record bundle from `/v1/board/transactions/{id}` against `trust`.
 * Answers `{ok, reason?, transaction, height, signed, needed}`; `reason` is an i18n key.
 */
export async function verifyBundle(bundle, expectedID, trust) {
  let tx;
  const bytes = fromHex(bundle.transaction);
  try { tx = decodeTransaction(bytes); } catch { return { ok: false, reason: 'badTransaction' }; }
  const id = toHex(await sha256(tx.signingMessage));
  if (id !== expectedID) return { ok: false, reason: 'otherTransaction' };
  if (tx.community !== trust.community) return { ok: false, reason: 'otherCommunity' };
  const signed = await verifyDigest(fromHex(tx.signer), fromHex(tx.signature), await domainDigest(DOMAINS.transaction, tx.signingMessage));
  if (!signed) return { ok: false, reason: 'badSignature', transaction: tx };
  const h = bundle.header;
  if (h.community !== trust.community || h.height !== bundle.height) return { ok: false, reason: 'otherBlock', transaction: tx };
  const included = await verifyInclusion(await leafHash(bytes), bundle.proof.leafIndex, bundle.proof.treeSize,
    bundle.proof.path.map(p => fromHex(p, 32)), fromHex(h.transactionRoot, 32));
  if (!included || bundle.proof.treeSize !== h.transactionCount) return { ok: false, reason: 'notIncluded', transaction: tx };
  const hash = await headerHash(h);
  const key = `${h.height}:${toHex(hash)}:${JSON.stringify(bundle.certificate.votes)}`;
  let certificate = certificates.get(key);
  if (!certificate) {
    certificate = await verifyCertificate(hash, bundle.certificate, trust.validatorKeys);
    if (bundle.certificate.height !== h.height) certificate = { ...certificate, ok: false, reason: 'certificateOtherBlock' };
    certificates.set(key, certificate);
  }
  if (!certificate.ok) return { ok: false, reason: certificate.reason, transaction: tx, ...certificate };
  return { ok: true, transaction: tx, height: h.height, blockHash: toHex(hash), signed: certificate.signed, needed: certificate.needed };
}
"""#
}
