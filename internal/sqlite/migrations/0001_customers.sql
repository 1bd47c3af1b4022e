-- Customers. Date-times are unix seconds (UTC): the shop's time zone is a setting, so wall-clock
-- text would go wrong the day it changes. The default delivery address lives in the row itself
-- because CSV and XLSX exports carry it for every customer and a join per row would halve their
-- speed; further delivery addresses are only ever read and written with their customer, so they
-- are kept as a JSON array in delivery_extra (XML is the only format that carries them).
CREATE TABLE customer (
    id                    INTEGER PRIMARY KEY,
    guid                  TEXT    NOT NULL UNIQUE,
    email                 TEXT    NOT NULL,
    email_key             TEXT    NOT NULL UNIQUE, -- lower-cased e-mail: unique case-insensitively
    registration_date     INTEGER NOT NULL,
    billing_full_name     TEXT    NOT NULL,
    billing_company       TEXT    NOT NULL DEFAULT '',
    billing_street        TEXT    NOT NULL DEFAULT '',
    billing_house_number  TEXT    NOT NULL DEFAULT '',
    billing_city          TEXT    NOT NULL DEFAULT '',
    billing_district      TEXT    NOT NULL DEFAULT '',
    billing_additional    TEXT    NOT NULL DEFAULT '',
    billing_zip           TEXT    NOT NULL DEFAULT '',
    billing_country_code  TEXT    NOT NULL DEFAULT '',
    company_id            TEXT    NOT NULL DEFAULT '',
    vat_id                TEXT    NOT NULL DEFAULT '',
    tax_id                TEXT    NOT NULL DEFAULT '',
    phone                 TEXT    NOT NULL DEFAULT '',
    delivery_full_name    TEXT    NOT NULL DEFAULT '',
    delivery_company      TEXT    NOT NULL DEFAULT '',
    delivery_street       TEXT    NOT NULL DEFAULT '',
    delivery_house_number TEXT    NOT NULL DEFAULT '',
    delivery_city         TEXT    NOT NULL DEFAULT '',
    delivery_district     TEXT    NOT NULL DEFAULT '',
    delivery_additional   TEXT    NOT NULL DEFAULT '',
    delivery_zip          TEXT    NOT NULL DEFAULT '',
    delivery_country_code TEXT    NOT NULL DEFAULT '',
    delivery_extra        TEXT    NOT NULL DEFAULT '', -- JSON array of further addresses, or ''
    customer_group        TEXT    NOT NULL DEFAULT '',
    price_list            TEXT    NOT NULL DEFAULT '',
    price_ratio           INTEGER NOT NULL DEFAULT 10000, -- ten-thousandths: 7800 = 0.7800
    birth_date            TEXT    NOT NULL DEFAULT '',     -- YYYY-MM-DD or ''
    remark                TEXT    NOT NULL DEFAULT '',
    disabled_orders       INTEGER NOT NULL DEFAULT 0 CHECK (disabled_orders IN (0, 1)),
    change_time           INTEGER NOT NULL
);

-- Serves both the registration-date filter and the export order without a sort.
CREATE INDEX customer_registration ON customer (registration_date, guid);
