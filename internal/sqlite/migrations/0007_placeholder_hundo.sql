-- PLACEHOLDER on branch h/undo only, so that 0008 applies in its tests: the real 0007 comes from
-- h/log (keyed access log). Drop this file when merging.
SELECT 1;
