// A small JSON client for tests: every call returns status, headers and the parsed body.
export interface ApiResponse<Body = any> {
  status: number;
  headers: Headers;
  body: Body;
}

export interface RequestOptions {
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
}

export function createClient(baseUrl: string) {
  async function request<Body = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<Body>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | FormData | undefined;
    if (options.body instanceof FormData || typeof options.body === 'string') body = options.body;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return {
      status: response.status,
      headers: response.headers,
      body: (type.includes('json') && text ? JSON.parse(text) : text) as Body,
    };
  }
  return {
    request,
    get: <Body = any>(path: string, options?: RequestOptions) => request<Body>('GET', path, options),
    post: <Body = any>(path: string, body?: unknown, options?: RequestOptions) => request<Body>('POST', path, { ...options, body }),
    put: <Body = any>(path: string, body?: unknown, options?: RequestOptions) => request<Body>('PUT', path, { ...options, body }),
    patch: <Body = any>(path: string, body?: unknown, options?: RequestOptions) => request<Body>('PATCH', path, { ...options, body }),
    delete: <Body = any>(path: string, options?: RequestOptions) => request<Body>('DELETE', path, options),
  };
}

export type TestClient = ReturnType<typeof createClient>;
