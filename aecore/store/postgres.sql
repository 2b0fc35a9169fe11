-- Autoencoder Explorer's model library on PostgreSQL: the one copy of its schema. Every app
-- replica runs these statements at start-up (aecore/store/postgres.py reads this file), so an
-- older database gains what a newer release adds; deploy/compose.yaml also mounts it into
-- /docker-entrypoint-initdb.d and benchmarks/_cluster.py applies it the same way. The weights
-- live in model_blobs (bytea).

CREATE TABLE IF NOT EXISTS models (
    seq       BIGSERIAL,
    id        TEXT PRIMARY KEY,
    owner     TEXT NOT NULL,
    name      TEXT NOT NULL,
    type      TEXT NOT NULL,
    k         INTEGER NOT NULL,
    created   DOUBLE PRECISION NOT NULL,
    last_used DOUBLE PRECISION NOT NULL,
    share_id  TEXT UNIQUE,
    size      BIGINT NOT NULL,
    status    TEXT NOT NULL,
    card      JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS models_owner ON models (owner, created DESC, seq DESC);
CREATE INDEX IF NOT EXISTS models_lru ON models (last_used) WHERE share_id IS NULL;
CREATE TABLE IF NOT EXISTS model_blobs (
    id     TEXT PRIMARY KEY,
    stored DOUBLE PRECISION NOT NULL,
    data   BYTEA NOT NULL
);
ALTER TABLE model_blobs ALTER COLUMN data SET STORAGE EXTERNAL;
-- the last hour's saves, for the hourly limits per owner and per client address (hashed)
CREATE TABLE IF NOT EXISTS saves (
    at     DOUBLE PRECISION NOT NULL,
    owner  TEXT NOT NULL,
    client TEXT NOT NULL,
    size   BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS saves_at ON saves (at);
