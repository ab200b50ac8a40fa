-- The network address each audited request came from, so that refused
-- attempts (401, 403) can be traced. Events written before have ''.
ALTER TABLE audit_events ADD COLUMN client text NOT NULL DEFAULT '';
