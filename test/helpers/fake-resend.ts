// A local stand-in for Resend's HTTP API (the one fake the tests allow): it records every email sent.
export interface SentEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface FakeResend {
  url: string;
  emails: SentEmail[];
  /** Answers the next `count` sends with a 500, to exercise retries. */
  failNext(count: number): void;
  /** Resolves with the first email to `to` matching `subject` that arrives (or has arrived) after `since` emails. */
  waitForEmail(to: string, subject: RegExp, since?: number): Promise<SentEmail>;
  stop(): void;
}

export function startFakeResend(): FakeResend {
  const emails: SentEmail[] = [];
  let failures = 0;
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(request) {
      const url = new URL(request.url);
      if (request.method !== 'POST' || url.pathname !== '/emails') return new Response('not found', { status: 404 });
      if (!request.headers.get('authorization')?.startsWith('Bearer re_')) {
        return Response.json({ name: 'validation_error', message: 'API key is invalid', statusCode: 401 }, { status: 401 });
      }
      if (failures > 0) {
        failures--;
        return Response.json({ name: 'internal_server_error', message: 'try again', statusCode: 500 }, { status: 500 });
      }
      const body = (await request.json()) as SentEmail & { to: string | string[] };
      emails.push({ ...body, to: Array.isArray(body.to) ? body.to[0]! : body.to });
      return Response.json({ id: crypto.randomUUID() });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    emails,
    failNext(count) {
      failures = count;
    },
    async waitForEmail(to, subject, since = 0) {
      for (let waited = 0; waited < 10_000; waited += 20) {
        const found = emails.slice(since).find((email) => email.to === to && subject.test(email.subject));
        if (found) return found;
        await Bun.sleep(20);
      }
      throw new Error(`No email to ${to} matching ${subject}; got ${JSON.stringify(emails.map((email) => [email.to, email.subject]))}`);
    },
    stop() {
      server.stop(true);
    },
  };
}

/** The first link in an email's text. */
export function linkIn(email: SentEmail): string {
  const match = email.text.match(/https?:\/\/\S+/);
  if (!match) throw new Error(`No link in: ${email.text}`);
  return match[0];
}

/** The token query parameter of an email's link. */
export function tokenIn(email: SentEmail): string {
  return new URL(linkIn(email)).searchParams.get('token')!;
}
