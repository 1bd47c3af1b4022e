-- accountGuid (SPEC section 1), as in the SQLite store: the customer's login account, a UUID
-- given on create, unique, never changed. Adding the column with a volatile default gives every
-- existing customer its own random UUID; the default is dropped afterwards, because the program
-- gives new customers theirs, as it does in SQLite. COLLATE "C" as guid: compared byte by byte.
ALTER TABLE customer ADD COLUMN account_guid text COLLATE "C" NOT NULL DEFAULT gen_random_uuid()::text;
ALTER TABLE customer ALTER COLUMN account_guid DROP DEFAULT;
ALTER TABLE customer ADD CONSTRAINT customer_account_guid_unique UNIQUE (account_guid);
