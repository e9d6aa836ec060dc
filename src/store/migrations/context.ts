// What every migration's `up(db, ctx)` is told about the database it runs on.
export interface MigrationContext {
  readonly dialect: 'sqlite' | 'postgres';
}
