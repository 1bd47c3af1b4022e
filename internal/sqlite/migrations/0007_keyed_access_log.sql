-- The keyed access log (SPEC section 7): entries are MACed with a key derived from the master
-- key from now on (hash and prev_hash keep their columns); the entries written before are
-- carried over by a signed start checkpoint when the store first appends with the key.
-- Checkpoints are signed statements about the chain: copies of the head, the start, retention
-- markers, master-key changes. Times are unix milliseconds.
CREATE TABLE access_checkpoint (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    kind      TEXT    NOT NULL CHECK (kind IN ('head', 'start', 'retention', 'new-key')),
    at        INTEGER NOT NULL,
    entries   INTEGER NOT NULL, -- the position of last_hash: entries since the chain began
    last_hash TEXT    NOT NULL,
    anchor    TEXT    NOT NULL, -- start: prev_hash of the oldest entry carried over
    cut_off   INTEGER NOT NULL, -- retention: entries before it were deleted; else 0
    mac       TEXT    NOT NULL
);

-- The chain's signed head, updated with every entry in the entry's transaction.
CREATE TABLE access_head (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    at        INTEGER NOT NULL,
    entries   INTEGER NOT NULL,
    last_hash TEXT    NOT NULL,
    mac       TEXT    NOT NULL
);

-- The master key's check value (never the key): a start with a missing or different key is
-- refused instead of silently breaking every link and the log's chain.
CREATE TABLE master_key (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    check_value TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

-- What to log if the export holding the lease dies: the engine's description of it, dropped on
-- release; an expired lease that still has one is recovered (logged "failed") before reuse.
ALTER TABLE export_lease ADD COLUMN note TEXT NOT NULL DEFAULT '';
