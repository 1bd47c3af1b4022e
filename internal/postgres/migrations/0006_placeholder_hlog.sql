-- PLACEHOLDER on branch h/log only, so that 0007 applies in its tests: the real 0006 comes from
-- h/guid (accountGuid). Drop this file when merging.
SELECT 1;
