-- Admin users of the admin UI. AUTOINCREMENT: an id is never reused, so a user created after
-- another was deleted can never take over its export slot ("user:ID") or its sessions.
-- Times are unix milliseconds, as in the partner and access-log tables.
CREATE TABLE admin_user (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    name                TEXT    NOT NULL,
    name_key            TEXT    NOT NULL,           -- the name lower-cased with Unicode rules (SQLite's NOCASE folds ASCII only)
    password_hash       TEXT    NOT NULL,           -- argon2id PHC string; never the password
    created_at          INTEGER NOT NULL,
    password_changed_at INTEGER NOT NULL,
    last_login_at       INTEGER NOT NULL DEFAULT 0  -- 0 = never
);

-- User names are unique whatever their letter case: "Novak" and "novak" are one user.
CREATE UNIQUE INDEX admin_user_name ON admin_user (name_key);

-- Logged-in browsers. Only the SHA-256 of the cookie token is stored, never the token: a copy of
-- the database cannot be used to log in. Deleting a user ends its sessions.
CREATE TABLE admin_session (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES admin_user (id) ON DELETE CASCADE,
    token_hash   BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);

-- Serves "end every session of this user" and the cascade on delete.
CREATE INDEX admin_session_user ON admin_session (user_id);
