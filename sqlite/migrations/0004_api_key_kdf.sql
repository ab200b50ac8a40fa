-- Chosen API keys (GALEN_ADMIN_KEY) are hashed with a slow, salted KDF:
-- kdf holds its parameters and salt ('' for a generated key, whose hash is
-- the SHA-256 of the secret). Listings stop showing characters of the
-- secret: prefix now only says which kind of secret a key has.
ALTER TABLE api_keys ADD COLUMN kdf TEXT NOT NULL DEFAULT '';
UPDATE api_keys SET prefix = CASE WHEN substr(prefix, 1, 4) = 'glk_' THEN 'glk_' ELSE 'chosen' END;
