-- An import's change list (SPEC section 10: preview and undo): one row per changed field, created
-- customer, or customer a revert removed, written in the import's own transaction (a dry run's
-- with its log entry). kind is 'changed', 'created' or 'removed'; col the column's tag for
-- 'changed'; old_value and new_value as custexport.ChangeValue writes them; digest, for
-- 'created', the created record's custexport.RecordDigest.
CREATE TABLE import_change (
    import_id     INTEGER NOT NULL REFERENCES import_log (id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    line          INTEGER NOT NULL,
    customer_guid TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    col           TEXT    NOT NULL,
    old_value     TEXT    NOT NULL,
    new_value     TEXT    NOT NULL,
    digest        TEXT    NOT NULL,
    PRIMARY KEY (import_id, seq)
) WITHOUT ROWID;

-- changes: the length of the list; reverts: the import this entry reverts (0: a file);
-- removed: customers a revert removed.
ALTER TABLE import_log ADD COLUMN changes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE import_log ADD COLUMN reverts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE import_log ADD COLUMN removed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX import_log_reverts ON import_log (reverts) WHERE reverts <> 0;
