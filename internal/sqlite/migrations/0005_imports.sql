-- The import log (Zákazníci → Import → Log): one row per import, from the admin UI or the CLI.
-- Times are unix milliseconds.
CREATE TABLE import_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             INTEGER NOT NULL,
    principal_kind TEXT    NOT NULL,
    principal_id   INTEGER NOT NULL,
    principal_name TEXT    NOT NULL,
    file           TEXT    NOT NULL,
    encoding       TEXT    NOT NULL,
    delimiter      TEXT    NOT NULL,
    dry_run        INTEGER NOT NULL,
    rows           INTEGER NOT NULL,
    created        INTEGER NOT NULL,
    updated        INTEGER NOT NULL,
    unchanged      INTEGER NOT NULL,
    skipped        INTEGER NOT NULL,
    unknown        TEXT    NOT NULL, -- JSON array of header tags not recognised
    skipped_rows   TEXT    NOT NULL, -- JSON array of {line, column, reason}, at most 10,000
    error          TEXT    NOT NULL  -- why the whole file was refused; '' when it was processed
);
