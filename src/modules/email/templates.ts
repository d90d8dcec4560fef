// Every email the server sends, as text and HTML.

export interface Email {
  to: string;
  subject: string;
  text: string;
  html: string;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function layout(heading: string, paragraph: string, link: string, action: string, footer: string): string {
  return `<!doctype html><html><body style="font-family:system-ui,sans-serif;max-width:32rem;margin:auto;padding:1rem">
<h1 style="font-size:1.25rem">${escapeHtml(heading)}</h1>
<p>${escapeHtml(paragraph)}</p>
<p><a href="${escapeHtml(link)}" style="display:inline-block;padding:.6rem 1rem;background:#2563eb;color:#fff;border-radius:.4rem;text-decoration:none">${escapeHtml(action)}</a></p>
<p style="color:#666;font-size:.85rem">${escapeHtml(footer)}<br>${escapeHtml(link)}</p>
</body></html>`;
}

export function verifyEmailTemplate(to: string, username: string, link: string): Email {
  const footer = 'The link works once and expires in 24 hours. If you did not sign up, ignore this email.';
  return {
    to,
    subject: 'Confirm your email',
    text: `Hi ${username},\n\nConfirm your email address to start chatting:\n\n${link}\n\n${footer}\n`,
    html: layout(`Hi ${username}`, 'Confirm your email address to start chatting.', link, 'Confirm email', footer),
  };
}

export function resetPasswordTemplate(to: string, username: string, link: string): Email {
  const footer = 'The link works once and expires in 1 hour. If you did not ask for it, ignore this email: your password stays as it is.';
  return {
    to,
    subject: 'Reset your password',
    text: `Hi ${username},\n\nChoose a new password here:\n\n${link}\n\n${footer}\n`,
    html: layout(`Hi ${username}`, 'Someone asked to reset the password of your account.', link, 'Choose a new password', footer),
  };
}
