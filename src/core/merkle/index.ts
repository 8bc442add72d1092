/** RFC 6962 / RFC 9162 Merkle tree hashing and proof verification (SHA-256). */
export { HASH_SIZE, bytesEqual, emptyRoot, leafHash, nodeHash } from "./hash.js";
export { rootFromInclusionProof, verifyInclusion, type ProofCheck } from "./inclusion.js";
export { rootFromConsistencyProof, verifyConsistency } from "./consistency.js";
export { consistencyProofNodes, inclusionProofNodes, rangeNodes, type PerfectNode, type ProofElement } from "./proof-nodes.js";
export { foldProofElement, perfectRoot } from "./subtree.js";
