// Error codes of the users module.
export const UserErrors = {
  usernameTaken: 'username_taken',
  emailTaken: 'email_taken',
  invalidPassword: 'invalid_password',
} as const;
