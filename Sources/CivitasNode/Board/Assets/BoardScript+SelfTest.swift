extension BoardAssets {
    /// `/board/selftest.js`: before the page signs anything it runs its codec,
    /// hashing and signatures over `/board/vectors.json`, which the Swift tests
    /// regenerate from the ledger's own code (Tests/CivitasNodeTests/BoardVectorsTests.swift).
    static let selfTestScript = #"""
import { fromHex, toHex, equalBytes, encodeSigningMessage, decodeTransaction, encodeHeader, encodeTerms, decodeGenesis } from './codec.js';
import { sha256, sign, verify, DOMAINS, importPrivateKey, pkcs8FromSeed, subjectIDOf } from './crypto.js';
import { verifyInclusion, verifyCertificate, headerHash } from './verify.js';

/** Runs every vector; answers `{ok, checks, failures}` (failures name the vector and the step). */
export async function runSelfTest(vectors) {
  const failures = [];
  let checks = 0;
  const check = (name, ok) => { checks += 1; if (!ok) failures.push(name); };
  const keys = new Map();
  const keyOf = async (seed) => {
    if (!keys.has(seed)) keys.set(seed, await importPrivateKey(pkcs8FromSeed(fromHex(seed, 32))));
    return keys.get(seed);
  };
  try {
    for (const k of vectors.keys) {
      const key = await keyOf(k.seed);
      check(`key ${k.name}: public key`, toHex(key.publicKey) === k.publicKey);
      check(`key ${k.name}: subject ID`, toHex(await subjectIDOf(key.publicKey)) === k.subjectID);
    }
    for (const v of vectors.transactions) {
      const message = encodeSigningMessage(v.unsigned);
      check(`${v.name}: signing message`, toHex(message) === v.signingMessage);
      check(`${v.name}: ID`, toHex(await sha256(message)) === v.id);
      const key = await keyOf(v.seed);
      const signature = await sign(key.signingKey, DOMAINS.transaction, message);
      check(`${v.name}: signature`, toHex(signature) === v.signature);
      const decoded = decodeTransaction(fromHex(v.encoded));
      const again = encodeSigningMessage({ ...decoded });
      check(`${v.name}: decode and encode again`, equalBytes(again, message) && decoded.signature === v.signature);
      check(`${v.name}: signature verifies`, await verify(fromHex(decoded.signer), DOMAINS.transaction, message, fromHex(v.signature)));
    }
    for (const e of vectors.endorsements || []) {
      const terms = encodeTerms(e.terms);
      check(`${e.name}: terms`, toHex(terms) === e.encodedTerms);
      const key = await keyOf(e.seed);
      check(`${e.name}: signature`, toHex(await sign(key.signingKey, DOMAINS.proposalEndorsement, terms)) === e.signature);
    }
    for (const b of vectors.blocks) {
      const bytes = encodeHeader(b.header);
      check(`${b.name}: header encoding`, toHex(bytes) === b.encodedHeader);
      const hash = await headerHash(b.header);
      check(`${b.name}: header hash`, toHex(hash) === b.hash);
      const validators = b.validatorKeys.map(k => fromHex(k, 32));
      check(`${b.name}: certificate`, (await verifyCertificate(hash, b.certificate, validators)).ok);
      const forged = { ...b.certificate, votes: b.certificate.votes.map(v => ({ ...v, signature: v.signature.replace(/^../, '00') })) };
      check(`${b.name}: forged certificate refused`, !(await verifyCertificate(hash, forged, validators)).ok);
      for (const p of b.proofs) {
        const path = p.path.map(x => fromHex(x, 32));
        const root = fromHex(b.header.transactionRoot, 32);
        check(`${b.name}: proof ${p.leafIndex}`, await verifyInclusion(fromHex(p.leafHash, 32), p.leafIndex, p.treeSize, path, root));
        const other = fromHex(p.leafHash, 32); other[0] ^= 1;
        check(`${b.name}: wrong leaf ${p.leafIndex} refused`, !(await verifyInclusion(other, p.leafIndex, p.treeSize, path, root)));
      }
    }
    const g = vectors.genesis;
    const genesis = decodeGenesis(fromHex(g.document));
    check('genesis: hash', toHex(await sha256(fromHex(g.document))) === g.hash);
    check('genesis: validators', JSON.stringify(genesis.validators.map(v => v.nodeKey)) === JSON.stringify(g.validatorKeys));
    check('genesis: community', genesis.community === g.community);
  } catch (error) {
    failures.push('exception: ' + (error && error.message ? error.message : String(error)));
  }
  return { ok: failures.length === 0, checks, failures };
}
"""#
}
