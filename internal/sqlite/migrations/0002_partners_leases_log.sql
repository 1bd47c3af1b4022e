-- Partners hold signed export links. AUTOINCREMENT: an id is never reused, so a partner
-- created after another was deleted can never inherit its links (the salt changes too).
CREATE TABLE partner (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL,
    note         TEXT    NOT NULL DEFAULT '',
    valid_until  TEXT    NOT NULL DEFAULT '', -- YYYY-MM-DD, last day in shop time; '' = no expiry
    link_salt    BLOB    NOT NULL,            -- replaced on regenerate; the key also needs the master key
    created_at   INTEGER NOT NULL,            -- unix milliseconds
    last_used_at INTEGER NOT NULL DEFAULT 0,  -- unix milliseconds; 0 = never
    deleted_at   INTEGER NOT NULL DEFAULT 0   -- unix milliseconds; 0 = live
);

-- One export at a time per principal: a lease row with an expiry that the running export's
-- heartbeat keeps pushing forward, and a fencing counter that grows with every acquisition.
CREATE TABLE export_lease (
    principal  TEXT    PRIMARY KEY, -- Principal.Key(), e.g. 'partner:7'
    holder     TEXT    NOT NULL,
    fence      INTEGER NOT NULL,
    expires_at INTEGER NOT NULL     -- unix milliseconds
);

-- The access log: append-only, each entry chained to its predecessor by hash.
CREATE TABLE access_log (
    id             INTEGER PRIMARY KEY,
    at             INTEGER NOT NULL, -- unix milliseconds, UTC
    principal_kind TEXT    NOT NULL,
    principal_id   INTEGER NOT NULL,
    principal_name TEXT    NOT NULL,
    channel        TEXT    NOT NULL,
    client_ip      TEXT    NOT NULL,
    user_agent     TEXT    NOT NULL,
    format         TEXT    NOT NULL,
    encoding       TEXT    NOT NULL,
    filter         TEXT    NOT NULL,
    outcome        TEXT    NOT NULL,
    reason         TEXT    NOT NULL,
    rows           INTEGER NOT NULL,
    bytes          INTEGER NOT NULL,
    duration_ms    INTEGER NOT NULL,
    replaced       INTEGER NOT NULL,
    prev_hash      TEXT    NOT NULL,
    hash           TEXT    NOT NULL
);
CREATE INDEX access_log_at ON access_log (at);
