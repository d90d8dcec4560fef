// A software WebAuthn authenticator (ES256, "none" attestation) so tests can register and log in with passkeys.
import { Buffer } from 'node:buffer';
import { concat } from './files.ts';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

interface HeldCredential {
  id: string;
  rpId: string;
  userHandle: string;
  privateKey: CryptoKey;
  signCount: number;
}

const FLAG_USER_PRESENT = 0x01;
const FLAG_USER_VERIFIED = 0x04;
const FLAG_ATTESTED_CREDENTIAL_DATA = 0x40;
const COSE_ALGORITHM_ES256 = -7;

export class SoftwareAuthenticator {
  private readonly credentials: HeldCredential[] = [];

  async createCredential(options: PublicKeyCredentialCreationOptionsJSON, origin: string): Promise<RegistrationResponseJSON> {
    const rpId = options.rp.id ?? new URL(origin).hostname;
    const excluded = options.excludeCredentials ?? [];
    if (excluded.some((descriptor) => this.find(descriptor.id, rpId))) {
      throw new Error('InvalidStateError: this authenticator already holds an excluded credential');
    }

    const keyPair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const credentialId = crypto.getRandomValues(new Uint8Array(32));
    const id = toBase64Url(credentialId);

    const publicKeyJwk = await crypto.subtle.exportKey('jwk', keyPair.publicKey);
    const cosePublicKey = encodeCbor(
      new Map<number, CborValue>([
        [1, 2], // kty: EC2
        [3, COSE_ALGORITHM_ES256],
        [-1, 1], // crv: P-256
        [-2, fromBase64Url(requireString(publicKeyJwk.x, 'x'))],
        [-3, fromBase64Url(requireString(publicKeyJwk.y, 'y'))],
      ]),
    );
    const credentialIdLength = new Uint8Array(2);
    new DataView(credentialIdLength.buffer).setUint16(0, credentialId.length);
    const authenticatorData = concat(
      await sha256(new TextEncoder().encode(rpId)),
      // Backup eligible/state bits stay off: this is a single-device credential.
      Uint8Array.of(FLAG_USER_PRESENT | FLAG_USER_VERIFIED | FLAG_ATTESTED_CREDENTIAL_DATA),
      uint32BigEndian(0),
      new Uint8Array(16), // AAGUID: all zeros for "none" attestation
      credentialIdLength,
      credentialId,
      cosePublicKey,
    );
    const attestationObject = encodeCbor(
      new Map<string, CborValue>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, CborValue>()],
        ['authData', authenticatorData],
      ]),
    );
    const spkiPublicKey = new Uint8Array(await crypto.subtle.exportKey('spki', keyPair.publicKey));

    this.credentials.push({ id, rpId, userHandle: options.user.id, privateKey: keyPair.privateKey, signCount: 0 });

    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON: clientData('webauthn.create', options.challenge, origin),
        attestationObject: toBase64Url(attestationObject),
        authenticatorData: toBase64Url(authenticatorData),
        transports: ['internal'],
        publicKeyAlgorithm: COSE_ALGORITHM_ES256,
        publicKey: toBase64Url(spkiPublicKey),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  async getAssertion(options: PublicKeyCredentialRequestOptionsJSON, origin: string): Promise<AuthenticationResponseJSON> {
    const rpId = options.rpId ?? new URL(origin).hostname;
    const allowed = options.allowCredentials ?? [];
    const credential =
      allowed.length > 0
        ? allowed.map((descriptor) => this.find(descriptor.id, rpId)).find((held) => held !== undefined)
        : this.credentials.find((held) => held.rpId === rpId);
    if (!credential) throw new Error(`NotAllowedError: no credential for ${rpId} on this authenticator`);

    credential.signCount += 1;
    const authenticatorData = concat(
      await sha256(new TextEncoder().encode(rpId)),
      Uint8Array.of(FLAG_USER_PRESENT | FLAG_USER_VERIFIED),
      uint32BigEndian(credential.signCount),
    );
    const clientDataJSON = clientData('webauthn.get', options.challenge, origin);
    const signedData = concat(authenticatorData, await sha256(fromBase64Url(clientDataJSON)));
    const rawSignature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, credential.privateKey, signedData);

    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      response: {
        clientDataJSON,
        authenticatorData: toBase64Url(authenticatorData),
        signature: toBase64Url(rawSignatureToDer(new Uint8Array(rawSignature))),
        userHandle: credential.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** Rewinds or advances a credential's counter, e.g. to simulate a cloned authenticator. */
  setCounter(credentialId: string, value: number): void {
    const credential = this.credentials.find((held) => held.id === credentialId);
    if (!credential) throw new Error(`unknown credential ${credentialId}`);
    credential.signCount = value;
  }

  private find(credentialId: string, rpId: string): HeldCredential | undefined {
    return this.credentials.find((held) => held.id === credentialId && held.rpId === rpId);
  }
}

/** WebCrypto signs ECDSA as raw r‖s; WebAuthn wants an ASN.1 DER SEQUENCE of two INTEGERs. */
export function rawSignatureToDer(raw: Uint8Array): Uint8Array {
  if (raw.length !== 64) throw new Error(`expected a 64-byte P-256 signature, got ${raw.length} bytes`);
  const r = derInteger(raw.subarray(0, 32));
  const s = derInteger(raw.subarray(32));
  return concat(Uint8Array.of(0x30, r.length + s.length), r, s);
}

function derInteger(value: Uint8Array): Uint8Array {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start += 1;
  const trimmed = value.subarray(start);
  // DER integers are signed: a set high bit needs a 0x00 in front to stay positive.
  const positive = (trimmed[0] ?? 0) & 0x80 ? concat(Uint8Array.of(0), trimmed) : trimmed;
  return concat(Uint8Array.of(0x02, positive.length), positive);
}

export type CborValue = number | string | Uint8Array | Map<number | string, CborValue>;

/** Encodes just the CBOR WebAuthn needs: integers, byte strings, text strings and maps. */
export function encodeCbor(value: CborValue): Uint8Array {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`CBOR encoder only handles integers, got ${value}`);
    return value >= 0 ? cborHeader(0, value) : cborHeader(1, -1 - value);
  }
  if (typeof value === 'string') {
    const bytes = new TextEncoder().encode(value);
    return concat(cborHeader(3, bytes.length), bytes);
  }
  if (value instanceof Uint8Array) return concat(cborHeader(2, value.length), value);
  const parts = [cborHeader(5, value.size)];
  for (const [key, entry] of value) parts.push(encodeCbor(key), encodeCbor(entry));
  return concat(...parts);
}

function cborHeader(majorType: number, argument: number): Uint8Array {
  const major = majorType << 5;
  if (argument < 24) return Uint8Array.of(major | argument);
  if (argument < 0x100) return Uint8Array.of(major | 24, argument);
  if (argument < 0x10000) return Uint8Array.of(major | 25, argument >> 8, argument & 0xff);
  if (argument < 0x100000000) return concat(Uint8Array.of(major | 26), uint32BigEndian(argument));
  throw new Error(`CBOR argument too large: ${argument}`);
}

function clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string): string {
  const json = JSON.stringify({ type, challenge, origin, crossOrigin: false });
  return toBase64Url(new TextEncoder().encode(json));
}

function uint32BigEndian(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value);
  return bytes;
}

async function sha256(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data));
}


function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(text, 'base64url'));
}

function requireString(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new Error(`exported JWK has no ${name} coordinate`);
  return value;
}
