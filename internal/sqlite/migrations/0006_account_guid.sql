-- accountGuid (SPEC section 1): the customer's login account, a UUID given on create, unique,
-- never changed. Existing customers get a random version-4 UUID each; the unique index refuses
-- the migration (rolled back whole) in the astronomically unlikely case that two collide.
-- SQLite's ADD COLUMN takes no volatile default, so the column is added empty and filled.
ALTER TABLE customer ADD COLUMN account_guid TEXT NOT NULL DEFAULT '';

UPDATE customer SET account_guid =
    lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' ||
    substr(lower(hex(randomblob(2))), 2) || '-' ||
    substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' ||
    lower(hex(randomblob(6)));

CREATE UNIQUE INDEX customer_account_guid ON customer (account_guid);
