// Turns every failure into API.md's error shape: {"error": {code, message, details?}}, never a stack or SQL.
import { Elysia, ValidationError } from 'elysia';
import { AppError, CommonErrors, errorBody } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { requestIdOf } from './request-context.ts';

interface Route {
  method: string;
  path: string;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

/** `/users/:id` → a regex matching `/users/abc`. */
function patternOf(path: string): RegExp {
  const escaped = path.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/:[^/]+/g, '[^/]+').replace(/\*/g, '.*')}/?$`);
}

/** The methods other routes answer on this path; a non-empty list turns a 404 into a 405. */
function allowedMethodsFor(routes: Route[], path: string): string[] {
  const methods = routes.filter((route) => route.method !== 'ALL' && patternOf(route.path).test(path));
  return [...new Set(methods.map((route) => route.method))];
}

/** Field-level problems a client can show next to its inputs. */
function validationDetails(error: Readonly<ValidationError>) {
  return error.all.map((problem) => ({
    field: 'path' in problem && problem.path ? problem.path.replace(/^\//, '').replaceAll('/', '.') : error.type,
    message: problem.summary ?? problem.message,
  }));
}

/**
 * The app-wide error handler. `routes` is read on each 404 so it sees the finished app's routes.
 */
export function errorHandler(log: Logger, routes: () => Route[]) {
  return new Elysia({ name: 'error-handler' })
    .onError({ as: 'global' }, ({ code, error, request, path, set }) => {
      // Checked by class, not by `code`: Elysia takes an error's own `code` property as the code.
      if (error instanceof AppError) {
        set.status = error.status;
        return json(error.status, errorBody(error.code, error.message, error.details), error.headers);
      }
      switch (code) {
        case 'VALIDATION':
          set.status = 400;
          return json(
            400,
            errorBody(CommonErrors.validationFailed, `Invalid ${error.type}`, validationDetails(error)),
          );
        case 'PARSE':
          set.status = 400;
          return json(400, errorBody(CommonErrors.validationFailed, 'The request body could not be parsed'));
        case 'NOT_FOUND': {
          const allowed = allowedMethodsFor(routes(), path);
          if (allowed.length > 0) {
            set.status = 405;
            return json(
              405,
              errorBody(CommonErrors.methodNotAllowed, `${request.method} is not allowed here`, { allowed }),
              { allow: allowed.join(', ') },
            );
          }
          set.status = 404;
          return json(404, errorBody(CommonErrors.notFound, `No route for ${request.method} ${path}`));
        }
        default: {
          const requestId = requestIdOf(request);
          log.error('unhandled error', {
            requestId,
            method: request.method,
            path,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          });
          set.status = 500;
          return json(500, errorBody(CommonErrors.internal, 'Something went wrong on our side', { requestId }));
        }
      }
    });
}
