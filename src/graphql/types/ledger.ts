/** The ledger's GraphQL types (docs/ledger.md): checkpoints and RFC 9162 proofs, hashes in base64. */
import { Field, ObjectType } from 'type-graphql';
import { DateTimeScalar, SafeIntScalar } from './scalars.js';

@ObjectType({ description: 'A signed checkpoint of the ledger (C2SP tlog-checkpoint): the tree of the first `treeSize` leaves has root `rootHash`.' })
export class LedgerCheckpoint {
  @Field(() => SafeIntScalar)
  treeSize!: number;

  @Field(() => String, { description: 'Base64 SHA-256 Merkle root (RFC 9162).' })
  rootHash!: string;

  @Field(() => DateTimeScalar)
  sealedAt!: Date;

  @Field(() => String, { description: 'The signed note itself: keep it, and check proofs against it with `auditql verify-proof`.' })
  note!: string;
}

@ObjectType({ description: 'An RFC 9162 inclusion proof: the leaf at `leafIndex` is in the tree the checkpoint signed.' })
export class LedgerProof {
  @Field(() => SafeIntScalar)
  leafIndex!: number;

  @Field(() => SafeIntScalar)
  treeSize!: number;

  @Field(() => String, { description: 'Base64 SHA-256(0x00 ‖ canonical bytes of the row) (docs/ledger.md "Canonical encoding").' })
  leafHash!: string;

  @Field(() => [String], { description: 'Base64 sibling hashes, bottom first (RFC 9162 2.1.3).' })
  auditPath!: string[];

  @Field(() => LedgerCheckpoint)
  checkpoint!: LedgerCheckpoint;
}

@ObjectType({ description: 'An RFC 9162 consistency proof: the tree of size `toSize` extends the tree of size `fromSize`.' })
export class LedgerConsistencyProof {
  @Field(() => SafeIntScalar)
  fromSize!: number;

  @Field(() => SafeIntScalar)
  toSize!: number;

  @Field(() => [String], { description: 'Base64 hashes (RFC 9162 2.1.4).' })
  proof!: string[];

  @Field(() => LedgerCheckpoint, { nullable: true, description: 'The signed checkpoint of size `fromSize`, when one was sealed at that size.' })
  fromCheckpoint!: LedgerCheckpoint | null;

  @Field(() => LedgerCheckpoint, { nullable: true, description: 'The signed checkpoint of size `toSize`, when one was sealed at that size.' })
  toCheckpoint!: LedgerCheckpoint | null;
}
