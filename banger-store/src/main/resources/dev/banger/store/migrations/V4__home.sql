-- V4: the identity of this state database (its home). Every VM directory carries it in vm.json, so a
-- daemon can tell its own VMs from those of a lost, replaced or foreign database and never destroys
-- what its database does not know. Made once, here, from SQLite's own random source.
CREATE TABLE home (
    singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
    id          TEXT NOT NULL CHECK (length(id) = 32),
    created_at  TEXT NOT NULL
);
INSERT INTO home (singleton, id, created_at) VALUES (1, lower(hex(randomblob(16))), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
