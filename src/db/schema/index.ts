// Every table, one file per feature; drizzle-kit reads this folder to generate migrations.
export * from './users.ts';
export * from './auth.ts';
export * from './social.ts';
export * from './chats.ts';
export * from './events.ts';
export * from './uploads.ts';
