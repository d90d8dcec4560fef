// Error codes of the MFA module.
export const MfaErrors = {
  totpAlreadyEnabled: 'totp_already_enabled',
  totpNotSetUp: 'totp_not_set_up',
  totpNotEnabled: 'totp_not_enabled',
  invalidMfaCode: 'invalid_mfa_code',
  invalidPasskey: 'invalid_passkey',
  challengeExpired: 'challenge_expired',
} as const;
