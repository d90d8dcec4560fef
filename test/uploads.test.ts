import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { readdirSync } from 'node:fs';
import { detectFileType } from '../src/modules/uploads/sniff.ts';
import { sanitizeFileName } from '../src/modules/uploads/service.ts';
import { createAccount, type TestAccount } from './helpers/accounts.ts';
import type { FakeResend } from './helpers/fake-resend.ts';
import { ascii, concat, makePdf, makePng, randomBytes, uploadFile } from './helpers/files.ts';
import type { TestClient } from './helpers/http.ts';
import { startEmailTestServer, type EmailTestServer } from './helpers/server.ts';

let server: EmailTestServer;
let api: TestClient;
let resend: FakeResend;

beforeAll(async () => {
  server = await startEmailTestServer();
  ({ api, resend } = server);
});
afterAll(() => server.stop());

interface Download {
  status: number;
  headers: Headers;
  bytes: Uint8Array;
}

const upload = (account: TestAccount, bytes: Uint8Array<ArrayBuffer>, name: string, type?: string) => uploadFile(api, account, bytes, name, type);

async function download(path: string, headers: Record<string, string> = {}): Promise<Download> {
  const response = await fetch(`${server.url}${path}`, { headers });
  return { status: response.status, headers: response.headers, bytes: new Uint8Array(await response.arrayBuffer()) };
}

const bearer = (account: TestAccount) => ({ authorization: `Bearer ${account.accessToken}` });
const json = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes));

