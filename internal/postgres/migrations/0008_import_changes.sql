-- An import's change list (SPEC section 10: preview and undo), as in the SQLite store: one row
-- per changed field, created customer, or customer a revert removed, written in the import's
-- own transaction (a dry run's with its log entry).
CREATE TABLE import_change (
    import_id     bigint NOT NULL REFERENCES import_log (id) ON DELETE CASCADE,
    seq           bigint NOT NULL,
    line          bigint NOT NULL,
    customer_guid text   NOT NULL,
    kind          text   NOT NULL,
    col           text   NOT NULL,
    old_value     text   NOT NULL,
    new_value     text   NOT NULL,
    digest        text   NOT NULL,
    PRIMARY KEY (import_id, seq)
);

ALTER TABLE import_log ADD COLUMN changes bigint NOT NULL DEFAULT 0,
    ADD COLUMN reverts bigint NOT NULL DEFAULT 0,
    ADD COLUMN removed bigint NOT NULL DEFAULT 0;
CREATE INDEX import_log_reverts ON import_log (reverts) WHERE reverts <> 0;
