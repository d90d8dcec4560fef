// Error codes of the uploads module.
export const UploadErrors = {
  /** 415: the bytes are not one of the accepted kinds, whatever the name or declared type said. */
  unsupportedFileType: 'unsupported_file_type',
} as const;
