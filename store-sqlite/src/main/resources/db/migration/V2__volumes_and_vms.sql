-- Allocations become volumes: how they are laid out, what they were made from, who owns them,
-- and where they are in their life (Pending, Ready, Released).
ALTER TABLE allocations ADD COLUMN format   TEXT NOT NULL DEFAULT 'directory';
ALTER TABLE allocations ADD COLUMN template TEXT;
ALTER TABLE allocations ADD COLUMN owner    TEXT;
ALTER TABLE allocations ADD COLUMN phase    TEXT NOT NULL DEFAULT 'Ready';

CREATE TABLE vms (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    namespace    TEXT NOT NULL,
    image        TEXT NOT NULL,
    server_type  TEXT,
    cpu          INTEGER NOT NULL,
    memory_gb    INTEGER NOT NULL,
    disk_id      TEXT NOT NULL,
    status       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    UNIQUE (namespace, name)
);
