extension BoardAssets {
    /// `/board/crypto.js`: SHA-256, the signing domains and Ed25519 with WebCrypto,
    /// key files (PKCS#8 PEM) and passphrase-protected copies. Keys never leave the page.
    static let cryptoScript = #"""
// Hashing and signing as Sources/CivitasLedger/Signing.swift and Hashing.swift do it:
// every signature is Ed25519 over SHA-256(domain ‖ 0x00 ‖ message).
import { concat, fromHex, toHex, equalBytes, CodecError } from './codec.js';

const utf8 = new TextEncoder();

export const DOMAINS = {
  transaction: 'civitas/v1/transaction',
  blockVote: 'civitas/v1/block-vote',
  peerRecord: 'civitas/v1/peer-record',
  proposalEndorsement: 'civitas/v1/proposal-endorsement',
  subjectID: 'civitas/v1/subject-id',
  nodeID: 'civitas/v1/node-id',
};

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

/** SHA-256(domain ‖ 0x00 ‖ message): the 32 bytes every signature covers. */
export async function domainDigest(domain, message) {
  return sha256(concat(utf8.encode(domain), Uint8Array.of(0), message));
}

/** A subject's ID: the first 16 bytes of the subject-id domain digest of its public key. */
export async function subjectIDOf(publicKey) {
  return (await domainDigest(DOMAINS.subjectID, publicKey)).slice(0, 16);
}

const PKCS8_PREFIX = fromHex('302e020100300506032b657004220420');

/** The PKCS#8 bytes of an Ed25519 key file as `civitas keys new` writes it. */
export function pemToPKCS8(text) {
  const m = /-----BEGIN PRIVATE KEY-----([\s\S]*?)-----END PRIVATE KEY-----/.exec(String(text));
  if (!m) throw new CodecError('no PRIVATE KEY block: open the key file `civitas keys new` wrote');
  let der;
  try { der = Uint8Array.from(atob(m[1].replace(/\s+/g, '')), c => c.charCodeAt(0)); } catch {
    throw new CodecError('the key file is not valid base64');
  }
  if (der.length !== 48 || !equalBytes(der.slice(0, 16), PKCS8_PREFIX)) {
    throw new CodecError('not an Ed25519 private key (PKCS#8)');
  }
  return der;
}

export function pkcs8FromSeed(seed) { return concat(PKCS8_PREFIX, seed); }

function base64url(text) {
  const b = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4));
  return Uint8Array.from(b, c => c.charCodeAt(0));
}

/**
 * Imports a PKCS#8 Ed25519 key for signing. The key kept is not extractable;
 * the public half comes from the JWK form of a short-lived extractable copy.
 */
export async function importPrivateKey(pkcs8) {
  const algorithm = { name: 'Ed25519' };
  const extractable = await crypto.subtle.importKey('pkcs8', pkcs8, algorithm, true, ['sign']);
  const jwk = await crypto.subtle.exportKey('jwk', extractable);
  const publicKey = base64url(jwk.x);
  const signingKey = await crypto.subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']);
  return { signingKey, publicKey };
}

export async function signDigest(signingKey, digest) {
  return new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, signingKey, digest));
}

export async function sign(signingKey, domain, message) {
  return signDigest(signingKey, await domainDigest(domain, message));
}

const verifyKeys = new Map();

/** True if `signature` is `publicKey`'s Ed25519 signature over `digest`. */
export async function verifyDigest(publicKey, signature, digest) {
  const hex = toHex(publicKey);
  let key = verifyKeys.get(hex);
  if (!key) {
    try { key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']); } catch { return false; }
    verifyKeys.set(hex, key);
  }
  try { return await crypto.subtle.verify({ name: 'Ed25519' }, key, signature, digest); } catch { return false; }
}

export async function verify(publicKey, domain, message, signature) {
  return verifyDigest(publicKey, signature, await domainDigest(domain, message));
}

// ---- Passphrase-protected copies (PBKDF2-SHA256 → AES-256-GCM) ----------------

export const SEAL_ITERATIONS = 600000;

async function wrappingKey(passphrase, salt, iterations) {
  const base = await crypto.subtle.importKey('raw', utf8.encode(passphrase), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, base,
    { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

/** Encrypts the key's PKCS#8 bytes under `passphrase`; the result is safe to keep in the browser. */
export async function sealKey(pkcs8, passphrase) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await wrappingKey(passphrase, salt, SEAL_ITERATIONS);
  const data = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, pkcs8));
  return { v: 1, iterations: SEAL_ITERATIONS, salt: toHex(salt), iv: toHex(iv), data: toHex(data) };
}

/** The PKCS#8 bytes of a sealed copy; throws if the passphrase is wrong. */
export async function unsealKey(sealed, passphrase) {
  const key = await wrappingKey(passphrase, fromHex(sealed.salt), sealed.iterations);
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: fromHex(sealed.iv) }, key, fromHex(sealed.data)));
  } catch {
    throw new CodecError('wrong passphrase');
  }
}
"""#
}
