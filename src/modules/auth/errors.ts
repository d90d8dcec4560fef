// Error codes of the auth module.
export const AuthErrors = {
  invalidCredentials: 'invalid_credentials',
  emailNotVerified: 'email_not_verified',
  invalidToken: 'invalid_token',
  invalidRefreshToken: 'invalid_refresh_token',
} as const;
