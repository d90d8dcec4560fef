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
  { name: 'System', description: 'Health, readiness and these docs.' },
];

const DESCRIPTION = `A self-hostable real-time chat API.

Authenticate with \`Authorization: Bearer <accessToken>\`. Every error answers
\`{"error": {"code": "snake_case", "message": "…", "details"?: …}}\`.

Real time: open \`GET /ws?token=<accessToken>\` and subscribe to per-conversation topics.`;

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
          components: {
            securitySchemes: {
              bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
            },
          },
        },
      }),
    );
}