/** Every file in the disk store, so a test can see that a refused upload stored nothing. */
function storedFiles(uploadDir: string): string[] {
  try {
    return readdirSync(uploadDir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

describe('uploading and downloading', () => {
  it('round-trips a PNG byte for byte, with its width and height', async () => {
    const emma = await createAccount(api, resend, 'png');
    const png = makePng(37, 21);
    const sent = await upload(emma, png, 'holiday.png', 'image/png');
    expect(sent.status).toBe(201);
    const { id } = sent.body.upload;
    expect(sent.body.upload).toEqual({ id, url: `/uploads/${id}`, mime: 'image/png', size: png.length, name: 'holiday.png', width: 37, height: 21 });

    const got = await download(sent.body.upload.url, bearer(emma));
    expect(got.status).toBe(200);
    expect(got.bytes).toEqual(png);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(got.headers.get('content-length')).toBe(String(png.length));
    expect(got.headers.get('content-disposition')).toBe(`inline; filename="holiday.png"; filename*=UTF-8''holiday.png`);
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(got.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
    expect(got.headers.get('etag')).toBe(`"${id}"`);
  });

  it('round-trips binary files as attachments: a PDF and a ZIP', async () => {
    const emma = await createAccount(api, resend, 'pdf');
    const pdf = makePdf(3_000);
    const sentPdf = await upload(emma, pdf, 'report.pdf', 'application/pdf');
    expect(sentPdf.body.upload).toMatchObject({ mime: 'application/pdf', size: pdf.length, width: null, height: null });
    const gotPdf = await download(sentPdf.body.upload.url, bearer(emma));
    expect(gotPdf.bytes).toEqual(pdf);
    expect(gotPdf.headers.get('content-type')).toBe('application/pdf');
    expect(gotPdf.headers.get('content-disposition')).toStartWith('attachment; filename="report.pdf"');

    const zip = concat(Uint8Array.of(0x50, 0x4b, 0x03, 0x04), randomBytes(2_000));
    const sentZip = await upload(emma, zip, 'archive.zip');
    expect(sentZip.body.upload).toMatchObject({ mime: 'application/zip', size: zip.length });
    expect((await download(sentZip.body.upload.url, bearer(emma))).bytes).toEqual(zip);
  });

  it('serves text as UTF-8 plain text under its non-ASCII name', async () => {
    const emma = await createAccount(api, resend, 'txt');
    const text = ascii('Grüße aus Köln 👋\n<script>alert(1)</script>\n');
    const sent = await upload(emma, text, 'résumé.html', 'text/html');
    expect(sent.body.upload).toMatchObject({ mime: 'text/plain', name: 'résumé.html' });
    const got = await download(sent.body.upload.url, bearer(emma));
    expect(got.bytes).toEqual(text);
    expect(got.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(got.headers.get('content-disposition')).toBe(`attachment; filename="r_sum_.html"; filename*=UTF-8''r%C3%A9sum%C3%A9.html`);
  });

  it('keeps only the base name of a file, without control or direction-override characters', async () => {
    const emma = await createAccount(api, resend, 'name');
    // Written by hand: fetch's FormData would percent-encode the control characters before they reach us.
    const boundary = 'test-boundary-7d1';
    const body = concat(
      ascii(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="C:\\Users\\me\\..\\evil\u0007\tcat\u202Egnp.exe"\r\n`),
      ascii('Content-Type: image/png\r\n\r\n'),
      ascii('hello'),
      ascii(`\r\n--${boundary}--\r\n`),
    );
    const response = await fetch(`${server.url}/uploads`, {
      method: 'POST',
      body,
      headers: { ...bearer(emma), 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    expect(response.status).toBe(201);
    expect(json(new Uint8Array(await response.arrayBuffer())).upload).toMatchObject({ name: 'evilcatgnp.exe', mime: 'text/plain' });
  });
});

describe('who may download', () => {
  it('answers a stranger 404, the same as an id that does not exist, and anyone without a token 401', async () => {
    const emma = await createAccount(api, resend, 'own');
    const stranger = await createAccount(api, resend, 'str');
    const sent = await upload(emma, makePng(4, 4), 'private.png');

    const asStranger = await download(sent.body.upload.url, bearer(stranger));
    const unknown = await download('/uploads/0198c6c1-0000-7000-8000-000000000000', bearer(stranger));
    expect(asStranger.status).toBe(404);
    expect(json(asStranger.bytes)).toEqual(json(unknown.bytes));
    expect(json(asStranger.bytes).error.code).toBe('not_found');

    const anonymous = await download(sent.body.upload.url);
    expect(anonymous.status).toBe(401);
    expect(json(anonymous.bytes).error.code).toBe('unauthenticated');
    const forged = await download(`${sent.body.upload.url}?token=not-a-token`);
    expect(forged.status).toBe(401);
  });

  it('accepts the access token as ?token= for <img src>, still checking who it belongs to', async () => {
    const emma = await createAccount(api, resend, 'qtok');
    const stranger = await createAccount(api, resend, 'qstr');
    const png = makePng(8, 3);
    const sent = await upload(emma, png, 'inline.png');

    const viaQuery = await download(`${sent.body.upload.url}?token=${encodeURIComponent(emma.accessToken)}`);
    expect(viaQuery.status).toBe(200);
    expect(viaQuery.bytes).toEqual(png);
    const strangerViaQuery = await download(`${sent.body.upload.url}?token=${encodeURIComponent(stranger.accessToken)}`);
    expect(strangerViaQuery.status).toBe(404);
  });

  it('answers 304 to If-None-Match with its ETag, and the bytes to any other tag', async () => {
    const emma = await createAccount(api, resend, 'etag');
    const png = makePng(2, 2);
    const sent = await upload(emma, png, 'cached.png');
    const first = await download(sent.body.upload.url, bearer(emma));
    const etag = first.headers.get('etag')!;

    const again = await download(sent.body.upload.url, { ...bearer(emma), 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.bytes.length).toBe(0);
    expect(again.headers.get('etag')).toBe(etag);
    expect((await download(sent.body.upload.url, { ...bearer(emma), 'if-none-match': `"other", W/${etag}` })).status).toBe(304);

    const changed = await download(sent.body.upload.url, { ...bearer(emma), 'if-none-match': '"something-else"' });
    expect(changed.status).toBe(200);
    expect(changed.bytes).toEqual(png);

    // The ETag is no way around access: a stranger still gets 404.
    const stranger = await createAccount(api, resend, 'estr');
    expect((await download(sent.body.upload.url, { ...bearer(stranger), 'if-none-match': etag })).status).toBe(404);
  });
});

describe('avatars', () => {
  it('lets anyone signed in download your avatar, and only while it is your avatar', async () => {
    const emma = await createAccount(api, resend, 'ava');
    const john = await createAccount(api, resend, 'avj');
    const png = makePng(64, 64);
    const sent = await upload(emma, png, 'me.png');
    expect((await download(sent.body.upload.url, bearer(john))).status).toBe(404);

    const profile = await api.put('/profile', { avatarUploadId: sent.body.upload.id }, { token: emma.accessToken });
    expect(profile.status).toBe(200);
    expect(profile.body.user.avatarUrl).toBe(sent.body.upload.url);
    const seen = await api.get(`/users/${emma.id}`, { token: john.accessToken });
    expect(seen.body.user.avatarUrl).toBe(sent.body.upload.url);
    const asJohn = await download(seen.body.user.avatarUrl, bearer(john));
    expect(asJohn.status).toBe(200);
    expect(asJohn.bytes).toEqual(png);

    const removed = await api.put('/profile', { avatarUploadId: null }, { token: emma.accessToken });
    expect(removed.body.user.avatarUrl).toBeNull();
    expect((await download(sent.body.upload.url, bearer(john))).status).toBe(404);
  });

  it('refuses a file that is not an image, and an image that is not yours', async () => {
    const emma = await createAccount(api, resend, 'avn');
    const john = await createAccount(api, resend, 'avo');
    const pdf = await upload(emma, makePdf(100), 'cv.pdf');
    const notImage = await api.put('/profile', { avatarUploadId: pdf.body.upload.id }, { token: emma.accessToken });
    expect(notImage.status).toBe(400);
    expect(notImage.body.error).toMatchObject({ code: 'validation_failed', details: { avatarUploadId: pdf.body.upload.id } });

    const johns = await upload(john, makePng(3, 3), 'john.png');
    const notMine = await api.put('/profile', { avatarUploadId: johns.body.upload.id }, { token: emma.accessToken });
    expect(notMine.status).toBe(400);
    expect(notMine.body.error.details).toEqual({ avatarUploadId: johns.body.upload.id });
    expect((await api.get('/profile', { token: emma.accessToken })).body.user.avatarUrl).toBeNull();
  });
});

describe('what is refused', () => {
  it('judges a file by its bytes: random bytes named cat.png are refused, a PNG named notes.txt is a PNG', async () => {
    const emma = await createAccount(api, resend, 'lie');
    const before = storedFiles(server.config.uploadDir);
    const executable = concat(Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00), randomBytes(1_000));
    const refused = await upload(emma, executable, 'cat.png', 'image/png');
    expect(refused.status).toBe(415);
    expect(refused.body.error.code).toBe('unsupported_file_type');
    expect(refused.body.error.message).toContain('PNG');
    expect(storedFiles(server.config.uploadDir)).toEqual(before);

    const png = makePng(5, 7);
    const sent = await upload(emma, png, 'notes.txt', 'text/plain');
    expect(sent.status).toBe(201);
    expect(sent.body.upload).toMatchObject({ mime: 'image/png', width: 5, height: 7, name: 'notes.txt' });
    expect((await download(sent.body.upload.url, bearer(emma))).headers.get('content-type')).toBe('image/png');
  });

  it('refuses a body that is not multipart, a form without a file and an empty file', async () => {
    const emma = await createAccount(api, resend, 'bad');
    const notMultipart = await api.post('/uploads', { file: 'hello' }, { token: emma.accessToken });
    expect(notMultipart.status).toBe(415);
    expect(notMultipart.body.error.code).toBe('unsupported_media_type');

    const form = new FormData();
    form.append('note', 'no file here');
    const noFile = await api.post('/uploads', form, { token: emma.accessToken });
    expect(noFile.status).toBe(400);
    expect(noFile.body.error.code).toBe('validation_failed');

    const empty = await upload(emma, new Uint8Array(0), 'empty.txt');
    expect(empty.status).toBe(400);
    expect(empty.body.error).toMatchObject({ code: 'validation_failed', details: [{ field: 'file' }] });
  });

  it('needs a signed-in user to upload', async () => {
    const form = new FormData();
    form.append('file', new Blob([ascii('hi')]), 'hi.txt');
    const anonymous = await api.post('/uploads', form);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('unauthenticated');
  });
});

describe('the size limit', () => {
  let small: EmailTestServer;
  let owner: TestAccount;

  beforeAll(async () => {
    small = await startEmailTestServer({ UPLOAD_MAX_BYTES: '1KB' });
    owner = await createAccount(small.api, small.resend, 'lim');
  });
  afterAll(() => small.stop());

  function multipart(boundary: string, content: Uint8Array): Uint8Array<ArrayBuffer> {
    return concat(
      ascii(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n`),
      content,
      ascii(`\r\n--${boundary}--\r\n`),
    );
  }

  it('takes a file of exactly the limit and refuses one byte more, or two kilobytes, with 413', async () => {
    const atLimit = new FormData();
    atLimit.append('file', new Blob([makePdf(1_000 - makePdf(0).length)]), 'fits.pdf');
    const fits = await small.api.post('/uploads', atLimit, { token: owner.accessToken });
    expect(fits.status).toBe(201);
    expect(fits.body.upload.size).toBe(1_000);

    const oneByteMore = new FormData();
    oneByteMore.append('file', new Blob([makePdf(1_001 - makePdf(0).length)]), 'over.pdf');
    expect((await small.api.post('/uploads', oneByteMore, { token: owner.accessToken })).status).toBe(413);

    const twoKilobytes = new FormData();
    twoKilobytes.append('file', new Blob([makePdf(2_000)]), 'big.pdf');
    const tooBig = await small.api.post('/uploads', twoKilobytes, { token: owner.accessToken });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error).toMatchObject({ code: 'payload_too_large', message: expect.stringContaining('1000 bytes') });
  });

  it('measures the file itself when a chunked body has no Content-Length', async () => {
    const boundary = 'chunked-boundary-5e2';
    const body = multipart(boundary, makePdf(2_000));
    let sentChunks = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const chunk = body.subarray(sentChunks * 512, (sentChunks + 1) * 512);
        sentChunks++;
        if (chunk.length === 0) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const response = await fetch(`${small.url}/uploads`, {
      method: 'POST',
      body: stream,
      headers: { authorization: `Bearer ${owner.accessToken}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    expect(sentChunks).toBeGreaterThan(1);
    expect(response.status).toBe(413);
    expect(json(new Uint8Array(await response.arrayBuffer())).error.code).toBe('payload_too_large');
  });
});

describe('detecting the type from the bytes', () => {
  const withSize = (mime: string, width: number, height: number) => ({ mime, width, height });
  const plain = (mime: string) => ({ mime, width: null, height: null });

  it('reads image dimensions from PNG, GIF, JPEG and the three WebP kinds', () => {
    expect(detectFileType(makePng(640, 480))).toEqual(withSize('image/png', 640, 480));
    expect(detectFileType(concat(ascii('GIF89a'), Uint8Array.of(0x20, 0x03, 0x58, 0x02), randomBytes(20)))).toEqual(withSize('image/gif', 800, 600));

    // SOI, an APP0 (JFIF) segment to skip, a fill byte, then SOF2 (progressive) with height 0x01e0 and width 0x0280.
    const jpeg = concat(
      Uint8Array.of(0xff, 0xd8),
      Uint8Array.of(0xff, 0xe0, 0x00, 0x10), ascii('JFIF\0'), new Uint8Array(9),
      Uint8Array.of(0xff, 0xff, 0xc2, 0x00, 0x11, 0x08, 0x01, 0xe0, 0x02, 0x80, 0x03), new Uint8Array(9),
      Uint8Array.of(0xff, 0xd9),
    );
    expect(detectFileType(jpeg)).toEqual(withSize('image/jpeg', 640, 480));

    const riff = (chunk: string, data: Uint8Array) => concat(ascii('RIFF'), new Uint8Array(4), ascii('WEBP'), ascii(chunk), new Uint8Array(4), data);
    // VP8: frame tag, start code 9d 01 2a, then 14-bit width and height (upper two bits are scaling).
    const lossy = riff('VP8 ', concat(new Uint8Array(3), Uint8Array.of(0x9d, 0x01, 0x2a, 0x90, 0x41, 0x2c, 0x01), new Uint8Array(10)));
    expect(detectFileType(lossy)).toEqual(withSize('image/webp', 400, 300));
    // VP8L: 0x2f, then width-1 and height-1 in 14 bits each: 99 and 49.
    const bits = 99 | (49 << 14);
    const lossless = riff('VP8L', concat(Uint8Array.of(0x2f, bits & 0xff, (bits >> 8) & 0xff, (bits >> 16) & 0xff, bits >>> 24), new Uint8Array(10)));
    expect(detectFileType(lossless)).toEqual(withSize('image/webp', 100, 50));
    // VP8X: four bytes of flags, then canvas width-1 and height-1 in 24 bits each: 1919 and 1079.
    const extended = riff('VP8X', concat(new Uint8Array(4), Uint8Array.of(0x7f, 0x07, 0x00, 0x37, 0x04, 0x00), new Uint8Array(10)));
    expect(detectFileType(extended)).toEqual(withSize('image/webp', 1920, 1080));
  });

  it('refuses image signatures whose headers do not give a size', () => {
    expect(detectFileType(makePng(1, 1).subarray(0, 20))).toBeNull();
    expect(detectFileType(concat(Uint8Array.of(0xff, 0xd8, 0xff, 0xda, 0x00, 0x04), randomBytes(50)))).toBeNull();
    expect(detectFileType(concat(ascii('GIF89a'), new Uint8Array(4), randomBytes(20)))).toBeNull();
  });

  it('knows documents, archives, audio and video', () => {
    expect(detectFileType(makePdf(10))).toEqual(plain('application/pdf'));
    expect(detectFileType(concat(Uint8Array.of(0x50, 0x4b, 0x05, 0x06), new Uint8Array(18)))).toEqual(plain('application/zip'));
    const ftyp = (brand: string) => concat(Uint8Array.of(0, 0, 0, 0x18), ascii('ftyp'), ascii(brand), new Uint8Array(12));
    expect(detectFileType(ftyp('isom'))).toEqual(plain('video/mp4'));
    expect(detectFileType(ftyp('qt  '))).toEqual(plain('video/quicktime'));
    expect(detectFileType(ftyp('M4A '))).toEqual(plain('audio/mp4'));
    expect(detectFileType(ftyp('heic'))).toBeNull();
    const ebml = (docType: string) =>
      concat(Uint8Array.of(0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x80 | docType.length), ascii(docType), new Uint8Array(8));
    expect(detectFileType(ebml('webm'))).toEqual(plain('video/webm'));
    expect(detectFileType(ebml('matroska'))).toEqual(plain('video/x-matroska'));
    expect(detectFileType(concat(ascii('ID3'), Uint8Array.of(4, 0, 0, 0, 0, 0, 0), randomBytes(20)))).toEqual(plain('audio/mpeg'));
    // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz.
    expect(detectFileType(concat(Uint8Array.of(0xff, 0xfb, 0x90, 0x64), new Uint8Array(100)))).toEqual(plain('audio/mpeg'));
    expect(detectFileType(concat(ascii('OggS'), Uint8Array.of(0, 2), new Uint8Array(20)))).toEqual(plain('audio/ogg'));
    expect(detectFileType(concat(ascii('RIFF'), new Uint8Array(4), ascii('WAVEfmt '), new Uint8Array(20)))).toEqual(plain('audio/wav'));
  });

  it('takes valid UTF-8 without NUL bytes as text, and nothing else', () => {
    expect(detectFileType(ascii('plain words, ünïcödé and emoji 🎉'))).toEqual(plain('text/plain'));
    expect(detectFileType(ascii('almost text\0with a NUL'))).toBeNull();
    expect(detectFileType(Uint8Array.of(0x68, 0x69, 0xc3, 0x28))).toBeNull();
    expect(detectFileType(concat(Uint8Array.of(0x7f, 0x45, 0x4c, 0x46), randomBytes(64)))).toBeNull();
    expect(detectFileType(concat(Uint8Array.of(0x4d, 0x5a), randomBytes(64)))).toBeNull();
  });
});

describe('file names', () => {
  it('keeps the base name, drops control and direction-override characters, and caps the length but not the extension', () => {
    expect(sanitizeFileName('../../etc/passwd')).toBe('passwd');
    expect(sanitizeFileName('C:\\Users\\me\\photo.jpg')).toBe('photo.jpg');
    expect(sanitizeFileName('in\u202Egnp.exe')).toBe('ingnp.exe');
    expect(sanitizeFileName('line\r\nbreak\u0000.txt')).toBe('linebreak.txt');
    expect(sanitizeFileName('  \u0007 ')).toBe('file');
    const long = sanitizeFileName(`${'é'.repeat(500)}.jpeg`);
    expect(Array.from(long)).toHaveLength(200);
    expect(long).toEndWith('é.jpeg');
  });
});
