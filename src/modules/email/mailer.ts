// Sends email through Resend, or, without an API key, writes it to the log and DATA_DIR/outbox/.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Resend } from 'resend';
import type { Logger } from '../../lib/logger.ts';
import type { Email } from './templates.ts';

export interface Mailer {
  /** Queues an email: never throws and never makes the caller wait for delivery. */
  send(email: Email): void;
  /** Resolves once every queued email was sent or given up on (shutdown, tests). */
  idle(): Promise<void>;
}

interface MailerSettings {
  resendApiKey: string;
  resendBaseUrl: string;
  emailFrom: string;
  dataDir: string;
}

const ATTEMPTS = 4;
const FIRST_RETRY_MS = 500;

export function createMailer(settings: MailerSettings, log: Logger): Mailer {
  const deliver = settings.resendApiKey ? resendDelivery(settings) : outboxDelivery(settings, log);
  const pending = new Set<Promise<void>>();

  async function sendWithRetries(email: Email): Promise<void> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        await deliver(email);
        log.info('email sent', { subject: email.subject, attempt });
        return;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (attempt === ATTEMPTS) {
          log.error('email not sent', { subject: email.subject, attempts: attempt, error: message });
          return;
        }
        log.warn('email send failed, retrying', { subject: email.subject, attempt, error: message });
        await Bun.sleep(FIRST_RETRY_MS * 2 ** (attempt - 1));
      }
    }
  }

  return {
    send(email) {
      const sending = sendWithRetries(email).finally(() => pending.delete(sending));
      pending.add(sending);
    },
    async idle() {
      await Promise.all(pending);
    },
  };
}

function resendDelivery(settings: MailerSettings) {
  const resend = new Resend(settings.resendApiKey, settings.resendBaseUrl ? { baseUrl: settings.resendBaseUrl } : undefined);
  return async (email: Email) => {
    const { error } = await resend.emails.send({ from: settings.emailFrom, ...email });
    if (error) throw new Error(`Resend: ${error.message}`);
  };
}

/** For self-hosters without Resend: the link is in the log and in a file they can open. */
function outboxDelivery(settings: MailerSettings, log: Logger) {
  const outbox = join(settings.dataDir, 'outbox');
  return async (email: Email) => {
    await mkdir(outbox, { recursive: true });
    const file = join(outbox, `${Date.now()}-${email.to.replace(/[^\w.@-]/g, '_')}.json`);
    await Bun.write(file, JSON.stringify({ from: settings.emailFrom, ...email }, null, 2));
    log.info('email written to outbox (no RESEND_API_KEY)', { to: email.to, subject: email.subject, file, text: email.text });
  };
}
