-- Standalone state: the server inventory (with its pool label) and admitted allocations.
CREATE TABLE servers (
    name           TEXT PRIMARY KEY,
    pool_label     TEXT,
    share_bytes    INTEGER,
    created_at     TEXT NOT NULL
);

CREATE TABLE allocations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    pool        TEXT NOT NULL,
    server      TEXT NOT NULL,
    size_bytes  INTEGER NOT NULL CHECK (size_bytes > 0),
    kind        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE INDEX allocations_by_server ON allocations (server);
