// The two pages a person opens from an email link, for servers used without a web client of their own.

function page(title: string, body: string): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title><style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}input,button{font:inherit;padding:.5rem;width:100%;margin:.25rem 0;box-sizing:border-box}</style>
</head><body>${body}</body></html>`;
  return new Response(html, {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      // The token is in the URL: keep it out of other sites' Referer headers.
      'referrer-policy': 'no-referrer',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'",
    },
  });
}

export function emailVerifiedPage(ok: boolean): Response {
  return ok
    ? page('Email confirmed', '<h1>Email confirmed</h1><p>You can log in now.</p>')
    : page('Link not valid', '<h1>This link is not valid</h1><p>It expired or was already used. Ask for a new one from the app.</p>');
}

/** A form that posts the new password with the token to POST /password/reset. */
export function resetPasswordPage(): Response {
  return page(
    'Choose a new password',
    `<h1>Choose a new password</h1>
<form id="f"><input id="p" type="password" minlength="8" maxlength="256" required autocomplete="new-password" placeholder="New password">
<button>Save</button></form><p id="m" role="status"></p>
<script>
document.getElementById('f').addEventListener('submit', async (event) => {
  event.preventDefault();
  const token = new URLSearchParams(location.search).get('token');
  const response = await fetch('/password/reset', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, newPassword: document.getElementById('p').value }) });
  document.getElementById('m').textContent = response.ok ? 'Saved. You can log in with the new password.'
    : ((await response.json()).error || {}).message || 'That did not work.';
});
</script>`,
  );
}
