// OpenAPI document at /swagger/json and Swagger UI at /swagger, with the UI's assets served from the binary.
import { Elysia } from 'elysia';
import { openapi } from '@elysiajs/openapi';
// `type: 'file'` embeds the files in the compiled binary, so the docs work offline.
import swaggerBundlePath from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' };
import swaggerCssPath from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' };
import packageJson from '../../package.json';

const ASSETS = '/swagger/assets';

/** Tag names and what each covers; modules tag their routes with these. */
export const DOC_TAGS = [
  { name: 'Auth', description: 'Signup, email confirmation, login with a second factor or a passkey, sessions, password reset.' },
  { name: 'Users', description: 'Your profile and public profiles.' },
  { name: 'Second factors', description: 'TOTP with recovery codes, and passkeys.' },
  { name: 'Friends', description: 'Friend requests, friends with presence, and blocking.' },
  { name: 'Messages', description: 'Direct and group messages, history, receipts.' },
  { name: 'Groups', description: 'Group chats: members, admins, name, description and picture.' },
  { name: 'Chats', description: 'Your chat list with last messages, unread counts and archiving.' },
  { name: 'Uploads', description: 'Files: upload, then attach to messages or use as an avatar or group picture; download.' },
  { name: 'Notifications', description: 'Friend requests, acceptances, mentions, group additions.' },
  { name: 'Real time', description: 'The WebSocket gateway.' },
  { name: 'System', description: 'Health, readiness and these docs.' },
];

const DESCRIPTION = `A self-hostable real-time chat API.

Authenticate with \`Authorization: Bearer <accessToken>\`. Every error answers
\`{"error": {"code": "snake_case", "message": "…", "details"?: …}}\`.

Real time: open \`GET /ws?token=<accessToken>\` and subscribe to per-conversation topics.

Rate limits: signup, login, second factors, emails and uploads allow \`RATE_LIMIT\` requests per minute
per client IP (and logins and codes a few per account); past that they answer 429 \`rate_limited\`
with \`Retry-After\`.`;

const WEBSOCKET_DESCRIPTION = `Upgrade to a WebSocket. Server frames are \`{topic, seq, type, data}\`; \`seq\` rises by one per
durable event of a topic. Ephemeral \`TYPING\` and \`PRESENCE\` carry no seq.

On open the server sends \`{"type":"READY","userId","topics"}\`. Its topics are \`user:<me>\`, \`chat:<id>\` per direct
chat, \`group:<id>\` per group, and the presence of each friend. Membership changes move them at once.

Client frames:
- \`{"type":"resume","cursors":{"chat:abc":41,"user:me":7}}\`: every later event of those topics, in order, then live
  ones with no gap and no duplicate; then \`{"type":"RESUMED","topics":[…]}\`. Send it as the first frame: events of
  a new socket are held (not dropped) for one second or until the first frame. Past retention:
  \`{"type":"RESYNC_REQUIRED","topic"}\` (reload over REST; live events keep coming).
- \`{"type":"send","clientMessageId","toUserId"|"groupId","text",…}\` → \`{"type":"ACK","clientMessageId","message"}\`
  after the message is durably stored, or \`{"type":"ERROR","clientMessageId","error"}\`.
- \`{"type":"typing","chatId"}\`, \`{"type":"delivered"|"read","messageId"}\`, \`{"type":"ping"}\` → \`{"type":"pong"}\`.

A malformed frame gets \`{"type":"ERROR","error":{code,message}}\`; the socket stays open.

Close codes: 4000 server restarting and 4001 too slow to keep up (reconnect, then resume); 4500 account gone and
4501 protocol violation (do not reconnect). Idle sockets are pinged; one that stops answering is closed.`;

export function docs() {
  return new Elysia({ name: 'docs' })
    .get(`${ASSETS}/swagger-ui-bundle.js`, () => Bun.file(swaggerBundlePath), { detail: { hide: true } })
    .get(`${ASSETS}/swagger-ui.css`, () => Bun.file(swaggerCssPath), { detail: { hide: true } })
    .use(
      openapi({
        path: '/swagger',
        specPath: '/swagger/json',
        provider: 'swagger-ui',
        exclude: { paths: [/^\/swagger/] },
        swagger: {
          cdn: `${ASSETS}/swagger-ui-bundle.js`,
          theme: `${ASSETS}/swagger-ui.css`,
          // The default validator badge calls an external service; docs must work offline.
          validatorUrl: 'none',
          persistAuthorization: true,
        },
        documentation: {
          info: { title: 'Chat API', version: packageJson.version, description: DESCRIPTION },
          tags: DOC_TAGS,
          paths: {
            '/ws': {
              get: {
                tags: ['Real time'],
                summary: 'WebSocket gateway',
                description: WEBSOCKET_DESCRIPTION,
                parameters: [{ name: 'token', in: 'query', required: true, description: 'An access token.', schema: { type: 'string' } }],
                responses: {
                  '101': { description: 'Switching to the WebSocket protocol.' },
                  '401': { description: 'No valid token: no upgrade.' },
                },
              },
            },
          },
          components: {
            securitySchemes: {
              bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
            },
          },
        },
      }),
    );
}
