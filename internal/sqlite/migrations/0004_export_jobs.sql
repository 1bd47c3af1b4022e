-- Export jobs of the admin UI: the export runs in the background and its file is kept for a
-- day. In the database, not in memory, so every tab and every instance sees the same job.
-- Times are unix milliseconds.
CREATE TABLE export_job (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES admin_user (id) ON DELETE CASCADE,
    format     TEXT    NOT NULL,
    encoding   TEXT    NOT NULL,
    guard      INTEGER NOT NULL,
    date_from  TEXT    NOT NULL, -- YYYY-MM-DD or '' (open)
    date_until TEXT    NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('running', 'done', 'failed', 'expired')),
    rows_done  INTEGER NOT NULL DEFAULT 0,
    rows_total INTEGER NOT NULL DEFAULT 0,
    bytes      INTEGER NOT NULL DEFAULT 0,
    replaced   INTEGER NOT NULL DEFAULT 0,
    error      TEXT    NOT NULL DEFAULT '',
    file       TEXT    NOT NULL DEFAULT '', -- name in the jobs directory
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    ended_at   INTEGER NOT NULL DEFAULT 0
);

-- A user's newest job; running and done jobs for the clean-up.
CREATE INDEX export_job_user ON export_job (user_id, id);
CREATE INDEX export_job_state ON export_job (state, updated_at);
